// Package kproxy relays the Kafka protocol between Toxiproxy and the
// brokers of a cluster that advertises its own addresses, and rewrites
// every answer that names a broker to name that broker's Toxiproxy proxy,
// so that every client bootstrapped at the lab's proxy reaches every
// broker through Toxiproxy:
//
//	client -> Toxiproxy "kafka" -> relay listener -> bootstrap broker
//	client -> Toxiproxy "broker-<id>" -> relay listener -> broker <id>
//
// Only the answers of RewrittenKeys and ApiVersions are parsed (kmsg);
// every other byte passes through untouched.
package kproxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"
)

// Proxies creates Toxiproxy proxies, as *toxi.Server does: AddProxy starts
// proxy name from listen (port 0: any) to upstream and returns the address
// it listens on.
type Proxies interface {
	AddProxy(name, listen, upstream string) (string, error)
}

// ErrTooManyBrokers means an answer named a broker past the 64th: its
// connection is closed rather than the broker's own address passed on.
var ErrTooManyBrokers = errors.New("kproxy: too many brokers")

// ErrClosed is returned by Listen after Close.
var ErrClosed = errors.New("kproxy: closed")

// DialFunc dials a broker; see Dial.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Opt configures a Relay.
type Opt func(*cfg)

type cfg struct {
	host      string
	advertise string // what rewritten answers name: host, or 127.0.0.1 for an unspecified host
	dial      DialFunc
	logger    *slog.Logger
	clientTLS *tls.Config
}

// The relay's bounds: the brokers it makes proxies for, and each dial of a
// broker or creation of its proxy.
const (
	maxBrokers = 64
	timeout    = 30 * time.Second
)

// Host is the interface the brokers' Toxiproxy proxies listen on, default
// 127.0.0.1. The relay's own listeners always bind 127.0.0.1.
func Host(h string) Opt { return func(c *cfg) { c.host = h } }

// Dial dials the brokers (with TLS for an SSL cluster), default a
// net.Dialer.
func Dial(fn DialFunc) Opt { return func(c *cfg) { c.dial = fn } }

// Logger receives the relay's logs, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// ClientTLS makes the relay serve TLS to clients with t (see LabCA),
// default none.
func ClientTLS(t *tls.Config) Opt { return func(c *cfg) { c.clientTLS = t } }

// Relay is a running relay: its listeners and its brokers' proxies.
type Relay struct {
	cfg cfg
	px  Proxies

	mu      sync.Mutex
	closed  bool
	lns     []net.Listener
	conns   map[net.Conn]struct{}
	brokers map[string]*broker // by advertised host:port
	names   map[string]bool
	proxied map[string]bool // every proxy address: left as it is
	wg      sync.WaitGroup
}

// broker is one broker's proxy, ready once done is closed.
type broker struct {
	done   chan struct{}
	err    error
	info   Broker
	host   string
	port   int32
	listen string // the relay's listener
}

// Broker is one broker the relay has given a proxy: its node id when
// first seen, its proxy's name (broker-<id>) and address, which answers
// name, and the address the broker advertises.
type Broker struct {
	NodeID                int32
	Name, Proxy, Upstream string
}

// New returns a relay that creates its brokers' proxies in px.
func New(px Proxies, opts ...Opt) (*Relay, error) {
	c := cfg{host: "127.0.0.1"}
	for _, o := range opts {
		o(&c)
	}
	if px == nil {
		return nil, errors.New("kproxy: no Proxies")
	}
	c.advertise = c.host
	if ip := net.ParseIP(c.host); c.host == "" || ip != nil && ip.IsUnspecified() {
		c.advertise = "127.0.0.1"
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.dial == nil {
		d := &net.Dialer{}
		c.dial = d.DialContext
	}
	return &Relay{cfg: c, px: px, conns: map[net.Conn]struct{}{}, brokers: map[string]*broker{},
		names: map[string]bool{}, proxied: map[string]bool{}}, nil
}

// Listen starts a relay listener on a free 127.0.0.1 port that relays
// each connection to the first of upstreams that accepts it, and returns
// its address: the upstream of the proxy clients bootstrap at.
func (r *Relay) Listen(upstreams ...string) (string, error) {
	if len(upstreams) == 0 {
		return "", errors.New("kproxy: Listen with no upstream")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		ln.Close()
		return "", ErrClosed
	}
	r.lns = append(r.lns, ln)
	r.wg.Add(1)
	go r.accept(ln, upstreams)
	return ln.Addr().String(), nil
}

// Exempt marks addr as a proxy's address: answers keep it.
func (r *Relay) Exempt(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.proxied[addr] = true
}

func (r *Relay) accept(ln net.Listener, upstreams []string) {
	defer r.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !r.track(c) {
			c.Close()
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer r.untrack(c)
			r.relay(c, upstreams)
		}()
	}
}

