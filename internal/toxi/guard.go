package toxi

import (
	"crypto/subtle"
	"net/http"

	"github.com/prodlab/prodlab/internal/httpjson"
)

// The child's API, on a loopback port that any local process or a
// DNS-rebinding page can reach, answers only requests with its own address
// as Host and, in tokenHeader, the token the parent wrote on its stdin.
const tokenHeader = "Prodlab-Toxiproxy-Token"

// guard serves h only to requests with token and Host host.
func guard(h http.Handler, token, host string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(tokenHeader)
		if r.Host != host || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			httpjson.Error(w, http.StatusForbidden, "", "this is the lab's own Toxiproxy: use the API on the lab's Toxiproxy port")
			return
		}
		r.Header.Del(tokenHeader)
		h.ServeHTTP(w, r)
	})
}
