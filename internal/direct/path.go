package direct

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz/clientopts"
	"github.com/prodlab/prodlab/internal/i18n"
)

// ErrNoBootstrap means a Path has no bootstrap address to make a client on.
var ErrNoBootstrap = errors.New("direct: no bootstrap address")

// Path is the lab's direct path to the brokers: the direct bootstrap, the
// proxy-to-broker bypass and the Kafka client settings. Every observer and
// admin client of the lab is made by one. A Path is immutable.
type Path struct {
	bootstrap []string
	bypass    func() map[string]string
	props     prodlab.ClientProps
	conn      []kgo.Opt // clientopts.Connect's, over Dial
}

// Opt configures a Path.
type Opt func(*Path)

// Bootstrap sets the brokers' direct listeners (host:port), default none:
// no client then (ErrNoBootstrap).
func Bootstrap(addrs ...string) Opt {
	return func(p *Path) { p.bootstrap = slices.Clone(addrs) }
}

// Bypass maps each proxy's listen address to its upstream: a client whose
// Metadata names a proxy dials the upstream instead. Default none.
func Bypass(up map[string]string) Opt {
	up = maps.Clone(up)
	return func(p *Path) { p.bypass = func() map[string]string { return up } }
}

// Follow is Bypass read anew at each dial, for proxies created as the
// lab runs.
func Follow(up func() map[string]string) Opt { return func(p *Path) { p.bypass = up } }

// Props sets the Kafka client settings (security, client.id), default
// none.
func Props(c prodlab.ClientProps) Opt { return func(p *Path) { p.props = c } }

// New returns the path opts describe, refusing a bootstrap address that
// is not host:port and client settings franz-go cannot apply.
func New(opts ...Opt) (*Path, error) {
	return (&Path{bypass: func() map[string]string { return nil }}).With(opts...)
}

// With returns a copy of p changed by opts, checked as New checks.
func (p *Path) With(opts ...Opt) (*Path, error) {
	q := *p
	for _, o := range opts {
		o(&q)
	}
	for _, b := range q.bootstrap {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return nil, i18n.Errorf("direct.bootstrap", "addr", strconv.Quote(b))
		}
	}
	conn, err := clientopts.Connect(q.props, q.Dial)
	if err != nil {
		return nil, err
	}
	q.conn = conn
	return &q, nil
}

func (p *Path) Bootstrap() []string { return p.bootstrap }

func (p *Path) Props() prodlab.ClientProps { return p.props }

// Proxies returns the listen addresses of the proxies bypassed, sorted.
func (p *Path) Proxies() []string { return slices.Sorted(maps.Keys(p.bypass())) }

// Upstream returns the upstream of the proxy listening on addr. Addresses
// match as IP and port, so [::1]:9092 is also [0:0:0:0:0:0:0:1]:9092.
func (p *Path) Upstream(addr string) (string, bool) {
	c := canon(addr)
	for listen, u := range p.bypass() {
		if listen == addr || canon(listen) == c {
			return u, true
		}
	}
	return "", false
}

func canon(addr string) string {
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()).String()
	}
	return addr
}

// Dial dials addr, or the upstream of the proxy listening there: the
// bypass without the client settings' TLS.
func (p *Path) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if up, ok := p.Upstream(addr); ok {
		addr = up
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// Client returns a kgo client seeded on the bootstrap that dials through
// the bypass with the client settings; opts come after the path's own.
func (p *Path) Client(opts ...kgo.Opt) (*kgo.Client, error) {
	if len(p.bootstrap) == 0 {
		return nil, ErrNoBootstrap
	}
	return kgo.NewClient(slices.Concat([]kgo.Opt{kgo.SeedBrokers(p.bootstrap...)}, p.conn, opts)...)
}

// Metadata asks the cluster, through a client made with opts, for its
// brokers and every topic.
func (p *Path) Metadata(ctx context.Context, opts ...kgo.Opt) (*kmsg.MetadataResponse, error) {
	return p.metadata(ctx, nil, opts)
}

// metadata asks for topics (nil: every topic; empty: none, brokers only).
func (p *Path) metadata(ctx context.Context, topics []kmsg.MetadataRequestTopic, opts []kgo.Opt) (*kmsg.MetadataResponse, error) {
	cl, err := p.Client(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = topics
	return req.RequestWith(ctx, cl)
}

// Broker is a live broker as the cluster advertises it to a client.
type Broker struct {
	NodeID int32
	Addr   string // host:port
}

// Brokers lists the live brokers, by node id, as the cluster advertises
// them on the bootstrap's listener, through a client made with opts.
func (p *Path) Brokers(ctx context.Context, opts ...kgo.Opt) ([]Broker, error) {
	// Brokers only: a cluster with many topics answers no topic list.
	resp, err := p.metadata(ctx, []kmsg.MetadataRequestTopic{}, opts)
	if err != nil {
		return nil, err
	}
	return BrokersOf(resp), nil
}

// BrokersOf returns the brokers of a Metadata answer, by node id.
func BrokersOf(resp *kmsg.MetadataResponse) []Broker {
	out := make([]Broker, 0, len(resp.Brokers))
	for _, b := range resp.Brokers {
		out = append(out, Broker{NodeID: b.NodeID, Addr: net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))})
	}
	slices.SortFunc(out, func(a, b Broker) int { return cmp.Compare(a.NodeID, b.NodeID) })
	return out
}
