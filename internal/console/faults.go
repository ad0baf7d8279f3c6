package console

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// userAgent identifies the console's own calls to the producer APIs and
// to Toxiproxy, whose API refuses browsers' user agents.
const userAgent = "prodlab-console"

// MaxToxicMillis bounds every duration attribute of a toxic: 10 minutes.
const MaxToxicMillis = 600000

// toxicTypes are the toxics the page can add, with their attributes.
var toxicTypes = map[string][]string{
	"latency":    {"latency", "jitter"},
	"timeout":    {"timeout"},
	"reset_peer": {"timeout"},
}

// toxiproxy returns the lab's Toxiproxy client, or answers 503.
func (s *Server) toxiproxy(w http.ResponseWriter, r *http.Request) (*toxiclient.Client, bool) {
	if s.toxi == nil {
		fail(w, r, http.StatusServiceUnavailable, "", "console.err.noToxiproxy")
	}
	return s.toxi, s.toxi != nil
}

// writeToxiError answers a failed Toxiproxy call with Toxiproxy's status
// and sentence, naming field when the input is at fault.
func (s *Server) writeToxiError(w http.ResponseWriter, r *http.Request, err error, field string) {
	var ae *toxiclient.APIError
	switch {
	case errors.As(err, &ae):
		if ae.Status >= 500 || ae.Status == http.StatusForbidden {
			field = ""
		}
		if id, ok := toxiproxyMessages[ae.Message]; ok {
			fail(w, r, ae.Status, field, id)
			return
		}
		fail(w, r, ae.Status, field, "console.err.toxiproxy", "msg", ae.Message)
	case errors.Is(err, toxiclient.ErrNoAnswer):
		s.cfg.logger.Warn("toxiproxy does not answer", "url", s.cfg.toxiproxy, "err", err)
		fail(w, r, http.StatusBadGateway, "", "console.err.toxiNoAnswer")
	default:
		s.cfg.logger.Warn("toxiproxy call failed", "err", err)
		fail(w, r, http.StatusBadGateway, "", "console.err.toxiUnreadable")
	}
}

type proxiesResponse struct {
	Proxies []*toxiclient.Proxy `json:"proxies"`
	Types   map[string][]string `json:"types"` // toxicTypes
}

// ProxyIndex lists Toxiproxy's proxies, each with its toxics.
func (s *Server) ProxyIndex(w http.ResponseWriter, r *http.Request) {
	c, ok := s.toxiproxy(w, r)
	if !ok {
		return
	}
	m, err := c.Proxies(r.Context())
	if err != nil {
		s.writeToxiError(w, r, err, "")
		return
	}
	ps := slices.SortedFunc(maps.Values(m), func(a, b *toxiclient.Proxy) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range ps {
		p.ActiveToxics = append([]toxiclient.Toxic{}, p.ActiveToxics...)
		slices.SortFunc(p.ActiveToxics, func(a, b toxiclient.Toxic) int { return strings.Compare(a.Name, b.Name) })
	}
	httpjson.Write(w, http.StatusOK, proxiesResponse{Proxies: append([]*toxiclient.Proxy{}, ps...), Types: toxicTypes})
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
func (t *toxicRequest) validate() (field string, msg i18n.Msg) {
	attrs, ok := toxicTypes[t.Type]
	if !ok {
		return "type", i18n.M("console.err.toxicType", "type", strconv.Quote(t.Type))
	}
	t.Stream = cmp.Or(t.Stream, "downstream")
	if t.Stream != "downstream" && t.Stream != "upstream" {
		return "stream", i18n.M("console.err.toxicStream", "stream", strconv.Quote(t.Stream))
	}
	if t.Toxicity == nil {
		t.Toxicity = new(1.0)
	}
	if *t.Toxicity < 0 || *t.Toxicity > 1 {
		return "toxicity", i18n.M("console.err.toxicity")
	}
	t.Name = cmp.Or(t.Name, t.Type+"_"+t.Stream)
	if !prodlab.LegalName(t.Name) {
		return "name", i18n.M("console.err.toxicNameRule", "name", strconv.Quote(t.Name))
	}
	for k, v := range t.Attributes {
		if !slices.Contains(attrs, k) {
			return "attributes." + k, i18n.M("console.err.toxicAttr", "attr", strconv.Quote(k), "type", t.Type, "attrs", strings.Join(attrs, ", "))
		}
		if v < 0 || v > MaxToxicMillis {
			return "attributes." + k, i18n.M("console.err.toxicRange", "attr", k, "value", v, "max", MaxToxicMillis)
		}
	}
	return "", i18n.Msg{}
}

// toxiproxyMessages are Toxiproxy's own error sentences a trainee can
// meet from the console, by their catalogue id; others are passed on.
var toxiproxyMessages = map[string]string{
	"toxic already exists": "console.err.toxicExists",
	"toxic not found":      "console.err.toxicNotFound",
	"proxy not found":      "console.err.proxyNotFound",
}

// ToxicCreate adds a latency, timeout or reset_peer toxic to a proxy.
func (s *Server) ToxicCreate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("proxy")
	if !prodlab.LegalName(name) {
		fail(w, r, http.StatusBadRequest, "proxy", "console.err.proxyName", "name", strconv.Quote(name))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		fail(w, r, http.StatusUnsupportedMediaType, "Content-Type", "console.err.jsonOnly")
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
		fail(w, r, http.StatusBadRequest, "", "console.err.toxicBody", "err", err.Error())
		return
	}
	if field, msg := req.validate(); msg.ID != "" {
		httpjson.Error(w, http.StatusBadRequest, field, msg.In(pageLang(r)))
		return
	}
	c, ok := s.toxiproxy(w, r)
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
		s.writeToxiError(w, r, err, field)
		return
	}
	httpjson.Write(w, http.StatusCreated, out)
}

// ToxicDelete removes a toxic from a proxy.
func (s *Server) ToxicDelete(w http.ResponseWriter, r *http.Request) {
	name, tox := r.PathValue("proxy"), r.PathValue("toxic")
	if !prodlab.LegalName(name) {
		fail(w, r, http.StatusBadRequest, "proxy", "console.err.proxyName", "name", strconv.Quote(name))
		return
	}
	if !prodlab.LegalName(tox) {
		fail(w, r, http.StatusBadRequest, "toxic", "console.err.toxicName", "name", strconv.Quote(tox))
		return
	}
	c, ok := s.toxiproxy(w, r)
	if !ok {
		return
	}
	if err := c.Proxy(name).RemoveToxic(r.Context(), tox); err != nil {
		s.writeToxiError(w, r, err, "toxic")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ResetCreate removes every toxic and enables every proxy.
func (s *Server) ResetCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := s.toxiproxy(w, r)
	if !ok {
		return
	}
	if err := c.Reset(r.Context()); err != nil {
		s.writeToxiError(w, r, err, "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
