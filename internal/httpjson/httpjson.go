// Package httpjson holds the JSON bodies, errors and methods of every HTTP
// surface of the lab, and Client, the common part of the lab's clients.
package httpjson

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
)

// ErrorBody is the body of every error: a sentence, the input field at
// fault if any, and the HTTP status.
type ErrorBody struct {
	Error  string `json:"error"`
	Field  string `json:"field,omitempty"`
	Status int    `json:"status"`
}

// Error writes an ErrorBody with status code.
func Error(w http.ResponseWriter, code int, field, msg string) {
	Write(w, code, ErrorBody{Error: msg, Field: field, Status: code})
}

var (
	jsonType = []string{"application/json"}
	noStore  = []string{"no-store"}
)

// Write writes v as JSON with status code; answers are never cached.
func Write(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v) // what json.Encoder writes, but its newline
	WriteRaw(w, code, append(b, '\n'))
}

// Only restricts h to methods, answering 405 with an Allow header and a JSON
// error otherwise.
func Only(h http.HandlerFunc, methods ...string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(methods, r.Method) {
			h(w, r)
			return
		}
		w.Header().Set("Allow", allow)
		Error(w, http.StatusMethodNotAllowed, "", i18n.T("http.method", "method", r.Method, "allow", allow))
	})
}
