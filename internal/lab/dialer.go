package lab

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/toxi"
)

// FaultMode says how Toxiproxy comes between the producers and the brokers.
type FaultMode string

// The fault modes.
const (
	// FaultsAuto picks Proxied for the embedded cluster, for --upstreams
	// and for the jar layout (its brokers have PROXIED listeners), and
	// Dialed for any other external cluster.
	FaultsAuto FaultMode = ""
	// Proxied: one proxy per broker (kafka, kafka-2...), created at start,
	// in front of a listener that advertises the proxy, so that every
	// client that reads Metadata crosses Toxiproxy, both APIs included.
	Proxied FaultMode = "proxied"
	// Dialed: the brokers advertise their own addresses, as every managed
	// service does. The franz-go API dials each broker through a proxy
	// that its dialer creates on the first dial (broker-<id>, see
	// toxi.Dialer). librdkafka has no dialer hook: its connections go
	// straight to the brokers and no fault reaches them.
	Dialed FaultMode = "dialer"
)

// ParseFaultMode returns the mode named s: auto (or empty), proxied or
// dialer.
func ParseFaultMode(s string) (FaultMode, error) {
	switch m := FaultMode(s); m {
	case "auto", FaultsAuto:
		return FaultsAuto, nil
	case Proxied, Dialed:
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
	}
	return string(m)
}

// externalFaults picks the fault mode of the external cluster cfg names
// and, in Proxied mode, the upstreams of its proxies.
func externalFaults(ctx context.Context, cfg Config) (FaultMode, []string, error) {
	if len(cfg.Upstreams) > 0 {
		return Proxied, cfg.Upstreams, nil
	}
	resp, err := metadata(ctx, cfg.External, cfg.Producer.Client)
	if err != nil {
		return "", nil, err
	}
	mode := cfg.Faults
	if mode == FaultsAuto {
		mode = Dialed
		if jarLayout(resp) {
			mode = Proxied
		}
	}
	if mode == Dialed {
		return Dialed, nil, nil
	}
	ups, err := layoutUpstreams(resp, cfg.External)
	return Proxied, ups, err
}

// openDialer creates the dialer of Dialed mode. Its proxies are named
// after the node ids a direct client, with the lab's client settings,
// reads from the cluster's Metadata.
func (l *Lab) openDialer() error {
	conn, err := l.connect(nil)
	if err != nil {
		return err
	}
	cl, err := direct.NewClient(l.direct, nil, conn...)
	if err != nil {
		return fmt.Errorf("external kafka: %w", err)
	}
	l.meta = cl
	nodeIDs := func(ctx context.Context) (map[string]int32, error) {
		req := kmsg.NewPtrMetadataRequest()
		req.Topics = []kmsg.MetadataRequestTopic{} // brokers only
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return nil, err
		}
		return advertised(resp), nil
	}
	l.dialer, err = toxi.NewDialer(l.toxi, toxi.NodeIDs(nodeIDs))
	return err
}

// closeDialer releases the dialer's Metadata client.
func (l *Lab) closeDialer() {
	if l.meta != nil {
		l.meta.Close()
		l.meta = nil
	}
}

// FaultMode is the lab's mode: Proxied or Dialed.
func (l *Lab) FaultMode() FaultMode { return l.mode }

// DialerProxies are the proxies the dialer has created so far, sorted by
// name; none outside Dialed mode.
func (l *Lab) DialerProxies() []toxi.DialerProxy {
	if l.dialer == nil {
		return nil
	}
	ps := l.dialer.Proxies()
	slices.SortFunc(ps, func(a, b toxi.DialerProxy) int { return strings.Compare(a.Name, b.Name) })
	return ps
}
