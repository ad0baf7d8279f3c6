package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz/clientopts"
	"github.com/prodlab/prodlab/internal/kafkalocal"
)

// externalTimeout bounds each question Open asks an external cluster.
const externalTimeout = 15 * time.Second

// maxExternalBrokers bounds the node ids layoutUpstreams accepts: the
// jar layout gives broker i the ports of prodlab.Ports +i-1.
const maxExternalBrokers = 9

// metadata asks an external cluster, through its direct bootstrap, for
// every broker and topic, with the client settings client.
func metadata(ctx context.Context, direct []string, client prodlab.ClientProps) (*kmsg.MetadataResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, externalTimeout)
	defer cancel()
	conn, err := clientopts.Connect(client, nil)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(conn, kgo.SeedBrokers(direct...), kgo.DialTimeout(2*time.Second))...)
	if err != nil {
		return nil, fmt.Errorf("external kafka %s: %w", strings.Join(direct, ","), err)
	}
	defer cl.Close()
	resp, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl) // nil Topics: every topic
	if err != nil {
		return nil, fmt.Errorf("external kafka %s does not answer Metadata: %w (is it running? scripts/kafka-local.sh up)", strings.Join(direct, ","), err)
	}
	return resp, nil
}

// layoutUpstreams returns, for an external cluster laid out as by
// kafkalocal (node ids 1..N), the PROXIED listener of every node from 1 to
// the highest node id resp knows, in node id order. Node ids come from the
// live brokers and from every partition's replicas, so a broker that is
// down still gets its proxy.
func layoutUpstreams(resp *kmsg.MetadataResponse, direct []string) ([]string, error) {
	maxID := int32(0)
	seen := func(id int32) { maxID = max(maxID, id) }
	for _, b := range resp.Brokers {
		seen(b.NodeID)
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			for _, r := range p.Replicas {
				seen(r)
			}
		}
	}
	if maxID < 1 || maxID > maxExternalBrokers {
		return nil, fmt.Errorf("external kafka %s: highest node id %d is not the lab's layout (node ids 1..%d); give the proxied listeners with --upstreams",
			strings.Join(direct, ","), maxID, maxExternalBrokers)
	}
	ups := make([]string, maxID)
	for i := range ups {
		ups[i] = kafkalocal.ProxiedUpstream(i + 1)
	}
	return ups, nil
}

// jarLayout reports whether every live broker in resp advertises, on the
// listener asked, the DIRECT address the jar layout gives its node id:
// such a cluster also has PROXIED listeners that advertise Toxiproxy's
// ports. Any other cluster advertises only its own addresses.
func jarLayout(resp *kmsg.MetadataResponse) bool {
	for _, b := range resp.Brokers {
		if b.NodeID < 1 || b.NodeID > maxExternalBrokers ||
			net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))) != kafkalocal.DirectAddr(int(b.NodeID)) {
			return false
		}
	}
	return len(resp.Brokers) > 0
}

// advertised maps each live broker's advertised host:port to its node id.
func advertised(resp *kmsg.MetadataResponse) map[string]int32 {
	m := make(map[string]int32, len(resp.Brokers))
	for _, b := range resp.Brokers {
		m[net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))] = b.NodeID
	}
	return m
}

// checkAdvertised asks the cluster through the proxies (the first that
// answers) which brokers it advertises there, and fails unless every one is
// a port Toxiproxy listens on: otherwise producers would reach a broker
// around Toxiproxy. client holds the settings of the cluster's clients.
func checkAdvertised(ctx context.Context, proxies []string, client prodlab.ClientProps) error {
	ctx, cancel := context.WithTimeout(ctx, externalTimeout)
	defer cancel()
	conn, err := clientopts.Connect(client, nil)
	if err != nil {
		return err
	}
	ports := map[string]bool{}
	for _, p := range proxies {
		if _, port, err := net.SplitHostPort(p); err == nil {
			ports[port] = true
		}
	}
	var (
		resp *kmsg.MetadataResponse
		via  string
		errs []error
	)
	for _, p := range proxies {
		cl, err := kgo.NewClient(append(conn, kgo.SeedBrokers(p), kgo.DialTimeout(2*time.Second), kgo.RequestRetries(1))...)
		if err != nil {
			return err
		}
		req := kmsg.NewPtrMetadataRequest()
		req.Topics = []kmsg.MetadataRequestTopic{}
		resp, err = req.RequestWith(ctx, cl)
		cl.Close()
		if err == nil {
			via = p
			break
		}
		errs = append(errs, fmt.Errorf("through proxy %s: %w", p, err))
	}
	if via == "" {
		return fmt.Errorf("external kafka: no proxied listener answers (are the upstreams the brokers' PROXIED listeners?): %w", errors.Join(errs...))
	}
	var stray []string
	for _, b := range resp.Brokers {
		addr := net.JoinHostPort(b.Host, fmt.Sprint(b.Port))
		if !ports[fmt.Sprint(b.Port)] {
			stray = append(stray, fmt.Sprintf("broker %d advertises %s", b.NodeID, addr))
		}
	}
	if len(stray) > 0 {
		slices.Sort(stray)
		return errors.New("external kafka: " + strings.Join(stray, ", ") + " through proxy " + via +
			", where no Toxiproxy proxy listens (proxies: " + strings.Join(proxies, ", ") + "); producers would bypass Toxiproxy")
	}
	return nil
}
