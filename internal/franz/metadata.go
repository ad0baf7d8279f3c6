package franz

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz/clientopts"
)

// Metadata answers prodlab.Producer.Partitions through its own admin
// client; the librdkafka engine uses it too.
type Metadata struct {
	cl  *kgo.Client
	adm *kadm.Client
}

// NewMetadata returns the admin client of cfg.Metadata, or nil when unset.
func NewMetadata(cfg prodlab.Config) (*Metadata, error) {
	if len(cfg.Metadata) == 0 {
		return nil, nil
	}
	conn, err := clientopts.Connect(cfg.Client, cfg.MetadataDial)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(cfg.Metadata...), kgo.WithLogger(kgoLogger{cfg.Logger})}, conn...)...)
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	return &Metadata{cl: cl, adm: kadm.NewClient(cl)}, nil
}

// Close releases the client; a nil m is a no-op.
func (m *Metadata) Close() {
	if m != nil {
		m.cl.Close()
	}
}

// Partitions returns topic's partition count.
func (m *Metadata) Partitions(ctx context.Context, topic string) (int32, error) {
	return kadmPartitions(ctx, m.adm, topic)
}

// kadmPartitions reads topic's partition count with adm.
func kadmPartitions(ctx context.Context, adm *kadm.Client, topic string) (int32, error) {
	topics, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, err
	}
	td, ok := topics[topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return 0, fmt.Errorf("%w: %s", prodlab.ErrUnknownTopic, topic)
	}
	if td.Err != nil {
		return 0, td.Err
	}
	return int32(len(td.Partitions)), nil
}
