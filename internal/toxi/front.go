package toxi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
)

// maxBody bounds a REST request's body.
const maxBody = 1 << 20

// Routes returns Toxiproxy's REST API, forwarded to the child's: origin-form
// targets only, names as prodlab.LegalName, one state change at a time,
// each call bounded by the request timeout and waiting for a restarting
// child. Errors are httpjson's; the raw error goes to the log.
func (s *Server) Routes() http.Handler { return http.HandlerFunc(s.forward) }

func (s *Server) forward(w http.ResponseWriter, r *http.Request) {
	target, ok := originForm(r)
	if !ok {
		httpjson.Error(w, http.StatusBadRequest, "", "the request target must be a path such as /proxies, not a URL, an authority or *")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.timeout)
	defer cancel()
	// Read the body before taking the lock: a slow client holds only itself.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.cfg.logger.Warn("toxiproxy front: reading a request body", "err", err)
		httpjson.Error(w, http.StatusBadRequest, "", "the request body could not be read whole, or is over 1 MiB")
		return
	}
	if field, msg := checkNames(r.Method, target.Path, body); msg != "" {
		httpjson.Error(w, http.StatusBadRequest, field, msg)
		return
	}
	ch, release, err := s.acquire(ctx, r.Method != http.MethodGet && r.Method != http.MethodHead)
	if err != nil {
		msg := "toxiproxy is restarting: try again in a moment"
		switch {
		case errors.Is(err, ErrClosed):
			msg = "toxiproxy is stopping with the lab"
		case errors.Is(err, errBusy):
			msg = "another change to Toxiproxy did not end in time: try again"
		}
		s.cfg.logger.Warn("toxiproxy front: unavailable", "err", err)
		httpjson.Error(w, http.StatusServiceUnavailable, "", msg)
		return
	}
	defer release()
	req, err := http.NewRequestWithContext(ctx, r.Method, ch.api, bytes.NewReader(body))
	if err != nil {
		s.cfg.logger.Error("toxiproxy front: building the child's request", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, "", "the request could not be passed to Toxiproxy")
		return
	}
	// The child's host, the caller's path and query only; these headers
	// only, as sent (a User-Agent key, even empty, stops Go's default).
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = target.Path, target.RawPath, target.RawQuery
	for _, k := range []string{"Content-Type", "User-Agent", "Accept"} {
		req.Header[k] = r.Header.Values(k)
	}
	resp, err := ch.tc.Send(req)
	if err != nil {
		if ctx.Err() != nil && r.Context().Err() == nil {
			httpjson.Error(w, http.StatusGatewayTimeout, "", fmt.Sprintf("toxiproxy did not answer in %v", s.cfg.timeout))
			return
		}
		s.cfg.logger.Warn("toxiproxy front: the child did not answer", "err", err)
		httpjson.Error(w, http.StatusServiceUnavailable, "", "toxiproxy stopped while answering, and is restarting with no toxics")
		return
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Content-Length"} {
		if v := resp.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	// The child's client follows no redirect: one to a path of this host goes back.
	if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, "/\\") {
		w.Header().Set("Location", loc)
	}
	w.WriteHeader(resp.StatusCode)
	s.copyObserved(w, r, resp)
}

// originForm returns the target's path and raw query if it is in
// origin-form (RFC 9112 3.2.1), which has no '#' (net/http keeps it in RawQuery).
func originForm(r *http.Request) (*url.URL, bool) {
	u := r.URL
	if r.Method == http.MethodConnect || !strings.HasPrefix(r.RequestURI, "/") || strings.Contains(r.RequestURI, "#") || u == nil ||
		u.Scheme != "" || u.Opaque != "" || u.User != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return nil, false
	}
	return &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}, true
}

// checkNames refuses a POST naming a proxy or toxic as prodlab.LegalName
// refuses, or adding a slicer without attributes (its zero ones crash
// Toxiproxy), decoded as Toxiproxy does; a body it cannot decode is its to refuse.
func checkNames(method, path string, body []byte) (field, msg string) {
	if method != http.MethodPost {
		return "", ""
	}
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	dec := func(v any) bool { return json.NewDecoder(bytes.NewReader(body)).Decode(v) == nil }
	bad := func(what, name string) (string, string) {
		return "name", what + " name " + strconv.QuoteToASCII(name) + " must be 1 to 64 of a-z A-Z 0-9 . _ -, and not . or .."
	}
	switch {
	case path == "/proxies":
		var p struct{ Name string }
		if dec(&p) && !prodlab.LegalName(p.Name) {
			return bad("proxy", p.Name)
		}
	case path == "/populate":
		var ps []struct{ Name string }
		if dec(&ps) {
			for _, p := range ps {
				if !prodlab.LegalName(p.Name) {
					return bad("proxy", p.Name)
				}
			}
		}
	case len(seg) == 3 && seg[0] == "proxies" && seg[2] == "toxics":
		t := struct {
			Name, Type, Stream string
			Attributes         json.RawMessage
		}{Stream: "downstream"}
		if dec(&t) {
			if t.Name == "" { // Toxiproxy's default name
				t.Name = t.Type + "_" + t.Stream
			}
			if !prodlab.LegalName(t.Name) {
				return bad("toxic", t.Name)
			}
			if a := string(t.Attributes); t.Type == "slicer" && (a == "" || a == "null") { // toxics.go checks them
				return "attributes", "a slicer toxic needs its attributes: average_size (at least 1), size_variation (under it), delay"
			}
		}
	}
	return "", ""
}
