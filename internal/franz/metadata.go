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

// Metadata answers prodlab.Producer.Partitions through an admin client;
// the librdkafka engine uses it too.
type Metadata struct {
	own *kgo.Client // closed by Close; nil when the client is the engine's
	adm *kadm.Client
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
	return &Metadata{own: cl, adm: kadm.NewClient(cl)}, nil
}

// Close releases the client, if m made it.
func (m *Metadata) Close() {
	if m.own != nil {
		m.own.Close()
	}
}

// Partitions returns topic's partition count.
func (m *Metadata) Partitions(ctx context.Context, topic string) (int32, error) {
	topics, err := m.adm.ListTopics(ctx, topic)
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
