// Package toxiclient is the lab's one client of a Toxiproxy 2.x REST API,
// apart from toxi so that its callers do not link the Toxiproxy server.
package toxiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/prodlab/prodlab/internal/httpjson"
)

// The wire types of Toxiproxy's own Go client: a toxic, its attributes
// (latency in ms, rate in KB/s...), and an answer other than 2xx.
type (
	Toxic      = toxiproxy.Toxic
	Attributes = toxiproxy.Attributes
	APIError   = toxiproxy.ApiError
)

// ErrNoAnswer wraps the error of a call that got no answer from Toxiproxy.
var ErrNoAnswer = errors.New("toxiproxy does not answer")

// Client calls a Toxiproxy REST API, every call bounded by its context.
type Client struct{ httpjson.Client }

// New returns a client of the Toxiproxy API at base (http://127.0.0.1:8474),
// with a 30s timeout and User-Agent "prodlab" (Toxiproxy refuses browsers') by default.
func New(base string, opts ...httpjson.ClientOpt) (*Client, error) {
	defaults := []httpjson.ClientOpt{httpjson.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}), httpjson.WithUserAgent("prodlab")}
	c, err := httpjson.NewClient("toxiproxy", base, append(defaults, opts...)...)
	if err != nil {
		return nil, err
	}
	return &Client{c}, nil
}

// Proxy is one of Toxiproxy's proxies, bound to the client that listed it.
type Proxy struct {
	Name         string  `json:"name"`
	Listen       string  `json:"listen"`
	Upstream     string  `json:"upstream"`
	Enabled      bool    `json:"enabled"`
	ActiveToxics []Toxic `json:"toxics"`

	c *Client
}

// DialerPrefix starts the name of every proxy kproxy creates for a broker.
const DialerPrefix = "broker-"

// IsDialerProxy reports whether name is a proxy kproxy created.
func IsDialerProxy(name string) bool { return strings.HasPrefix(name, DialerPrefix) }

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

// CreateProxy creates an enabled proxy from listen to upstream and returns
// it as Toxiproxy made it (listen may use port 0).
func (c *Client) CreateProxy(ctx context.Context, name, listen, upstream string) (*Proxy, error) {
	in := map[string]any{"name": name, "listen": listen, "upstream": upstream, "enabled": true}
	p := &Proxy{c: c}
	if err := c.call(ctx, http.MethodPost, "/proxies", in, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Proxy returns the proxy name, with no call: only Name is set.
func (c *Client) Proxy(name string) *Proxy { return &Proxy{Name: name, c: c} }

// Upstreams maps the listen address of every proxy to its upstream, and
// also the 127.0.0.1 and localhost forms of one on all interfaces.
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

// SetEnabled enables the proxy, or disables it: closes its listener and conns.
func (p *Proxy) SetEnabled(ctx context.Context, enabled bool) error {
	return p.c.call(ctx, http.MethodPost, p.path(""), map[string]bool{"enabled": enabled}, nil)
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

// AddToxic adds a toxic to the proxy and returns it as Toxiproxy made it
// (default stream downstream, default name <type>_<stream>).
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

// call sends body as JSON and decodes a 2xx answer into out, either if not
// nil. Any other answer is an *APIError.
func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	code, raw, err := c.Call(ctx, method, path, nil, b)
	if err != nil {
		return fmt.Errorf("%w at %s: %w", ErrNoAnswer, c.Base(), err)
	}
	if code < 200 || code >= 300 {
		// Toxiproxy's error body has the lab's shape, less the field.
		var b httpjson.ErrorBody
		if json.Unmarshal(raw, &b) != nil || b.Error == "" {
			b.Error = strings.TrimSpace(string(raw))
		}
		return &APIError{Message: b.Error, Status: code}
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("toxiproxy at %s: %s %s: %w", c.Base(), method, path, err)
		}
	}
	return nil
}

// IsNotFound reports whether err is Toxiproxy's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// Change is a toxic change Toxiproxy accepted, as toxi.Observe reports it:
// the toxic's proxy, name, type, stream and attributes (none if Removed); or
// a Reset of every toxic, Lost if toxi made it (Reset, a restarted child).
type Change struct {
	Proxy, Toxic, Type, Stream string
	Attributes                 map[string]int64
	Removed, Reset, Lost       bool
}
