package lab

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab/internal/franz/clientopts"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/kproxy"
	"github.com/prodlab/prodlab/internal/toxi"
)

// FaultMode says how Toxiproxy comes between the producers and the brokers.
type FaultMode string

// The fault modes.
const (
	// FaultsAuto picks Proxied for the embedded cluster, for --upstreams
	// and for the jar layout (its brokers have PROXIED listeners), and
	// Relayed for any other external cluster.
	FaultsAuto FaultMode = ""
	// Proxied: one proxy per broker (kafka, kafka-2...), created at start,
	// in front of a listener that advertises the proxy, so that every
	// client that reads Metadata crosses Toxiproxy, both APIs included.
	Proxied FaultMode = "proxied"
	// Dialed: the brokers advertise their own addresses, as every managed
	// service does. The franz-go API dials each broker through a proxy
	// that its dialer creates on the first dial (broker-<id>, see
	// toxi.Dialer). librdkafka has no dialer hook: its connections go
	// straight to the brokers and no fault reaches them. Only on demand
	// (--faults dialer): Relayed serves every client.
	Dialed FaultMode = "dialer"
	// Relayed: the brokers advertise their own addresses. Proxy kafka is
	// the lab's bootstrap for every client: behind it, kproxy rewrites
	// every answer that names a broker to name that broker's proxy
	// (broker-<id>, created on first sight), so both APIs, and any client
	// bootstrapped there, cross Toxiproxy. SASL passes through; with TLS
	// (SSL, SASL_SSL) the relay serves the lab CA's certificate to the
	// clients (LabCA) and verifies the brokers with the client settings.
	Relayed FaultMode = "relay"
)

// ParseFaultMode returns the mode named s: auto (or empty), proxied,
// relay or dialer.
func ParseFaultMode(s string) (FaultMode, error) {
	switch m := FaultMode(s); m {
	case "auto", FaultsAuto:
		return FaultsAuto, nil
	case Proxied, Dialed, Relayed:
		return m, nil
	}
	return "", i18n.Errorf("fault.bad", "value", strconv.Quote(s))
}

// Describe says in one line what the mode does, for the banner, in the
// process's language.
func (m FaultMode) Describe() string {
	switch m {
	case Dialed:
		return i18n.T("fault.dialer")
	case Proxied:
		return i18n.T("fault.proxied")
	case Relayed:
		return i18n.T("fault.relay")
	}
	return string(m)
}

// externalFaults picks the fault mode of the external cluster and, in
// Proxied mode, the upstreams of its proxies: Upstreams, else those of
// kafkalocal's layout.
func (l *Lab) externalFaults(ctx context.Context) (FaultMode, []string, error) {
	if len(l.cfg.Upstreams) > 0 {
		return Proxied, l.cfg.Upstreams, nil
	}
	found, err := kafkalocal.Discover(ctx, l.path)
	if err != nil {
		return "", nil, err
	}
	mode := l.cfg.Faults
	if mode == FaultsAuto {
		mode = Relayed
		if found.Layout {
			mode = Proxied
		}
	}
	if mode == Dialed || mode == Relayed {
		return mode, nil, nil
	}
	ups, err := found.Upstreams()
	return Proxied, ups, err
}

// openDialer creates the dialer of Dialed mode. Its proxies are named
// after the node ids the direct path reads from the cluster's Metadata.
func (l *Lab) openDialer() error {
	nodeIDs := func(ctx context.Context) (map[string]int32, error) {
		bs, err := l.path.Brokers(ctx)
		if err != nil {
			return nil, err
		}
		m := make(map[string]int32, len(bs))
		for _, b := range bs {
			m[b.Addr] = b.NodeID
		}
		return m, nil
	}
	var err error
	l.dialer, err = toxi.NewDialer(l.toxi, toxi.NodeIDs(nodeIDs))
	return err
}

// openRelay starts the relay of Relayed mode to the cluster's bootstrap
// and returns its listener, the upstream of proxy kafka. With TLS, the
// relay serves the lab CA's certificate (created in the data dir, or in a
// directory removed at Close without one) and dials the brokers with the
// client settings' TLS.
func (l *Lab) openRelay() (string, error) {
	opts := []kproxy.Opt{kproxy.Host(l.cfg.Host), kproxy.Logger(l.cfg.Logger.With("part", "kproxy"))}
	sec, err := l.cfg.Producer.Client.Security()
	if err != nil {
		return "", err
	}
	if sec.TLS() {
		dir := l.cfg.DataDir
		if dir == "" {
			if dir, err = os.MkdirTemp("", "prodlab-ca-"); err != nil {
				return "", err
			}
			l.closers = append(l.closers, func() { os.RemoveAll(dir) })
		}
		srv, ca, err := kproxy.LabCA(dir, "127.0.0.1", "localhost", l.cfg.Host)
		if err != nil {
			return "", err
		}
		brokers, err := clientopts.TLSConfig(sec)
		if err != nil {
			return "", err
		}
		l.labCA = ca
		opts = append(opts, kproxy.ClientTLS(srv), kproxy.Dial(clientopts.TLSDialer(brokers, nil)))
	}
	if l.relay, err = kproxy.New(l.toxi, opts...); err != nil {
		return "", err
	}
	l.closers = append(l.closers, func() { l.relay.Close() })
	return l.relay.Listen(l.path.Bootstrap()...)
}

// LabCA is the path of the lab CA's certificate, which a client of a TLS
// cluster must trust to use the lab's bootstrap in Relayed mode; empty
// without TLS.
func (l *Lab) LabCA() string { return l.labCA }

// FaultMode is the lab's mode: Proxied or Dialed.
func (l *Lab) FaultMode() FaultMode { return l.mode }

// DialerProxies are the broker proxies the dialer (Dialed mode) or the
// relay (Relayed mode) has created so far, sorted by name; none in
// Proxied mode.
func (l *Lab) DialerProxies() []toxi.DialerProxy {
	var ps []toxi.DialerProxy
	switch {
	case l.dialer != nil:
		ps = l.dialer.Proxies()
	case l.relay != nil:
		for _, b := range l.relay.Brokers() {
			ps = append(ps, toxi.DialerProxy{Name: b.Name, Listen: b.Proxy, Upstream: b.Upstream})
		}
	}
	slices.SortFunc(ps, func(a, b toxi.DialerProxy) int { return strings.Compare(a.Name, b.Name) })
	return ps
}
