package httpjson

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client is what the lab's HTTP clients (api.Client, toxiclient.Client)
// share: a base URL, an HTTP client and a User-Agent.
type Client struct {
	base string
	hc   *http.Client
	ua   string
}

// ClientOpt configures a Client.
type ClientOpt func(*Client)

// WithHTTPClient sets the HTTP client; each client's New states its
// default.
func WithHTTPClient(hc *http.Client) ClientOpt { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent of every request; each client's New
// states its default.
func WithUserAgent(ua string) ClientOpt { return func(c *Client) { c.ua = ua } }

// MaxAnswer bounds the body Call reads: 1 MiB.
const MaxAnswer = 1 << 20

// NewClient returns a client of the service what at base, an http or https
// URL such as http://127.0.0.1:8474, with hc and ua unless opts set others.
func NewClient(what, base string, hc *http.Client, ua string, opts ...ClientOpt) (Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return Client{}, fmt.Errorf("%s URL %q: want http://host:port", what, base)
	}
	c := Client{base: strings.TrimRight(base, "/"), hc: hc, ua: ua}
	for _, o := range opts {
		o(&c)
	}
	if c.hc == nil {
		return Client{}, errors.New(what + " client: nil HTTP client")
	}
	return c, nil
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
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.hc.Do(req)
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
