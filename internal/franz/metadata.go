package franz

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz/clientopts"
)

// Metadata answers prodlab.Producer.Partitions through an admin client;
// the librdkafka engine uses it too.
type Metadata struct {
	own *kgo.Client // closed by Close; nil when the client is the engine's
	cl  *kgo.Client

	mu      sync.Mutex
	counts  map[string]int32 // topic → the count Partitions last returned, at most maxCounts
	changed func(ctx context.Context, topic string, n int32)
}

// maxCounts bounds the partition counts Metadata remembers.
const maxCounts = 1024

// OnCountChange has Partitions call fn, before it returns, when a topic's
// count differs from its last answer (the topic recreated, or grown): the
// engine's producers, which keep their own metadata for minutes, then
// learn the new count before the API sends to it.
func (m *Metadata) OnCountChange(fn func(ctx context.Context, topic string, n int32)) {
	m.changed = fn
}

// NewMetadata returns an admin client of cfg.Metadata through
// cfg.MetadataDial or, when unset, of cfg.Bootstrap.
func NewMetadata(cfg prodlab.Config) (*Metadata, error) {
	brokers, dial := cfg.Metadata, cfg.MetadataDial
	if len(brokers) == 0 {
		brokers, dial = cfg.Bootstrap, nil
	}
	conn, err := clientopts.Connect(cfg.Client, dial)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.WithLogger(kgoLogger{cfg.Logger})}, conn...)...)
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	return &Metadata{own: cl, cl: cl}, nil
}

// Close releases the client, if m made it.
func (m *Metadata) Close() {
	if m.own != nil {
		m.own.Close()
	}
}

// Partitions returns topic's partition count, asked of a broker each time:
// kadm answers from a cache of up to 5 s, which hides a topic just
// recreated with another count.
func (m *Metadata) Partitions(ctx context.Context, topic string) (int32, error) {
	n, err := m.partitions(ctx, topic)
	if err != nil || m.changed == nil {
		return n, err
	}
	m.mu.Lock()
	old, seen := m.counts[topic]
	if m.counts == nil || len(m.counts) >= maxCounts {
		m.counts = make(map[string]int32)
	}
	m.counts[topic] = n
	m.mu.Unlock()
	if seen && old != n {
		m.changed(ctx, topic, n)
	}
	return n, nil
}

func (m *Metadata) partitions(ctx context.Context, topic string) (int32, error) {
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics, req.AllowAutoTopicCreation = []kmsg.MetadataRequestTopic{rt}, false
	resp, err := req.RequestWith(ctx, m.cl)
	if err != nil {
		return 0, err
	}
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		switch err := kerr.ErrorForCode(t.ErrorCode); {
		case err == nil:
			return int32(len(t.Partitions)), nil
		case !errors.Is(err, kerr.UnknownTopicOrPartition):
			return 0, err
		}
	}
	return 0, fmt.Errorf("%w: %s", prodlab.ErrUnknownTopic, topic)
}
