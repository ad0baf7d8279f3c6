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
)

// FaultMode says how Toxiproxy comes between the producers and the brokers.
type FaultMode string

// The fault modes.
const (
	// FaultsAuto picks Proxied for the embedded cluster, --upstreams and
	// the jar layout (PROXIED listeners), else Relayed.
	FaultsAuto FaultMode = ""
	// Proxied: one proxy per broker (kafka, kafka-2...) in front of a
	// listener that advertises it, so every client crosses Toxiproxy.
	Proxied FaultMode = "proxied"
	// Dialed: the brokers advertise their own addresses; franz-go's
	// dialer reaches each through a proxy broker-<id> made on first dial
	// (kproxy's DialContext). librdkafka, with no dialer hook, goes straight.
	Dialed FaultMode = "dialer"
	// Relayed: the brokers advertise their own addresses; behind proxy
	// kafka, kproxy rewrites every broker address to that broker's proxy
	// (broker-<id>), so every client bootstrapped there crosses
	// Toxiproxy. With TLS the relay serves the lab CA's certificate
	// (LabCA) and verifies the brokers with the client settings.
	Relayed FaultMode = "relay"
)

// faultText holds the message describing each mode but FaultsAuto.
var faultText = map[FaultMode]string{Proxied: "fault.proxied", Dialed: "fault.dialer", Relayed: "fault.relay"}

// ParseFaultMode returns the mode named s: auto (or empty), proxied,
// relay or dialer.
func ParseFaultMode(s string) (FaultMode, error) {
	switch m := FaultMode(s); {
	case s == "auto":
		return FaultsAuto, nil
	case m == FaultsAuto || faultText[m] != "":
		return m, nil
	}
	return "", i18n.Errorf("fault.bad", "value", strconv.Quote(s))
}

// Describe says in one line what the mode does, in the process's language.
func (m FaultMode) Describe() string {
	if id, ok := faultText[m]; ok {
		return i18n.T(id)
	}
	return string(m)
}

// externalFaults picks the external cluster's fault mode and, in Proxied
// mode, its proxies' upstreams: Upstreams, else kafkalocal's layout's.
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

// openDialer creates the dialer of Dialed mode, which names its proxies
// after the node ids the direct path reads.
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
	l.relay, err = kproxy.New(l.toxi, kproxy.NodeIDs(nodeIDs), kproxy.Logger(l.cfg.Logger.With("part", "kproxy")))
	return err
}

// openRelay starts the relay of Relayed mode and returns its listener,
// the upstream of proxy kafka. With TLS, the lab CA lives in the data dir,
// else in a directory removed at Close.
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
// cluster trusts in Relayed mode; empty without TLS.
func (l *Lab) LabCA() string { return l.labCA }

// FaultMode is the lab's mode: Proxied, Dialed or Relayed.
func (l *Lab) FaultMode() FaultMode { return l.mode }

// DialerProxies are the broker proxies the dialer or the relay has made
// so far, sorted by name.
func (l *Lab) DialerProxies() []kproxy.Broker {
	if l.relay == nil {
		return nil
	}
	ps := l.relay.Brokers()
	slices.SortFunc(ps, func(a, b kproxy.Broker) int { return strings.Compare(a.Name, b.Name) })
	return ps
}
