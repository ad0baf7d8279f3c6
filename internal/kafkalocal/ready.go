package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// probeTimeout bounds one readiness probe request.
const probeTimeout = 3 * time.Second

// directClient returns a client seeded with DIRECT addresses only.
func directClient(addrs ...string) (*kgo.Client, error) {
	return kgo.NewClient(
		kgo.SeedBrokers(addrs...),
		kgo.DialTimeout(2*time.Second),
		kgo.RequestRetries(0),
		kgo.RetryTimeout(probeTimeout),
		kgo.MetadataMinAge(100*time.Millisecond),
	)
}

// brokerProbe asks broker b, on its DIRECT listener only, for metadata.
type brokerProbe struct {
	b  Broker
	cl *kgo.Client
}

func newProbe(b Broker) (*brokerProbe, error) {
	cl, err := directClient(DirectAddr(b.NodeID))
	if err != nil {
		return nil, err
	}
	return &brokerProbe{b: b, cl: cl}, nil
}

// metadata returns the broker's own Metadata answer (no topics).
func (p *brokerProbe) metadata(ctx context.Context) (*kmsg.MetadataResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	seeds := p.cl.SeedBrokers()
	if len(seeds) == 0 {
		return nil, errors.New("no seed broker")
	}
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	resp, err := seeds[0].Request(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp.(*kmsg.MetadataResponse), nil
}

// check returns nil if the broker answers Metadata on DIRECT, lists itself
// with its DIRECT address, and lists at least want brokers.
func (p *brokerProbe) check(ctx context.Context, want int) error {
	m, err := p.metadata(ctx)
	if err != nil {
		return fmt.Errorf("broker %d (%s): %w", p.b.NodeID, DirectAddr(p.b.NodeID), err)
	}
	self := false
	for _, mb := range m.Brokers {
		if int(mb.NodeID) == p.b.NodeID {
			if got := hostPort(mb.Host, int(mb.Port)); got != DirectAddr(p.b.NodeID) {
				return fmt.Errorf("broker %d advertises %s on DIRECT, want %s", p.b.NodeID, got, DirectAddr(p.b.NodeID))
			}
			self = true
		}
	}
	if !self {
		return fmt.Errorf("broker %d is not registered yet", p.b.NodeID)
	}
	if len(m.Brokers) < want {
		return fmt.Errorf("broker %d sees %d of %d brokers", p.b.NodeID, len(m.Brokers), want)
	}
	return nil
}

func (p *brokerProbe) close() { p.cl.Close() }

// waitFor polls check every pollInterval until it returns nil, alive
// returns an error, or ctx ends; then it returns the last error.
func waitFor(ctx context.Context, what string, alive func() error, check func(context.Context) error) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	var last error
	for {
		if alive != nil {
			if err := alive(); err != nil {
				return err
			}
		}
		if last = check(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafkalocal: waiting for %s: %w (last: %v)", what, ctx.Err(), last)
		case <-t.C:
		}
	}
}

// waitBrokers waits until each broker in bs answers Metadata on its DIRECT
// listener, is registered, sees want brokers, and has its PROXIED listener
// bound.
func waitBrokers(ctx context.Context, bs []Broker, want int, alive func() error) error {
	probes := make([]*brokerProbe, 0, len(bs))
	defer func() {
		for _, p := range probes {
			p.close()
		}
	}()
	for _, b := range bs {
		p, err := newProbe(b)
		if err != nil {
			return err
		}
		probes = append(probes, p)
	}
	return waitFor(ctx, "brokers", alive, func(ctx context.Context) error {
		for _, p := range probes {
			if err := p.check(ctx, want); err != nil {
				return err
			}
			if err := dialOnce(p.b.Proxied.BindAddr()); err != nil {
				return fmt.Errorf("broker %d PROXIED listener: %w", p.b.NodeID, err)
			}
		}
		return nil
	})
}

// ensureTopic creates the training topic if it is missing and waits until
// every partition has a leader and a full ISR.
func ensureTopic(ctx context.Context, mode string, alive func() error) error {
	spec, err := Topic(mode)
	if err != nil {
		return err
	}
	boot, err := DirectBootstrap(mode)
	if err != nil {
		return err
	}
	cl, err := directClient(strings.Split(boot, ",")...)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	return waitFor(ctx, "topic "+spec.Name, alive, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*probeTimeout)
		defer cancel()
		return checkTopic(ctx, adm, spec, true)
	})
}

// checkTopic verifies spec's partitions, leaders and ISR; with create it
// creates the topic when it does not exist.
func checkTopic(ctx context.Context, adm *kadm.Client, spec TopicSpec, create bool) error {
	tds, err := adm.ListTopics(ctx, spec.Name)
	if err != nil {
		return err
	}
	td, ok := tds[spec.Name]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		if !create {
			return fmt.Errorf("topic %s does not exist", spec.Name)
		}
		configs := map[string]*string{}
		for k, v := range spec.Configs {
			configs[k] = kadm.StringPtr(v)
		}
		_, err := adm.CreateTopic(ctx, spec.Partitions, spec.ReplicationFactor, configs, spec.Name)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", spec.Name, err)
		}
		return fmt.Errorf("topic %s just created", spec.Name)
	}
	if td.Err != nil {
		return fmt.Errorf("topic %s: %w", spec.Name, td.Err)
	}
	if got := int32(len(td.Partitions)); got != spec.Partitions {
		return fmt.Errorf("topic %s has %d partitions, want %d", spec.Name, got, spec.Partitions)
	}
	for _, p := range td.Partitions.Sorted() {
		if p.Err != nil {
			return fmt.Errorf("%s[%d]: %w", spec.Name, p.Partition, p.Err)
		}
		if p.Leader < 0 {
			return fmt.Errorf("%s[%d] has no leader", spec.Name, p.Partition)
		}
		if len(p.ISR) < int(spec.ReplicationFactor) {
			return fmt.Errorf("%s[%d] ISR %v, want %d replicas", spec.Name, p.Partition, p.ISR, spec.ReplicationFactor)
		}
	}
	return nil
}
