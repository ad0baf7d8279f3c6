package toxi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// Change is one toxic change that Toxiproxy accepted (toxiclient.Change).
type Change = toxiclient.Change

// Observe adds fn to the functions called, one at a time, with every toxic
// change made through Routes or Reset, default none; fn must return quickly.
func Observe(fn func(Change)) Opt {
	return func(c *cfg) { c.observers = append(c.observers, fn) }
}

func (s *Server) emit(c Change) {
	for _, fn := range s.cfg.observers {
		fn(c)
	}
}

// maxObservedBody bounds the answer kept to report a change.
const maxObservedBody = 64 << 10

// observedChange returns the change r makes if accepted, and whether it makes one.
func observedChange(r *http.Request) (Change, bool) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "reset":
		return Change{Reset: true}, true
	case len(parts) == 3 && parts[0] == "proxies" && parts[2] == "toxics" && r.Method == http.MethodPost:
		return Change{Proxy: parts[1]}, true
	case len(parts) == 4 && parts[0] == "proxies" && parts[2] == "toxics":
		switch r.Method {
		case http.MethodPost:
			return Change{Proxy: parts[1], Toxic: parts[3]}, true
		case http.MethodDelete:
			return Change{Proxy: parts[1], Toxic: parts[3], Removed: true}, true
		}
	}
	return Change{}, false
}

// copyObserved copies resp to w and reports the toxic change a 2xx answers.
func (s *Server) copyObserved(w io.Writer, r *http.Request, resp *http.Response) {
	c, ok := observedChange(r)
	if len(s.cfg.observers) == 0 || !ok || resp.StatusCode/100 != 2 {
		_, _ = io.Copy(w, resp.Body)
		return
	}
	// The answer is a toxic, which fits: one longer does not parse.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxObservedBody))
	if err != nil {
		return
	}
	if _, err := io.Copy(w, io.MultiReader(bytes.NewReader(body), resp.Body)); err != nil {
		return
	}
	if !c.Removed && !c.Reset {
		var t struct { // keys match without case, as with tags
			Name, Type, Stream string
			Attributes         map[string]json.Number
		}
		if json.Unmarshal(body, &t) != nil || t.Name == "" {
			return
		}
		c.Toxic, c.Type, c.Stream, c.Attributes = t.Name, t.Type, t.Stream, map[string]int64{}
		for k, v := range t.Attributes {
			if n, err := v.Int64(); err == nil {
				c.Attributes[k] = n
			}
		}
	}
	s.emit(c)
}
