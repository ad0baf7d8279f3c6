package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
)

// discoverTimeout bounds each question asked of a running cluster.
const discoverTimeout = 15 * time.Second

// maxLayoutNodes bounds the node ids the layout gives ports to.
const maxLayoutNodes = 9

// Found is what Discover learnt: whether every live broker advertises the
// DIRECT address Layout gives its node id (so it has PROXIED listeners),
// and the highest node id of a live broker or of a replica.
type Found struct {
	Layout    bool
	MaxNodeID int32
	bootstrap string
}

// Discover asks the cluster on p's bootstrap whether it has this layout.
func Discover(ctx context.Context, p *direct.Path) (Found, error) {
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	f := Found{bootstrap: strings.Join(p.Bootstrap(), ",")}
	resp, err := p.Metadata(ctx, kgo.DialTimeout(2*time.Second))
	if err != nil {
		return f, &i18n.Error{Msg: i18n.M("kafkalocal.noAnswer", "bootstrap", f.bootstrap, "err", i18n.Reason(err)), Err: err}
	}
	brokers := direct.BrokersOf(resp)
	f.Layout = len(brokers) > 0
	for _, b := range brokers {
		f.MaxNodeID = max(f.MaxNodeID, b.NodeID)
		f.Layout = f.Layout && b.NodeID >= 1 && b.NodeID <= maxLayoutNodes && b.Addr == DirectAddr(int(b.NodeID))
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			for _, r := range p.Replicas {
				f.MaxNodeID = max(f.MaxNodeID, r)
			}
		}
	}
	return f, nil
}

// Upstreams returns the PROXIED listeners of nodes 1 to MaxNodeID: the
// upstreams of the lab's proxies on a cluster of this layout.
func (f Found) Upstreams() ([]string, error) {
	if f.MaxNodeID < 1 || f.MaxNodeID > maxLayoutNodes {
		return nil, fmt.Errorf("external kafka %s: highest node id %d is not the lab's layout (node ids 1..%d); give the proxied listeners with --upstreams",
			f.bootstrap, f.MaxNodeID, maxLayoutNodes)
	}
	ups := make([]string, f.MaxNodeID)
	for i := range ups {
		ups[i] = ProxiedUpstream(i + 1)
	}
	return ups, nil
}

// CheckAdvertised fails unless every broker the cluster advertises through
// the first proxy that answers (p's settings, no bypass) is on a proxy's
// port: producers would bypass Toxiproxy.
func CheckAdvertised(ctx context.Context, p *direct.Path, proxies []string) error {
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	ports := map[string]bool{}
	for _, px := range proxies {
		if _, port, err := net.SplitHostPort(px); err == nil {
			ports[port] = true
		}
	}
	var (
		brokers []direct.Broker
		via     string
		errs    []error
	)
	for _, px := range proxies {
		through, err := p.With(direct.Bootstrap(px), direct.Bypass(nil))
		if err != nil {
			return err
		}
		if brokers, err = through.Brokers(ctx, kgo.DialTimeout(2*time.Second), kgo.RequestRetries(1)); err == nil {
			via = px
			break
		}
		errs = append(errs, fmt.Errorf("through proxy %s: %w", px, err))
	}
	if via == "" {
		return fmt.Errorf("external kafka: no proxied listener answers (are the upstreams the brokers' PROXIED listeners?): %w", errors.Join(errs...))
	}
	var stray []string
	for _, b := range brokers {
		if _, port, _ := net.SplitHostPort(b.Addr); !ports[port] {
			stray = append(stray, fmt.Sprintf("broker %d advertises %s", b.NodeID, b.Addr))
		}
	}
	if len(stray) > 0 {
		slices.Sort(stray)
		return errors.New("external kafka: " + strings.Join(stray, ", ") + " through proxy " + via +
			", where no Toxiproxy proxy listens (proxies: " + strings.Join(proxies, ", ") + "); producers would bypass Toxiproxy")
	}
	return nil
}
