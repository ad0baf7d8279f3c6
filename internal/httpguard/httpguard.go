// Package httpguard closes the lab's HTTP listeners to other origins: a Host
// allow-list against DNS rebinding and http.CrossOriginProtection against
// cross-site requests, both answering a JSON 403. Requests without browser
// headers (curl, the CLI, scripts) and same-origin ones pass unchanged.
package httpguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/prodlab/prodlab/internal/httpjson"
)

// ErrBadHost is returned for an allowed host that is not a host name.
var ErrBadHost = errors.New("not a host name")

// Guard checks every request's Host header and origin.
type Guard struct {
	hosts   map[string]bool // exact names
	domains []string        // ".example.com": the domain and its subdomains
	cop     *http.CrossOriginProtection
}

type cfg struct {
	allow []string // AllowHosts' names, as given
}

// Opt configures a Guard.
type Opt func(*cfg)

// AllowHosts adds names the Host header may carry, besides localhost, its
// subdomains and every IP literal (DNS rebinding needs a host name). A
// name starting with "." allows that domain and its subdomains; an IP or
// an empty name adds nothing. New refuses a name CheckHost refuses.
func AllowHosts(names ...string) Opt { return func(c *cfg) { c.allow = append(c.allow, names...) } }

// CheckHost reports whether name can be given to AllowHosts: an IP
// address, or a host name of letters, digits, '-' and '.', optionally
// starting with '.', without a port.
func CheckHost(name string) error {
	h := normalize(name)
	if isIP(h) {
		return nil
	}
	label := strings.TrimPrefix(h, ".")
	if label == "" || len(label) > 253 {
		return errors.Join(ErrBadHost, errors.New(strconv.Quote(name)+": 1 to 253 characters"))
	}
	for _, part := range strings.Split(label, ".") {
		if part == "" || len(part) > 63 {
			return errors.Join(ErrBadHost, errors.New(strconv.Quote(name)+": empty or over-long label"))
		}
		if strings.ContainsFunc(part, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') }) {
			return errors.Join(ErrBadHost, errors.New(strconv.Quote(name)+": use letters, digits, '-' and '.', without a port"))
		}
	}
	return nil
}

// New returns a Guard allowing the defaults plus what opts add. A name
// CheckHost refuses is an error that names AllowHosts and wraps ErrBadHost.
func New(opts ...Opt) (*Guard, error) {
	var c cfg
	for _, o := range opts {
		o(&c)
	}
	g := &Guard{hosts: map[string]bool{"localhost": true}, cop: crossOrigin()}
	for _, n := range c.allow {
		h := normalize(n)
		if h == "" || isIP(h) {
			continue
		}
		if err := CheckHost(n); err != nil {
			return nil, fmt.Errorf("httpguard: AllowHosts: %w", err)
		}
		if strings.HasPrefix(h, ".") {
			g.domains = append(g.domains, h)
		} else {
			g.hosts[h] = true
		}
	}
	return g, nil
}

func crossOrigin() *http.CrossOriginProtection {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusForbidden, "", "cross-origin request refused: "+r.Method+" "+r.URL.Path+
			" accepts only requests from its own origin or from clients that are not browsers (curl, scripts)")
	}))
	return cop
}

// CrossOrigin returns h behind http.CrossOriginProtection only, with the JSON
// 403: for a handler acting on the caller's behalf, on any listener.
func CrossOrigin(h http.Handler) http.Handler { return crossOrigin().Handler(h) }

// Allowed reports whether a request's Host header value is allowed.
func (g *Guard) Allowed(hostHeader string) bool {
	h := hostOnly(hostHeader) // "" matches none of these
	return isIP(h) || g.hosts[h] || strings.HasSuffix(h, ".localhost") ||
		slices.ContainsFunc(g.domains, func(d string) bool { return h == d[1:] || strings.HasSuffix(h, d) })
}

// Wrap returns h behind the guard. It also sets X-Content-Type-Options:
// nosniff on every answer.
func (g *Guard) Wrap(h http.Handler) http.Handler {
	inner := g.cop.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if !g.Allowed(r.Host) {
			httpjson.Error(w, http.StatusForbidden, "Host", "host "+strconv.Quote(r.Host)+
				" is not allowed: use localhost or an IP address, or start the lab with --allowed-host NAME")
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// Fast serves h behind the guard on fasthttp, through Wrap, but first offers
// native (which reports whether it answered) the requests Wrap would pass that
// carry no browser header: an allowed Host, no Origin, no Sec-Fetch-Site.
func (g *Guard) Fast(native func(*fasthttp.RequestCtx) bool, h http.Handler) fasthttp.RequestHandler {
	slow := fasthttpadaptor.NewFastHTTPHandler(g.Wrap(h))
	var last atomic.Pointer[string] // the last Host allowed: a client sends the same one each time
	allowed := func(host []byte) bool {
		if p := last.Load(); p != nil && *p == string(host) {
			return true
		}
		s := string(host)
		ok := g.Allowed(s)
		if ok {
			last.Store(&s)
		}
		return ok
	}
	return func(ctx *fasthttp.RequestCtx) {
		hdr := &ctx.Request.Header
		if len(hdr.Peek("Origin")) == 0 && len(hdr.Peek("Sec-Fetch-Site")) == 0 && allowed(hdr.Host()) && native(ctx) {
			ctx.Response.Header.SetCanonical(nosniffKey, nosniff)
			return
		}
		slow(ctx)
	}
}

var nosniffKey, nosniff = []byte("X-Content-Type-Options"), []byte("nosniff")

// hostOnly returns the normalized host of a Host header, without its port.
func hostOnly(hostHeader string) string {
	h := hostHeader
	if host, port, err := net.SplitHostPort(h); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil && port != "" {
			return ""
		}
		h = host
	}
	return normalize(h) // which also drops the brackets of a bare IPv6
}

// normalize lower-cases a host name, drops a trailing dot and IPv6 brackets.
func normalize(h string) string {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	return h
}

func isIP(h string) bool {
	if i := strings.IndexByte(h, '%'); i >= 0 { // IPv6 zone
		h = h[:i]
	}
	return net.ParseIP(h) != nil
}
