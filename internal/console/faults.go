package console

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
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

// legalName reports whether s is a proxy or toxic name the console passes
// on: prodlab.LegalName, the rule Toxiproxy's front applies too.
func legalName(s string) bool { return prodlab.LegalName(s) }

// toxiproxy returns the client of the lab's Toxiproxy, each call bounded by
// the console's timeout, writing a 503 if the console has none.
func (s *Server) toxiproxy(w http.ResponseWriter) (*toxiclient.Client, bool) {
	if s.cfg.toxiproxy == "" {
		httpjson.Error(w, http.StatusServiceUnavailable, "", "the console has no Toxiproxy URL")
		return nil, false
	}
	c, err := toxiclient.New(s.cfg.toxiproxy, httpjson.WithHTTPClient(&http.Client{Timeout: s.cfg.timeout}), httpjson.WithUserAgent(userAgent))
	if err != nil {
		s.cfg.logger.Error("bad Toxiproxy URL", "url", s.cfg.toxiproxy, "err", err)
		httpjson.Error(w, http.StatusServiceUnavailable, "", "the console has no usable Toxiproxy URL (the console's log has the cause)")
		return nil, false
	}
	return c, true
}

// writeToxiError answers a failed Toxiproxy call: Toxiproxy's own status
// and sentence, with field unless the fault is not the input's.
func (s *Server) writeToxiError(w http.ResponseWriter, err error, field string) {
	var ae *toxiclient.APIError
	switch {
	case errors.As(err, &ae):
		if ae.Status >= 500 || ae.Status == http.StatusForbidden {
			field = ""
		}
		httpjson.Error(w, ae.Status, field, "toxiproxy: "+ae.Message)
	case errors.Is(err, toxiclient.ErrNoAnswer):
		s.cfg.logger.Warn("toxiproxy does not answer", "url", s.cfg.toxiproxy, "err", err)
		httpjson.Error(w, http.StatusBadGateway, "", "toxiproxy does not answer: retry later (the console's log has the cause)")
	default:
		s.cfg.logger.Warn("toxiproxy call failed", "err", err)
		httpjson.Error(w, http.StatusBadGateway, "", "toxiproxy gave an answer the console cannot read (the console's log has the cause)")
	}
}

type proxiesResponse struct {
	Proxies []*toxiclient.Proxy `json:"proxies"`
	// Types lists the toxics the page can add, with their attributes.
	Types map[string][]string `json:"types"`
}

// ProxyIndex lists Toxiproxy's proxies, each with its toxics.
func (s *Server) ProxyIndex(w http.ResponseWriter, r *http.Request) {
	c, ok := s.toxiproxy(w)
	if !ok {
		return
	}
	m, err := c.Proxies(r.Context())
	if err != nil {
		s.writeToxiError(w, err, "")
		return
	}
	resp := proxiesResponse{Proxies: []*toxiclient.Proxy{}, Types: toxicTypes}
	for _, p := range m {
		if p.ActiveToxics == nil {
			p.ActiveToxics = []toxiclient.Toxic{}
		}
		sort.Slice(p.ActiveToxics, func(i, j int) bool { return p.ActiveToxics[i].Name < p.ActiveToxics[j].Name })
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
		if !slices.Contains(attrs, k) {
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
	c, ok := s.toxiproxy(w)
	if !ok {
		return
	}
	attrs := toxiclient.Attributes{}
	for k, v := range req.Attributes {
		attrs[k] = v
	}
	out, err := c.Proxy(name).AddToxic(r.Context(), req.Name, req.Type, req.Stream, float32(*req.Toxicity), attrs)
	if err != nil {
		field := "name" // 409: a toxic of that name exists
		if toxiclient.IsNotFound(err) {
			field = "proxy"
		}
		s.writeToxiError(w, err, field)
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
	c, ok := s.toxiproxy(w)
	if !ok {
		return
	}
	if err := c.Proxy(name).RemoveToxic(r.Context(), tox); err != nil {
		s.writeToxiError(w, err, "toxic")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ResetCreate removes every toxic and enables every proxy.
func (s *Server) ResetCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.toxiproxy(w)
	if !ok {
		return
	}
	if err := c.Reset(r.Context()); err != nil {
		s.writeToxiError(w, err, "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