// track records c for Close, unless the relay is closed.
func (r *Relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *Relay) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	c.Close()
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

// addr is the relay's addrFunc: the proxy of the broker advertising
// host:port, created on first sight.
func (r *Relay) addr(nodeID int32, host string, port int32) (string, int32, error) {
	up := net.JoinHostPort(host, strconv.Itoa(int(port)))
	b, err := r.broker(nodeID, up, host, port)
	if err != nil {
		return "", 0, err
	}
	if b == nil {
		return host, port, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	select {
	case <-b.done:
	case <-ctx.Done():
		return "", 0, fmt.Errorf("kproxy: waiting for the proxy of broker %d (%s): %w", nodeID, up, ctx.Err())
	}
	if b.err != nil {
		return "", 0, b.err
	}
	return b.host, b.port, nil
}

// broker returns the broker advertising up, starting its proxy's creation
// on first sight; nil for a proxy's address.
func (r *Relay) broker(nodeID int32, up, host string, port int32) (*broker, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.proxied[up] {
		return nil, nil
	}
	if b, ok := r.brokers[up]; ok {
		return b, nil
	}
	if r.closed {
		return nil, ErrClosed
	}
	if len(r.brokers) >= maxBrokers {
		return nil, fmt.Errorf("%w: %d already; broker %d (%s) gets none", ErrTooManyBrokers, maxBrokers, nodeID, up)
	}
	name := "broker-" + strconv.Itoa(int(nodeID))
	for i := 2; r.names[name]; i++ {
		name = "broker-" + strconv.Itoa(int(nodeID)) + "-" + strconv.Itoa(i)
	}
	b := &broker{done: make(chan struct{}), info: Broker{NodeID: nodeID, Name: name, Upstream: up}}
	r.brokers[up], r.names[name] = b, true
	// Not bound to the first asker: other connections may wait for it.
	go r.create(b)
	return b, nil
}

// create starts b's relay listener and its Toxiproxy proxy; a failed
// creation is forgotten, for a later answer to try again.
func (r *Relay) create(b *broker) {
	defer close(b.done)
	fail := func(err error) {
		b.err = fmt.Errorf("kproxy: proxy of broker %d (%s): %w", b.info.NodeID, b.info.Upstream, err)
		r.mu.Lock()
		delete(r.brokers, b.info.Upstream)
		delete(r.names, b.info.Name)
		r.mu.Unlock()
		r.cfg.logger.Error("broker proxy not created", "broker", b.info.NodeID, "upstream", b.info.Upstream, "err", err)
	}
	listen, err := r.Listen(b.info.Upstream)
	if err != nil {
		fail(err)
		return
	}
	proxy, err := r.px.AddProxy(b.info.Name, net.JoinHostPort(r.cfg.host, "0"), listen)
	if err != nil {
		fail(err)
		return
	}
	_, ps, err := net.SplitHostPort(proxy)
	port, perr := strconv.Atoi(ps)
	if err != nil || perr != nil {
		fail(fmt.Errorf("toxiproxy listens on %q", proxy))
		return
	}
	r.mu.Lock()
	b.host, b.port, b.listen = r.cfg.advertise, int32(port), listen
	b.info.Proxy = net.JoinHostPort(b.host, ps)
	r.proxied[b.info.Proxy] = true
	r.mu.Unlock()
	r.cfg.logger.Info("broker proxy created", "name", b.info.Name, "proxy", b.info.Proxy, "upstream", b.info.Upstream)
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

// Close stops every listener and connection and waits for them; the
// Toxiproxy proxies stay.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	for _, ln := range r.lns {
		ln.Close()
	}
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}
