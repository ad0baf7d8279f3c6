package toxi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// ErrTooManyProxies means a Dialer reached MaxProxies: the broker is not
// dialled at all rather than around Toxiproxy.
var ErrTooManyProxies = errors.New("too many broker proxies")

// DialerOpt configures a Dialer.
type DialerOpt func(*dialerCfg)

type dialerCfg struct {
	max     int
	nodeIDs func(context.Context) (map[string]int32, error)
	timeout time.Duration
}

// MaxProxies caps the proxies a Dialer creates, default 64.
func MaxProxies(n int) DialerOpt { return func(c *dialerCfg) { c.max = n } }

// NodeIDs maps each live broker's advertised host:port to its node id, so
// that its proxy is broker-<id>; asked once per new address. Default none:
// proxies are named after their addresses.
func NodeIDs(fn func(context.Context) (map[string]int32, error)) DialerOpt {
	return func(c *dialerCfg) { c.nodeIDs = fn }
}

// ProxyTimeout bounds the creation of one proxy, node id lookup included,
// default 30 s.
func ProxyTimeout(d time.Duration) DialerOpt { return func(c *dialerCfg) { c.timeout = d } }

// Dialer routes each connection of a Kafka client through a proxy of s
// that it creates on the first dial of each broker address, for a cluster
// that advertises its own addresses.
//
// DialContext gets the broker's real host:port and returns a plain TCP
// connection to a loopback proxy forwarding to it: the caller does TLS
// (and SASL) over it with ServerName from that host, as kgo's
// DialTLSConfig does.
type Dialer struct {
	s   *Server
	cfg dialerCfg
	net net.Dialer

	mu      sync.Mutex
	proxies map[string]*dialProxy // by upstream host:port; bounded by cfg.max
	names   map[string]bool       // proxy names taken
}

// dialProxy is one broker's proxy, ready once done is closed.
type dialProxy struct {
	done   chan struct{}
	name   string
	listen string
	err    error
}

// NewDialer returns a Dialer creating its proxies in s.
func NewDialer(s *Server, opts ...DialerOpt) (*Dialer, error) {
	c := dialerCfg{max: 64, timeout: 30 * time.Second}
	for _, o := range opts {
		o(&c)
	}
	if c.max < 1 {
		return nil, fmt.Errorf("toxi: MaxProxies must be >= 1, got %d", c.max)
	}
	if c.timeout <= 0 {
		return nil, fmt.Errorf("toxi: ProxyTimeout must be > 0, got %v", c.timeout)
	}
	return &Dialer{s: s, cfg: c, proxies: map[string]*dialProxy{}, names: map[string]bool{}}, nil
}

// DialContext dials addr through its proxy, created on the first dial of
// addr (concurrent first dials share it); kgo.Dialer's signature.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, fmt.Errorf("toxi dialer: network %q: only tcp", network)
	}
	p, err := d.proxy(addr)
	if err != nil {
		return nil, err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the proxy of %s: %w", addr, ctx.Err())
	}
	if p.err != nil {
		return nil, p.err
	}
	return d.net.DialContext(ctx, "tcp", p.listen)
}

// proxy returns addr's proxy, starting its creation if it has none.
func (d *Dialer) proxy(addr string) (*dialProxy, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("toxi dialer: %q is not host:port", addr)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.proxies[addr]; ok {
		return p, nil
	}
	if len(d.proxies) >= d.cfg.max {
		return nil, fmt.Errorf("%w: %d, the cap, already; %s gets none (toxi.MaxProxies)", ErrTooManyProxies, d.cfg.max, addr)
	}
	p := &dialProxy{done: make(chan struct{})}
	d.proxies[addr] = p
	// Not bound to the first dial's context: others may wait for it.
	go d.create(p, addr, host, port)
	return p, nil
}

// create names and adds addr's proxy on a free loopback port; a failed
// creation is forgotten, for a later dial to try again.
func (d *Dialer) create(p *dialProxy, addr, host, port string) {
	defer close(p.done)
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.timeout)
	defer cancel()
	var id *int32
	if d.cfg.nodeIDs != nil {
		if ids, err := d.cfg.nodeIDs(ctx); err == nil {
			if n, ok := ids[addr]; ok {
				id = &n
			}
		}
	}
	d.mu.Lock()
	name := d.name(id, host, port)
	d.names[name] = true
	d.mu.Unlock()
	listen, err := d.s.AddProxy(name, "127.0.0.1:0", addr)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		delete(d.proxies, addr)
		delete(d.names, name)
		p.err = fmt.Errorf("toxi dialer: proxy for %s: %w", addr, err)
		return
	}
	p.name, p.listen = name, listen
}

// name returns a free proxy name, d.mu held: broker-<id>, else
// broker-<host>-<port> with '-' for every character a URL path would
// escape, plus -2, -3... if taken.
func (d *Dialer) name(id *int32, host, port string) string {
	base := toxiclient.DialerPrefix + sanitize(host) + "-" + port
	if id != nil {
		base = toxiclient.DialerPrefix + strconv.Itoa(int(*id))
	}
	name := base
	for i := 2; d.names[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// DialerProxy is one proxy a Dialer created.
type DialerProxy struct {
	Name, Listen, Upstream string
}

// Proxies returns the proxies created so far, in no order.
func (d *Dialer) Proxies() []DialerProxy {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []DialerProxy
	for up, p := range d.proxies {
		select {
		case <-p.done:
			if p.err == nil {
				out = append(out, DialerProxy{Name: p.name, Listen: p.listen, Upstream: up})
			}
		default:
		}
	}
	return out
}
