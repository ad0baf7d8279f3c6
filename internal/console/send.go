package console

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/prodlab/prodlab/internal/httpjson"
)

// engine returns the API q's engine names, or answers the error.
func (s *Server) engine(w http.ResponseWriter, r *http.Request, q url.Values) (Engine, bool) {
	name := q.Get("engine")
	var names []string
	for _, e := range s.cfg.engines {
		if e.Name == name && len(q["engine"]) == 1 {
			return e, true
		}
		names = append(names, e.Name)
	}
	switch {
	case len(q["engine"]) > 1:
		fail(w, r, http.StatusBadRequest, "engine", "console.err.repeated", "param", "engine")
	case len(names) == 0:
		fail(w, r, http.StatusServiceUnavailable, "", "console.err.noAPI")
	case name == "":
		fail(w, r, http.StatusBadRequest, "engine", "console.err.engineRequired", "engines", strings.Join(names, ", "))
	default:
		fail(w, r, http.StatusBadRequest, "engine", "console.err.engineUnknown", "engine", name, "engines", strings.Join(names, ", "))
	}
	return Engine{}, false
}

// forward calls the engine's API at path with r's method and query, less
// engine, and copies its answer.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, path string) {
	q, ok := httpjson.Query(w, r)
	if !ok {
		return
	}
	e, ok := s.engine(w, r, q)
	if !ok {
		return
	}
	q.Del("engine")
	// The API goes on with a send whose client left; so does the console.
	resp, err := e.cl.Do(r.Context(), r.Method, path, q, nil)
	if err != nil {
		s.cfg.logger.Warn("producer API does not answer", "engine", e.Name, "url", e.URL, "err", err)
		fail(w, r, http.StatusBadGateway, "", "console.err.apiNoAnswer", "engine", e.Name)
		return
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, httpjson.MaxAnswer))
}

// SendCreate forwards a send (the API's parameters plus engine) to the
// engine's producer API.
func (s *Server) SendCreate(w http.ResponseWriter, r *http.Request) { s.forward(w, r, "/api/v1/send") }

// StatusShow forwards a status request (engine, requestId) to its API.
func (s *Server) StatusShow(w http.ResponseWriter, r *http.Request) {
	s.forward(w, r, "/api/v1/status")
}
