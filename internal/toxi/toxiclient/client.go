// Package toxiclient is the lab's one client of a Toxiproxy REST API: the
// server of package toxi, or any Toxiproxy 2.x. It stays apart from toxi so
// that its callers do not link the Toxiproxy server.
package toxiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// The wire types are those of Toxiproxy's own Go client.
type (
	// Toxic is a toxic as Toxiproxy's API describes it.
	Toxic = toxiproxy.Toxic
	// Attributes are a toxic's attributes (latency in ms, rate in KB/s...).
	Attributes = toxiproxy.Attributes
	// APIError is an answer of Toxiproxy's API other than 2xx: its
	// {"error","status"} body, or the raw body as Message.
	APIError = toxiproxy.ApiError
)

// ErrNoAnswer wraps the error of a call that got no answer from Toxiproxy.
var ErrNoAnswer = errors.New("toxiproxy does not answer")

// Client calls a Toxiproxy REST API, every call bounded by its context.
type Client struct {
	base string
	cfg  clientCfg
}

type clientCfg struct {
	hc *http.Client
	ua string
}

// ClientOpt configures a Client.
type ClientOpt func(*clientCfg)

// WithHTTPClient sets the HTTP client, default one with a 30s timeout, as
// Toxiproxy's own client has.
func WithHTTPClient(hc *http.Client) ClientOpt { return func(c *clientCfg) { c.hc = hc } }

// WithUserAgent sets the User-Agent, default "prodlab". Toxiproxy refuses
// browsers' user agents.
func WithUserAgent(ua string) ClientOpt { return func(c *clientCfg) { c.ua = ua } }

// maxAnswer bounds an answer the client reads.
const maxAnswer = 1 << 20

// New returns a client of the Toxiproxy API at base, such as
// http://127.0.0.1:8474.
func New(base string, opts ...ClientOpt) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("toxiproxy URL %q: want http://host:port", base)
	}
	c := clientCfg{hc: &http.Client{Timeout: defaultClientTimeout}, ua: "prodlab"}
	for _, o := range opts {
		o(&c)
	}
	if c.hc == nil {
		return nil, errors.New("toxiproxy client: nil HTTP client")
	}
	return &Client{base: strings.TrimRight(base, "/"), cfg: c}, nil
}

// defaultClientTimeout bounds a call by default.
const defaultClientTimeout = 30 * time.Second

// Proxy is one of Toxiproxy's proxies, bound to the client that listed it.
type Proxy struct {
	Name         string  `json:"name"`
	Listen       string  `json:"listen"`
	Upstream     string  `json:"upstream"`
	Enabled      bool    `json:"enabled"`
	ActiveToxics []Toxic `json:"toxics"`

	c *Client
}

// Proxies lists the proxies by name.
func (c *Client) Proxies(ctx context.Context) (map[string]*Proxy, error) {
	var m map[string]*Proxy
	if err := c.call(ctx, http.MethodGet, "/proxies", nil, &m); err != nil {
		return nil, err
	}
	for _, p := range m {
		p.c = c
	}
	return m, nil
}

// Proxy returns the proxy name, with no call: its fields other than Name
// are empty.
func (c *Client) Proxy(name string) *Proxy { return &Proxy{Name: name, c: c} }

// Upstreams maps the listen address of every proxy to its upstream; a
// proxy listening on all interfaces is also listed under its 127.0.0.1 and
// localhost forms, through which it is reached.
func (c *Client) Upstreams(ctx context.Context) (map[string]string, error) {
	proxies, err := c.Proxies(ctx)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, p := range proxies {
		m[p.Listen] = p.Upstream
		if host, port, err := net.SplitHostPort(p.Listen); err == nil && (host == "0.0.0.0" || host == "::" || host == "") {
			m[net.JoinHostPort("127.0.0.1", port)] = p.Upstream
			m[net.JoinHostPort("localhost", port)] = p.Upstream
		}
	}
	return m, nil
}

// Reset removes every toxic and enables every proxy.
func (c *Client) Reset(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/reset", nil, nil)
}

// Toxics lists the proxy's toxics as Toxiproxy has them now.
func (p *Proxy) Toxics(ctx context.Context) ([]Toxic, error) {
	var ts []Toxic
	err := p.c.call(ctx, http.MethodGet, p.path("/toxics"), nil, &ts)
	return ts, err
}

// AddToxic adds a toxic to the proxy and returns it as Toxiproxy made it.
// An empty stream is downstream; an empty name is Toxiproxy's
// <type>_<stream>.
func (p *Proxy) AddToxic(ctx context.Context, name, typ, stream string, toxicity float32, attrs Attributes) (*Toxic, error) {
	out := &Toxic{}
	err := p.c.call(ctx, http.MethodPost, p.path("/toxics"),
		Toxic{Name: name, Type: typ, Stream: stream, Toxicity: toxicity, Attributes: attrs}, out)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveToxic removes the toxic name from the proxy.
func (p *Proxy) RemoveToxic(ctx context.Context, name string) error {
	return p.c.call(ctx, http.MethodDelete, p.path("/toxics/"+url.PathEscape(name)), nil, nil)
}

func (p *Proxy) path(rest string) string { return "/proxies/" + url.PathEscape(p.Name) + rest }

// call sends body as JSON, if not nil, and decodes a 2xx answer into out,
// if not nil. Any other answer is an *APIError.
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", c.cfg.ua)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.cfg.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w at %s: %w", ErrNoAnswer, c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("%w at %s: %w", ErrNoAnswer, c.base, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		e := &APIError{}
		if json.Unmarshal(raw, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(raw))
		}
		e.Status = resp.StatusCode
		return e
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("toxiproxy at %s: %s %s: %w", c.base, method, path, err)
		}
	}
	return nil
}

// IsNotFound reports whether err is Toxiproxy's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// Change is one toxic change that Toxiproxy accepted, as the lab's
// Toxiproxy front reports it to its observers (toxi.Observe).
type Change struct {
	// Proxy and Toxic name the toxic; both are empty for a Reset.
	Proxy, Toxic string
	// Type, Stream and Attributes are the toxic as Toxiproxy answered
	// (added or updated); empty when Removed or Reset.
	Type, Stream string
	Attributes   map[string]int64
	// Removed: the toxic was deleted.
	Removed bool
	// Reset: every toxic of every proxy is gone (POST /reset, Reset, or a
	// child restarted with no toxics).
	Reset bool
	// Lost: the Reset came from the Server itself (Reset, or a restarted
	// child), not from a request.
	Lost bool
}
