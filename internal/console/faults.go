package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab/internal/httpjson"
)

// userAgent identifies the console's own calls to the producer APIs and to
// Toxiproxy, whose API refuses browsers' user agents. The console makes
// those calls itself, with its own checks: Routes refuses cross-origin
// requests, the lab's listener checks the Host, and every body and
// parameter is parsed strictly.
const userAgent = "prodlab-console"

// MaxToxicMillis bounds every duration attribute of a toxic: 10 minutes.
const MaxToxicMillis = 600000

// toxicTypes are the toxics the page can add, with their attributes.
var toxicTypes = map[string][]string{
	"latency":    {"latency", "jitter"},
	"timeout":    {"timeout"},
	"reset_peer": {"timeout"},
}

var legalNameChars = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,64}$`)

// legalName reports whether s is a proxy or toxic name the console passes
// on: 1 to 64 of a-z A-Z 0-9 . _ -, and not . or .. (which a URL path
// would resolve).
func legalName(s string) bool { return s != "." && s != ".." && legalNameChars.MatchString(s) }

// toxiproxyCall sends a request to Toxiproxy and decodes its JSON answer
// into out. A Toxiproxy error comes back as a *toxiError.
func (s *Server) toxiproxyCall(ctx context.Context, method, path string, body any, out any) error {
	if s.cfg.toxiproxy == "" {
		return &toxiError{http.StatusServiceUnavailable, "the console has no Toxiproxy URL"}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.cfg.toxiproxy+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.cfg.logger.Warn("toxiproxy does not answer", "url", s.cfg.toxiproxy, "err", err)
		return &toxiError{http.StatusBadGateway, "toxiproxy does not answer: retry later (the console's log has the cause)"}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(raw))
		}
		return &toxiError{resp.StatusCode, "toxiproxy: " + e.Error}
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

type toxiError struct {
	code int
	msg  string
}

func (e *toxiError) Error() string { return e.msg }

func writeToxiError(w http.ResponseWriter, err error, field string) {
	var te *toxiError
	if !errors.As(err, &te) {
		slog.Default().Warn("toxiproxy call failed", "err", err)
		httpjson.Error(w, http.StatusBadGateway, "", "toxiproxy gave an answer the console cannot read (the console's log has the cause)")
		return
	}
	if te.code >= 500 || te.code == http.StatusForbidden {
		field = ""
	}
	httpjson.Error(w, te.code, field, te.msg)
}

// toxic is a Toxiproxy toxic as its API describes it.
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float64        `json:"toxicity"`
	Attributes map[string]int `json:"attributes"`
}

type proxy struct {
	Name     string  `json:"name"`
	Listen   string  `json:"listen"`
	Upstream string  `json:"upstream"`
	Enabled  bool    `json:"enabled"`
	Toxics   []toxic `json:"toxics"`
}

type proxiesResponse struct {
	Proxies []proxy `json:"proxies"`
	// Types lists the toxics the page can add, with their attributes.
	Types map[string][]string `json:"types"`
}

// ProxyIndex lists Toxiproxy's proxies, each with its toxics.
func (s *Server) ProxyIndex(w http.ResponseWriter, r *http.Request) {
	var m map[string]proxy
	if err := s.toxiproxyCall(r.Context(), http.MethodGet, "/proxies", nil, &m); err != nil {
		writeToxiError(w, err, "")
		return
	}
	resp := proxiesResponse{Proxies: []proxy{}, Types: toxicTypes}
	for _, p := range m {
		if p.Toxics == nil {
			p.Toxics = []toxic{}
		}
		sort.Slice(p.Toxics, func(i, j int) bool { return p.Toxics[i].Name < p.Toxics[j].Name })
		resp.Proxies = append(resp.Proxies, p)
	}
	sort.Slice(resp.Proxies, func(i, j int) bool { return resp.Proxies[i].Name < resp.Proxies[j].Name })
	httpjson.Write(w, http.StatusOK, resp)
}

// toxicRequest is the body of POST /api/proxies/{proxy}/toxics.
type toxicRequest struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   *float64       `json:"toxicity"`
	Attributes map[string]int `json:"attributes"`
}

// validate checks the request and fills in the defaults: stream
// downstream, toxicity 1, name <type>_<stream> as Toxiproxy names it.
func (t *toxicRequest) validate() (field, msg string) {
	attrs, ok := toxicTypes[t.Type]
	if !ok {
		return "type", "type " + strconv.Quote(t.Type) + " is not allowed: latency, timeout or reset_peer"
	}
	switch t.Stream {
	case "":
		t.Stream = "downstream"
	case "downstream", "upstream":
	default:
		return "stream", "stream " + strconv.Quote(t.Stream) + " is not allowed: downstream or upstream"
	}
	if t.Toxicity == nil {
		one := 1.0
		t.Toxicity = &one
	}
	if *t.Toxicity < 0 || *t.Toxicity > 1 {
		return "toxicity", "toxicity must be between 0 and 1"
	}
	if t.Name == "" {
		t.Name = t.Type + "_" + t.Stream
	}
	if !legalName(t.Name) {
		return "name", "name " + strconv.Quote(t.Name) + " must be 1 to 64 of a-z A-Z 0-9 . _ -, and not . or .."
	}
	for k, v := range t.Attributes {
		known := false
		for _, a := range attrs {
			known = known || a == k
		}
		if !known {
			return "attributes." + k, "attribute " + strconv.Quote(k) + " does not apply to a " + t.Type + " toxic: use " + strings.Join(attrs, ", ")
		}
		if v < 0 || v > MaxToxicMillis {
			return "attributes." + k, k + " " + strconv.Itoa(v) + " is out of range: 0.." + strconv.Itoa(MaxToxicMillis) + " ms"
		}
	}
	return "", ""
}

// ToxicCreate adds a latency, timeout or reset_peer toxic to a proxy.
func (s *Server) ToxicCreate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("proxy")
	if !legalName(name) {
		httpjson.Error(w, http.StatusBadRequest, "proxy", "proxy "+strconv.Quote(name)+" is not a legal proxy name")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		httpjson.Error(w, http.StatusUnsupportedMediaType, "Content-Type", "the body must be sent as Content-Type: application/json")
		return
	}
	var req toxicRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more data after the toxic")
	}
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, "", "the body must be one JSON toxic {name, type, stream, toxicity, attributes}: "+err.Error())
		return
	}
	if field, msg := req.validate(); msg != "" {
		httpjson.Error(w, http.StatusBadRequest, field, msg)
		return
	}
	var out toxic
	err = s.toxiproxyCall(r.Context(), http.MethodPost, "/proxies/"+url.PathEscape(name)+"/toxics", toxic{
		Name: req.Name, Type: req.Type, Stream: req.Stream, Toxicity: *req.Toxicity, Attributes: req.Attributes,
	}, &out)
	if err != nil {
		field := "name" // 409: a toxic of that name exists
		var te *toxiError
		if errors.As(err, &te) && te.code == http.StatusNotFound {
			field = "proxy"
		}
		writeToxiError(w, err, field)
		return
	}
	httpjson.Write(w, http.StatusCreated, out)
}

// ToxicDelete removes a toxic from a proxy.
func (s *Server) ToxicDelete(w http.ResponseWriter, r *http.Request) {
	name, tox := r.PathValue("proxy"), r.PathValue("toxic")
	if !legalName(name) {
		httpjson.Error(w, http.StatusBadRequest, "proxy", "proxy "+strconv.Quote(name)+" is not a legal proxy name")
		return
	}
	if !legalName(tox) {
		httpjson.Error(w, http.StatusBadRequest, "toxic", "toxic "+strconv.Quote(tox)+" is not a legal toxic name")
		return
	}
	if err := s.toxiproxyCall(r.Context(), http.MethodDelete, "/proxies/"+url.PathEscape(name)+"/toxics/"+url.PathEscape(tox), nil, nil); err != nil {
		writeToxiError(w, err, "toxic")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ResetCreate removes every toxic and enables every proxy.
func (s *Server) ResetCreate(w http.ResponseWriter, r *http.Request) {
	if err := s.toxiproxyCall(r.Context(), http.MethodPost, "/reset", nil, nil); err != nil {
		writeToxiError(w, err, "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
