package prodlab

import (
	"context"
	"time"
)

// Producer produces records through one Kafka client library; the engines
// (internal/franz, internal/librdkafka) implement it. It holds two
// producers, one per Mode, built from the same Config.
type Producer interface {
	// Name is the engine's name, reported in the "api" and "engine" fields.
	Name() string
	// Produce queues m on the producer for mode and calls fn exactly once
	// with the broker's answer. It never blocks: a full buffer returns
	// ErrBufferFull and a closed engine ErrClosed, and fn is then not
	// called.
	Produce(mode Mode, m Message, fn func(Delivery)) error
	// Partitions returns the partition count of topic, or an error wrapping
	// ErrUnknownTopic. With Config.Metadata set it asks those brokers, not
	// the producers' path.
	Partitions(ctx context.Context, topic string) (int32, error)
	// Ready returns nil once both producers can send without stalling: the
	// brokers answer and the idempotent producer holds its producer id.
	Ready(ctx context.Context) error
	// DeliveryTimeout is the configured bound on a record's life,
	// retries included (Config.DeliveryTimeout).
	DeliveryTimeout() time.Duration
	// Flush waits until every queued record has its answer, or ctx ends.
	Flush(ctx context.Context) error
	// Close stops taking sends, fails what is still queued and releases
	// the clients. Call Flush first to drain.
	Close()
}
