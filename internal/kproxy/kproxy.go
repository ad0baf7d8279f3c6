// Package kproxy relays the Kafka protocol between Toxiproxy and the
// brokers of a cluster that advertises its own addresses, rewriting (kmsg)
// every answer that names a broker to name that broker's Toxiproxy proxy:
//
//	client -> Toxiproxy "kafka" -> relay listener -> bootstrap broker
//	client -> Toxiproxy "broker-<id>" -> relay listener -> broker <id>
//
// DialContext gives a franz-go client the same proxies, with no relay.
package kproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/prodlab/prodlab/internal/accept"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// Proxies creates Toxiproxy proxies as *toxi.Server.AddProxy does.
type Proxies interface {
	AddProxy(name, listen, upstream string) (string, error)
}

var (
	// ErrTooManyBrokers means a broker came past MaxBrokers: its answer's
	// connection is closed, or its dial refused, not let around Toxiproxy.
	ErrTooManyBrokers = errors.New("kproxy: too many brokers")
	// ErrClosed is returned by Listen after Close.
	ErrClosed = errors.New("kproxy: closed")
)

// Opt configures a Relay.
type Opt func(*cfg)

type cfg struct {
	host      string
	advertise string // what rewritten answers name: host, or 127.0.0.1 for an unspecified host
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	logger    *slog.Logger
	clientTLS *tls.Config
	max       int
	nodeIDs   func(context.Context) (map[string]int32, error)
}

// timeout bounds each dial of a broker and each creation of its proxy.
const timeout = 30 * time.Second

// Host is the interface the brokers' Toxiproxy proxies listen on, default
// 127.0.0.1. The relay's own listeners always bind 127.0.0.1.
func Host(h string) Opt { return func(c *cfg) { c.host = h } }

// Dial dials the brokers (with TLS for an SSL cluster), default a net.Dialer.
func Dial(fn func(ctx context.Context, network, addr string) (net.Conn, error)) Opt {
	return func(c *cfg) { c.dial = fn }
}

// Logger receives the relay's logs, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// ClientTLS makes the relay serve TLS to clients with t (LabCA), default none.
func ClientTLS(t *tls.Config) Opt { return func(c *cfg) { c.clientTLS = t } }

// MaxBrokers caps the brokers the relay makes proxies for, default 64.
func MaxBrokers(n int) Opt { return func(c *cfg) { c.max = n } }

// NodeIDs maps each broker's advertised host:port to its node id, asked once
// per new address for DialContext's proxy names, default none.
func NodeIDs(fn func(context.Context) (map[string]int32, error)) Opt {
	return func(c *cfg) { c.nodeIDs = fn }
}

// Relay is a running relay: its listeners and its brokers' proxies.
type Relay struct {
	cfg cfg
	px  Proxies

	mu      sync.Mutex
	closed  bool
	open    map[io.Closer]bool // listeners and connections, for Close
	brokers map[string]*broker // by advertised host:port; bounded by cfg.max
	names   map[string]bool    // proxy names taken
	proxied map[string]bool    // every proxy address: left as it is
	wg      sync.WaitGroup
}

// broker is one broker's proxy, ready once done is closed.
type broker struct {
	done chan struct{}
	err  error
	info Broker
	port int32 // of info.Listen
}

// Broker is a broker given a proxy: its node id when first seen (-1 if
// unknown), its proxy's name and address, and its advertised address.
type Broker struct {
	NodeID                 int32
	Name, Listen, Upstream string
}

// New returns a relay that creates its brokers' proxies in px.
func New(px Proxies, opts ...Opt) (*Relay, error) {
	c := cfg{host: "127.0.0.1", max: 64, logger: slog.Default(), dial: (&net.Dialer{}).DialContext}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case c.max < 1:
		return nil, fmt.Errorf("kproxy: MaxBrokers must be >= 1, got %d", c.max)
	case px == nil:
		return nil, errors.New("kproxy: no Proxies")
	case c.logger == nil:
		return nil, errors.New("kproxy: Logger must not be nil")
	case c.dial == nil:
		return nil, errors.New("kproxy: Dial must not be nil")
	}
	c.advertise = c.host
	if ip := net.ParseIP(c.host); c.host == "" || ip != nil && ip.IsUnspecified() {
		c.advertise = "127.0.0.1"
	}
	return &Relay{cfg: c, px: px, open: map[io.Closer]bool{}, brokers: map[string]*broker{},
		names: map[string]bool{}, proxied: map[string]bool{}}, nil
}

// Listen starts a relay listener on a free 127.0.0.1 port, relaying each
// connection to the first of upstreams that accepts it.
func (r *Relay) Listen(upstreams ...string) (string, error) {
	if len(upstreams) == 0 {
		return "", errors.New("kproxy: Listen with no upstream")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	if !r.track(ln) {
		ln.Close()
		return "", ErrClosed
	}
	go r.accept(ln, upstreams)
	return ln.Addr().String(), nil
}

func (r *Relay) accept(ln net.Listener, upstreams []string) {
	defer r.wg.Done()
	for {
		c, err := accept.Next(ln, r.cfg.logger)
		if err != nil {
			return
		}
		if !r.track(c) {
			c.Close()
			return
		}
		go func() {
			defer r.untrack(c)
			r.relay(c, upstreams)
		}()
	}
}

// track records c for Close and adds it to wg, unless the relay is closed.
func (r *Relay) track(c io.Closer) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.open[c] = true
	r.wg.Add(1)
	return true
}

