package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
)

// FranzName is the name of the franz-go engine.
const FranzName = "franz"

func init() { register(FranzName, newFranz) }

// franz is the pure-Go engine over github.com/twmb/franz-go/pkg/kgo. Its key
// partitioning is murmur2, like the Java client's.
type franz struct {
	plain, idem *kgo.Client
	admin       *kadm.Client
	max         int64
	inflight    [2]atomic.Int64 // records awaiting their promise: plain, idempotent

	mu     sync.RWMutex // guards closed against in-flight Produce calls
	closed bool
}

func newFranz(cfg Config) (Engine, error) {
	common := []kgo.Opt{
		kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.ProduceRequestTimeout(cfg.RequestTimeout / 2),
		kgo.RequestTimeoutOverhead(cfg.RequestTimeout - cfg.RequestTimeout/2),
		kgo.RecordDeliveryTimeout(cfg.DeliveryTimeout),
		kgo.RetryBackoffFn(func(int) time.Duration { return cfg.RetryBackoff }),
		kgo.ProducerLinger(cfg.Linger),
		// Produce counts its own records and refuses past MaxBuffered, so
		// kgo's limit, whose refusal arrives asynchronously, is a backstop.
		kgo.MaxBufferedRecords(cfg.MaxBuffered + 1024),
		kgo.RecordPartitioner(partitioner{}),
		kgo.UnknownTopicRetries(2),
		kgo.WithLogger(kgoLogger{cfg.Logger}),
	}
	if cfg.Dial != nil {
		common = append(common, kgo.Dialer(cfg.Dial))
	}
	acks := kgo.LeaderAck()
	switch cfg.AcksPlain {
	case "0":
		acks = kgo.NoAck()
	case "all", "-1":
		acks = kgo.AllISRAcks()
	}
	plain, err := kgo.NewClient(append(common,
		kgo.DisableIdempotentWrite(),
		kgo.RequiredAcks(acks),
		kgo.RecordRetries(cfg.Retries),
	)...)
	if err != nil {
		return nil, fmt.Errorf("franz plain producer: %w", err)
	}
	idem, err := kgo.NewClient(append(common, kgo.RequiredAcks(kgo.AllISRAcks()))...)
	if err != nil {
		plain.Close()
		return nil, fmt.Errorf("franz idempotent producer: %w", err)
	}
	return &franz{plain: plain, idem: idem, admin: kadm.NewClient(plain), max: int64(cfg.MaxBuffered)}, nil
}

func (f *franz) Name() string { return FranzName }

func (f *franz) client(mode prodlab.Mode) *kgo.Client {
	if mode == prodlab.Idempotent {
		return f.idem
	}
	return f.plain
}

func (f *franz) Produce(mode prodlab.Mode, m prodlab.Message, fn func(prodlab.Delivery)) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return prodlab.ErrClosed
	}
	r := &kgo.Record{Topic: m.Topic, Key: m.Key, Value: m.Value}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	// The context is the engine's own, never the caller's: a client that
	// hangs up must not cancel a queued send (franz-go issue #859).
	ctx := context.Background()
	if m.Partition != prodlab.AnyPartition {
		ctx = context.WithValue(ctx, explicitPartition{}, m.Partition)
	}
	inflight := &f.inflight[0]
	if mode == prodlab.Idempotent {
		inflight = &f.inflight[1]
	}
	if inflight.Add(1) > f.max {
		inflight.Add(-1)
		return prodlab.ErrBufferFull
	}
	f.client(mode).TryProduce(ctx, r, func(r *kgo.Record, err error) {
		inflight.Add(-1)
		switch {
		case errors.Is(err, kgo.ErrMaxBuffered):
			err = prodlab.ErrBufferFull
		case errors.Is(err, kerr.UnknownTopicOrPartition):
			err = fmt.Errorf("%w: %s", prodlab.ErrUnknownTopic, r.Topic)
		}
		fn(prodlab.Delivery{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Err: err})
	})
	return nil
}

func (f *franz) Partitions(ctx context.Context, topic string) (int32, error) {
	topics, err := f.admin.ListTopics(ctx, topic)
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

func (f *franz) Ready(ctx context.Context) error {
	if err := f.plain.Ping(ctx); err != nil {
		return fmt.Errorf("franz: brokers unreachable: %w", err)
	}
	if _, _, err := f.idem.ProducerID(ctx); err != nil {
		return fmt.Errorf("franz: no producer id yet: %w", err)
	}
	return nil
}

func (f *franz) Flush(ctx context.Context) error {
	return errors.Join(f.plain.Flush(ctx), f.idem.Flush(ctx))
}

func (f *franz) Close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.plain.Close()
	f.idem.Close()
}

// explicitPartition is the context key of a record's requested partition.
type explicitPartition struct{}

// partitioner sends a record to its requested partition, if any, and
// otherwise hashes its key with murmur2 as the Java client does.
type partitioner struct{}

func (partitioner) ForTopic(topic string) kgo.TopicPartitioner {
	return topicPartitioner{kgo.StickyKeyPartitioner(nil).ForTopic(topic)}
}

type topicPartitioner struct{ keyed kgo.TopicPartitioner }

func (topicPartitioner) RequiresConsistency(*kgo.Record) bool { return true }

func (p topicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Context != nil {
		if v, ok := r.Context.Value(explicitPartition{}).(int32); ok && int(v) < n {
			return int(v)
		}
	}
	return p.keyed.Partition(r, n)
}

// kgoLogger sends franz-go's warnings and errors to slog.
type kgoLogger struct{ l *slog.Logger }

func (k kgoLogger) Level() kgo.LogLevel {
	if k.l == nil {
		return kgo.LogLevelNone
	}
	return kgo.LogLevelWarn
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	logKgo(k.l, level, msg, keyvals) // franzlog.go
}
