package console

import (
	"net/http"
	"strings"

	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
)

// pageLang is the first tag of r's Accept-Language, where the page sends
// its choice, else the process's language.
func pageLang(r *http.Request) i18n.Lang {
	tag, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	tag, _, _ = strings.Cut(tag, ";")
	tag, _, _ = strings.Cut(strings.TrimSpace(tag), "-")
	if l, err := i18n.Parse(tag); err == nil {
		return l
	}
	return i18n.Current()
}

// fail answers code with the catalogue message id, filled from args, in
// the language of r's page.
func fail(w http.ResponseWriter, r *http.Request, code int, field, id string, args ...any) {
	httpjson.Error(w, code, field, i18n.M(id, args...).In(pageLang(r)))
}

// kafkaUnavailable answers 503 for a failed read of the cluster, saying
// what failed; the log says why (client errors name internal addresses).
func (s *Server) kafkaUnavailable(w http.ResponseWriter, r *http.Request, err error, what string, args ...any) {
	s.cfg.logger.Warn("console: "+i18n.M(what, args...).In(i18n.EN), "err", err)
	fail(w, r, http.StatusServiceUnavailable, "", "console.err.kafka", "what", i18n.M(what, args...).In(pageLang(r)))
}