// untrack closes c and undoes track.
func (r *Relay) untrack(c io.Closer) {
	r.mu.Lock()
	delete(r.open, c)
	r.mu.Unlock()
	c.Close()
	r.wg.Done()
}

// dialUpstream dials the first of upstreams that answers.
func (r *Relay) dialUpstream(upstreams []string) (net.Conn, error) {
	var errs []error
	for _, up := range upstreams {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		c, err := r.cfg.dial(ctx, "tcp", up)
		cancel()
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// addr is the relay's addrFunc: the proxy, in front of a relay listener,
// of the broker advertising host:port, created on first sight.
func (r *Relay) addr(nodeID int32, host string, port int32) (string, int32, error) {
	up := net.JoinHostPort(host, strconv.Itoa(int(port)))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	b, err := r.proxy(ctx, up, func() (int32, string, string, error) {
		listen, err := r.Listen(up)
		return nodeID, toxiclient.DialerPrefix + strconv.Itoa(int(nodeID)), listen, err
	})
	switch {
	case err != nil:
		return "", 0, err
	case b == nil:
		return host, port, nil
	}
	return r.cfg.advertise, b.port, nil
}

// DialContext, a kgo.Dialer, dials addr through its proxy, created on first
// dial: broker-<id> if NodeIDs knows addr, else broker-<host>-<port>. It is
// plain TCP: the caller does TLS over it, as kgo's DialTLSConfig does.
func (r *Relay) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, fmt.Errorf("kproxy: network %q: only tcp", network)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("kproxy: %q is not host:port", addr)
	}
	b, err := r.proxy(ctx, addr, func() (int32, string, string, error) {
		if r.cfg.nodeIDs != nil {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			if ids, err := r.cfg.nodeIDs(ctx); err == nil {
				if id, ok := ids[addr]; ok {
					return id, toxiclient.DialerPrefix + strconv.Itoa(int(id)), addr, nil
				}
			}
		}
		return -1, toxiclient.DialerPrefix + notNameChar.ReplaceAllLiteralString(host, "-") + "-" + port, addr, nil
	})
	if err != nil {
		return nil, err
	}
	if b != nil {
		addr = b.info.Listen
	}
	return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
}

// notNameChar matches each character of a host that a proxy's name replaces with '-'.
var notNameChar = regexp.MustCompile(`[^a-zA-Z0-9.-]`)

// proxy returns the broker advertising up once its proxy is ready (nil for
// a proxy's address), created on first sight from spec: node id, base name
// (-2, -3... added if taken) and upstream. A failure is forgotten, to retry.
func (r *Relay) proxy(ctx context.Context, up string, spec func() (int32, string, string, error)) (*broker, error) {
	r.mu.Lock()
	b, ok := r.brokers[up]
	switch {
	case r.proxied[up]:
		r.mu.Unlock()
		return nil, nil
	case ok:
	case r.closed:
		r.mu.Unlock()
		return nil, ErrClosed
	case len(r.brokers) >= r.cfg.max:
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: %d already; %s gets none (kproxy.MaxBrokers)", ErrTooManyBrokers, r.cfg.max, up)
	default:
		b = &broker{done: make(chan struct{}), info: Broker{NodeID: -1, Upstream: up}}
		r.brokers[up] = b
		go r.create(b, spec)
	}
	r.mu.Unlock()
	select {
	case <-b.done:
		return b, b.err
	case <-ctx.Done():
		return nil, fmt.Errorf("kproxy: waiting for the proxy of %s: %w", up, ctx.Err())
	}
}

// create names b and creates its Toxiproxy proxy.
func (r *Relay) create(b *broker, spec func() (int32, string, string, error)) {
	defer close(b.done)
	id, base, upstream, err := spec()
	r.mu.Lock()
	name := base
	for i := 2; r.names[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	r.names[name] = true
	b.info.NodeID, b.info.Name = id, name
	r.mu.Unlock()
	var listen string
	if err == nil {
		listen, err = r.px.AddProxy(name, net.JoinHostPort(r.cfg.host, "0"), upstream)
	}
	var port int
	if err == nil {
		_, ps, serr := net.SplitHostPort(listen)
		if port, err = strconv.Atoi(ps); serr != nil || err != nil {
			err = fmt.Errorf("toxiproxy listens on %q", listen)
		}
	}
	r.mu.Lock()
	if err != nil {
		delete(r.brokers, b.info.Upstream)
		delete(r.names, name)
	} else {
		b.port, b.info.Listen = int32(port), net.JoinHostPort(r.cfg.advertise, strconv.Itoa(port))
		r.proxied[b.info.Listen] = true
	}
	r.mu.Unlock()
	if err != nil {
		b.err = fmt.Errorf("kproxy: proxy of %s: %w", b.info.Upstream, err)
		r.cfg.logger.Error("broker proxy not created", "broker", id, "upstream", b.info.Upstream, "err", err)
		return
	}
	r.cfg.logger.Info("broker proxy created", "name", name, "proxy", b.info.Listen, "upstream", b.info.Upstream)
}

// Brokers returns the brokers whose proxies exist, in no order.
func (r *Relay) Brokers() []Broker {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Broker
	for _, b := range r.brokers {
		select {
		case <-b.done:
			if b.err == nil {
				out = append(out, b.info)
			}
		default:
		}
	}
	return out
}

// Close stops every listener and connection and waits for them; proxies stay.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	for c := range r.open {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}
