package httpjson

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Client is what the lab's HTTP clients (api.Client, toxiclient.Client)
// share: a base URL, an HTTP client, a User-Agent and fixed headers.
type Client struct {
	base string
	cfg  clientCfg
}

type clientCfg struct {
	hc         *http.Client
	ua         string
	header     http.Header
	noRedirect bool
}

// ClientOpt configures a Client.
type ClientOpt func(*clientCfg)

// ErrClientOpt is the error of NewClient for an option it refuses.
var ErrClientOpt = errors.New("bad client option")

// WithHTTPClient sets the HTTP client, default http.DefaultClient (no
// timeout: each call is bounded by its context). It must not be nil.
func WithHTTPClient(hc *http.Client) ClientOpt { return func(c *clientCfg) { c.hc = hc } }

// WithUserAgent sets the User-Agent of every request, default none (Go's
// own, or for Send the request's).
func WithUserAgent(ua string) ClientOpt { return func(c *clientCfg) { c.ua = ua } }

// WithHeader adds a header to every request, default none. The key must be
// a header name, the value free of control characters.
func WithHeader(key, value string) ClientOpt { return func(c *clientCfg) { c.header.Add(key, value) } }

// NoRedirects makes the client return a redirect as its answer instead of
// following it; by default the HTTP client's policy applies.
func NoRedirects() ClientOpt { return func(c *clientCfg) { c.noRedirect = true } }

// MaxAnswer bounds the body Call reads: 1 MiB.
const MaxAnswer = 1 << 20

// NewClient returns a client of the service what at base, an http(s) URL such
// as http://127.0.0.1:8474. A bad option is an error naming it, wrapping ErrClientOpt.
func NewClient(what, base string, opts ...ClientOpt) (Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return Client{}, fmt.Errorf("%s URL %q: want http://host:port", what, base)
	}
	c := Client{base: strings.TrimRight(base, "/"), cfg: clientCfg{hc: http.DefaultClient, header: http.Header{}}}
	for _, o := range opts {
		o(&c.cfg)
	}
	if c.cfg.hc == nil {
		return Client{}, fmt.Errorf("%s client: %w: WithHTTPClient must not be nil", what, ErrClientOpt)
	}
	for k, vs := range c.cfg.header {
		for _, v := range vs {
			if !validHeader(k, v) {
				// The value may be a secret: not in the error.
				return Client{}, fmt.Errorf("%s client: %w: WithHeader(%q, ...) is not a valid header", what, ErrClientOpt, k)
			}
		}
	}
	if c.cfg.noRedirect {
		hc := *c.cfg.hc
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c.cfg.hc = &hc
	}
	return c, nil
}

// headerName matches a header name (a token, RFC 9110 5.6.2).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// validHeader reports whether k is a header name and v has no control but tab.
func validHeader(k, v string) bool {
	return headerName.MatchString(k) && !strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}

// Base is the base URL, without a trailing slash.
func (c Client) Base() string { return c.base }

// Do sends one request to path with query q and, if body is not nil, a
// JSON body; it returns the response unread.
func (c Client) Do(ctx context.Context, method, path string, q url.Values, body []byte) (*http.Response, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	// Empty, the reader makes no body, as nil would.
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.Send(req)
}

// Send sends req, built under Base by a front relaying its callers'
// requests, with the client's User-Agent and headers; the response is unread.
func (c Client) Send(req *http.Request) (*http.Response, error) {
	if c.cfg.ua != "" {
		req.Header.Set("User-Agent", c.cfg.ua)
	}
	for k, vs := range c.cfg.header {
		req.Header[k] = slices.Clone(vs)
	}
	return c.cfg.hc.Do(req)
}

// Call is Do that reads the whole answer, at most MaxAnswer bytes, so that
// the connection is reused; it returns its status and body.
func (c Client) Call(ctx context.Context, method, path string, q url.Values, body []byte) (int, []byte, error) {
	resp, err := c.Do(ctx, method, path, q, body)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	return resp.StatusCode, b, err
}
