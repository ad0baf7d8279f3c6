package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/wait"
)

// probeTimeout bounds one readiness probe request.
const probeTimeout = 3 * time.Second

// probeOpts are the kgo options of every readiness probe.
var probeOpts = []kgo.Opt{kgo.RequestRetries(0), kgo.RetryTimeout(probeTimeout), kgo.MetadataMinAge(100 * time.Millisecond)}

// checkBroker returns nil if broker b answers Metadata on DIRECT, lists
// itself with its DIRECT address, and lists at least want brokers.
func checkBroker(ctx context.Context, b Broker, want int) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	addr := DirectAddr(b.NodeID)
	p, err := direct.New(direct.Bootstrap(addr))
	if err != nil {
		return err
	}
	brokers, err := p.Brokers(ctx, probeOpts...)
	if err != nil {
		return fmt.Errorf("broker %d (%s): %w", b.NodeID, addr, err)
	}
	self := slices.IndexFunc(brokers, func(d direct.Broker) bool { return int(d.NodeID) == b.NodeID })
	switch {
	case self < 0:
		return fmt.Errorf("broker %d is not registered yet", b.NodeID)
	case brokers[self].Addr != addr:
		return fmt.Errorf("broker %d advertises %s on DIRECT, want %s", b.NodeID, brokers[self].Addr, addr)
	case len(brokers) < want:
		return fmt.Errorf("broker %d sees %d of %d brokers", b.NodeID, len(brokers), want)
	}
	return nil
}

// waitFor checks, 200ms apart, until check returns nil, alive returns an
// error, or ctx ends; then it returns the last error.
func waitFor(ctx context.Context, what string, alive func() error, check func(context.Context) error) error {
	for {
		if err := alive(); err != nil {
			return err
		}
		last := check(ctx)
		if last == nil {
			return nil
		}
		if err := wait.For(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("kafkalocal: waiting for %s: %w (last: %v)", what, err, last)
		}
	}
}

// ensureTopic waits until spec's topic (created if missing) has a leader
// and a full ISR on every partition.
func ensureTopic(ctx context.Context, spec TopicSpec, alive func() error, addrs ...string) error {
	p, err := direct.New(direct.Bootstrap(addrs...))
	if err != nil {
		return err
	}
	cl, err := p.Client(probeOpts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	return waitFor(ctx, "topic "+spec.Name, alive, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*probeTimeout)
		defer cancel()
		return checkTopic(ctx, adm, spec)
	})
}

// checkTopic checks spec's partitions, leaders and ISR, creating the topic
// if missing.
func checkTopic(ctx context.Context, adm *kadm.Client, spec TopicSpec) error {
	tds, err := adm.ListTopics(ctx, spec.Name)
	if err != nil {
		return err
	}
	td, ok := tds[spec.Name]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
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
