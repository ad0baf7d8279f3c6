//go:build cgo

// Package librdkafka is the producer engine over librdkafka, through cgo;
// a build with CGO_ENABLED=0 leaves it out.
package librdkafka

import (
	"cmp"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz"
	"github.com/prodlab/prodlab/internal/wait"
)

// librdkafka is the engine over librdkafka (confluent-kafka-go); keys are
// hashed with murmur2, as the Java client does.
type librdkafka struct {
	prod            [2]*rdProducer // plain, idempotent; the latter is replaced after a fatal error, under mu
	*franz.Metadata                // answers Partitions
	delivery        time.Duration
	idemCfg         kafka.ConfigMap // to build a new idempotent producer
	log             *slog.Logger
	renewals        sync.WaitGroup // idempotent producers being replaced
	lastRenew       time.Time      // guarded by renewMu
	renewMu         sync.Mutex     // one renewal at a time

	mu     sync.RWMutex // guards closed against in-flight Produce calls
	closed bool
}

// statsInterval is how often each producer reports its statistics, which
// feed Ready (the idempotent producer's id) and Metrics.
const statsInterval = 100 * time.Millisecond

// closeGrace bounds how long Close waits for librdkafka to report the
// records it purges.
const closeGrace = 5 * time.Second

// rdProducer is one librdkafka producer and the drains of its events and logs.
type rdProducer struct {
	name string // "plain" or "idempotent"
	kp   *kafka.Producer
	log  *slog.Logger

	pendingMu sync.Mutex
	pending   list.List // callbacks of the records accepted, not yet answered

	last atomic.Pointer[stats] // the latest statistics, for Metrics and Ready

	closing atomic.Bool // set by close: connection errors are expected
	auth    authErrors  // explains timeouts caused by authentication or TLS
	onFatal func(*rdProducer)
	fatalAt sync.Once
	drains  sync.WaitGroup // the event and log drains
}

// outMsg is a record handed to confluent-kafka-go, which copies it into C
// and keeps only its opaque: reused through outMsgs.
type outMsg struct {
	km    kafka.Message
	topic string
	hdrs  [2]kafka.Header // the API's eventId and mode headers
}

var outMsgs = sync.Pool{New: func() any { return new(outMsg) }}

// idemState is the idempotence state librdkafka reports in its statistics.
type idemState struct {
	State      string `json:"idemp_state"`
	ProducerID int64  `json:"producer_id"`
}

// New validates cfg and returns the librdkafka engine.
func New(cfg prodlab.Config) (prodlab.Producer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ms := func(d time.Duration) int { return int(d.Milliseconds()) }
	backoff := max(ms(cfg.RetryBackoff), 1) // librdkafka's minimum is 1 ms
	common := kafka.ConfigMap{
		"bootstrap.servers": strings.Join(cfg.Bootstrap, ","),
		// The broker's ack timeout, sent in each ProduceRequest.
		"request.timeout.ms": ms(cfg.RequestTimeout),
		// The client's own deadline for a request, after which it closes
		// the connection and retries, as Java does at request.timeout.ms.
		"socket.timeout.ms":                  ms(cfg.RequestTimeout),
		"socket.connection.setup.timeout.ms": 10000,
		"reconnect.backoff.ms":               100,
		"reconnect.backoff.max.ms":           1000,
		"message.timeout.ms":                 ms(cfg.DeliveryTimeout),
		"retry.backoff.ms":                   backoff,
		"retry.backoff.max.ms":               backoff, // constant, not exponential
		"linger.ms":                          ms(cfg.Linger),
		"queue.buffering.max.messages":       cfg.MaxBuffered,
		"partitioner":                        "murmur2_random",
		"allow.auto.create.topics":           false,
		"enable.metrics.push":                false, // no KIP-714 telemetry
		"go.delivery.report.fields":          "none",
		"go.events.channel.size":             10000,
		"go.produce.channel.size":            1,
		"go.logs.channel.enable":             true,
		"statistics.interval.ms":             int(statsInterval.Milliseconds()),
	}
	if d := cfg.MaxIdle(); d > 0 { // librdkafka's default, 0, keeps them
		common["connections.max.idle.ms"] = ms(d)
	}
	secCommon, secPlain, err := clientConfig(cfg.Client)
	if err != nil {
		return nil, err
	}
	plainCfg, idemCfg := maps.Clone(common), maps.Clone(common)
	maps.Copy(plainCfg, kafka.ConfigMap{"client.id": "prodlab-plain", "enable.idempotence": false, "acks": cfg.AcksPlain, "retries": cfg.Retries})
	// retries stays at its idempotent default: until message.timeout.ms.
	maps.Copy(idemCfg, kafka.ConfigMap{"client.id": "prodlab-idempotent", "enable.idempotence": true, "acks": "all"})
	maps.Copy(plainCfg, secCommon) // security settings, and a client.id given
	maps.Copy(idemCfg, secCommon)
	maps.Copy(plainCfg, secPlain)

	logger := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)).With("engine", prodlab.Librdkafka)
	l := &librdkafka{delivery: cfg.DeliveryTimeout, idemCfg: idemCfg, log: logger}
	plain, err := newRdProducer("plain", plainCfg, logger, nil)
	if err != nil {
		return nil, fmt.Errorf("librdkafka plain producer: %w", err)
	}
	idem, err := newRdProducer("idempotent", idemCfg, logger, l.fatal)
	if err != nil {
		plain.close()
		return nil, fmt.Errorf("librdkafka idempotent producer: %w", err)
	}
	meta, err := franz.NewMetadata(cfg)
	if err != nil {
		plain.close()
		idem.close()
		return nil, err
	}
	l.prod, l.Metadata = [2]*rdProducer{plain, idem}, meta
	meta.OnCountChange(l.refresh)
	return l, nil
}

// fatal replaces the idempotent producer p after its fatal error (e.g. a
// topic recreated under load): what p holds fails with it or ErrClosed.
func (l *librdkafka) fatal(p *rdProducer) {
	l.renewals.Go(func() {
		l.renewMu.Lock()
		defer l.renewMu.Unlock()
		// At most one new producer a second, should each one fail at once.
		if wait := time.Second - time.Since(l.lastRenew); wait > 0 {
			time.Sleep(wait)
		}
		l.lastRenew = time.Now()
		np, err := newRdProducer("idempotent", l.idemCfg, l.log, l.fatal)
		if err != nil {
			l.log.Error("librdkafka: cannot replace the idempotent producer after its fatal error", "err", err)
			return
		}
		l.mu.Lock()
		if l.closed || l.prod[1] != p {
			l.mu.Unlock()
			np.close()
			return
		}
		l.prod[1] = np
		l.mu.Unlock()
		l.log.Warn("librdkafka: idempotent producer replaced after a fatal error")
		p.close()
	})
}

func (l *librdkafka) DeliveryTimeout() time.Duration { return l.delivery }

// refresh has both producers read topic's metadata again, now that its
// count is n: librdkafka would otherwise hash keys over the old count, and
// refuse a new partition, until its own refresh
// (topic.metadata.refresh.interval.ms, 5 min).
func (l *librdkafka) refresh(ctx context.Context, topic string, n int32) {
	for _, p := range l.producers() {
		if _, err := p.kp.GetMetadata(&topic, false, msLeft(ctx)); err != nil {
			l.log.Warn("librdkafka: metadata refresh after a partition count change failed", "topic", topic, "partitions", n, "err", err)
		}
	}
}

// msLeft is the time left before ctx's deadline in milliseconds, librdkafka's
// bound on a call: 5 s without a deadline, 0 once past it.
func msLeft(ctx context.Context) int {
	if dl, ok := ctx.Deadline(); ok {
		return max(int(time.Until(dl).Milliseconds()), 0)
	}
	return 5000
}

// producers returns both producers, plain first.
func (l *librdkafka) producers() [2]*rdProducer {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.prod
}

// newRdProducer starts a producer; onFatal, if set, runs on its first fatal error.
func newRdProducer(name string, cm kafka.ConfigMap, logger *slog.Logger, onFatal func(*rdProducer)) (*rdProducer, error) {
	p := &rdProducer{
		name:    name,
		onFatal: onFatal,
		log:     logger.With("producer", name),
	}
	kp, err := kafka.NewProducer(&cm)
	if err != nil {
		return nil, err
	}
	p.kp = kp
	p.drains.Go(p.drainLogs)
	p.drains.Go(p.drainEvents)
	return p, nil
}

func (l *librdkafka) Name() string { return prodlab.Librdkafka }

func (l *librdkafka) Produce(mode prodlab.Mode, m prodlab.Message, fn func(prodlab.Delivery)) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return prodlab.ErrClosed
	}
	p := l.prod[0]
	if mode == prodlab.Idempotent {
		p = l.prod[1]
	}
	return p.produce(m, fn)
}

func (p *rdProducer) produce(m prodlab.Message, fn func(prodlab.Delivery)) error {
	o := outMsgs.Get().(*outMsg)
	o.topic = m.Topic
	o.km = kafka.Message{
		// prodlab.AnyPartition is -1, librdkafka's RD_KAFKA_PARTITION_UA:
		// the partitioner hashes the key.
		TopicPartition: kafka.TopicPartition{Topic: &o.topic, Partition: m.Partition},
		Key:            m.Key,
		Value:          m.Value,
		Headers:        o.hdrs[:0],
	}
	for _, h := range m.Headers {
		o.km.Headers = append(o.km.Headers, kafka.Header(h))
	}
	// The callback is registered before the record is queued: its delivery
	// report may arrive before Produce returns.
	r := p.add(fn)
	o.km.Opaque = r
	err := p.kp.Produce(&o.km, nil)
	*o = outMsg{} // the pool keeps no record alive
	outMsgs.Put(o)
	if err == nil {
		return nil
	}
	p.take(r)
	switch ke, _ := errors.AsType[kafka.Error](err); ke.Code() {
	case kafka.ErrQueueFull:
		return prodlab.ErrBufferFull
	case kafka.ErrFatal: // the engine is replacing this producer: a retry will succeed
		return fmt.Errorf("librdkafka %s producer hit a fatal error and is being replaced (%v): %w", p.name, err, prodlab.ErrClosed)
	}
	return fmt.Errorf("librdkafka %s producer: %w", p.name, err)
}

// add registers fn as pending; its element is the record's opaque, so no
// map or id finds it.
func (p *rdProducer) add(fn func(prodlab.Delivery)) *list.Element {
	p.pendingMu.Lock()
	defer p.pendingMu.Unlock()
	return p.pending.PushBack(fn)
}

// take removes and returns r's callback, or nil if r is nil or was already
// taken: whoever takes it calls it, so each one runs once.
func (p *rdProducer) take(r *list.Element) func(prodlab.Delivery) {
	p.pendingMu.Lock()
	defer p.pendingMu.Unlock()
	if r == nil || r.Value == nil {
		return nil
	}
	fn := p.pending.Remove(r).(func(prodlab.Delivery))
	r.Value = nil
	return fn
}

// unanswered returns how many records await their callback.
func (p *rdProducer) unanswered() int {
	p.pendingMu.Lock()
	defer p.pendingMu.Unlock()
	return p.pending.Len()
}

// drainEvents serves every event of the producer until it is closed:
// delivery reports, client errors and statistics.
func (p *rdProducer) drainEvents() {
	for ev := range p.kp.Events() {
		switch e := ev.(type) {
		case *kafka.Message:
			r, _ := e.Opaque.(*list.Element)
			if fn := p.take(r); fn != nil {
				fn(p.auth.explain(delivery(e)))
			}
		case kafka.Error:
			p.auth.note(e)
			lvl := slog.LevelWarn
			switch {
			case e.IsFatal():
				lvl = slog.LevelError
				if p.onFatal != nil && !p.closing.Load() {
					p.fatalAt.Do(func() { p.onFatal(p) })
				}
			case p.closing.Load():
				lvl = slog.LevelDebug
			}
			p.log.Log(context.Background(), lvl, "librdkafka: "+e.Error(), "code", e.Code().String(), "fatal", e.IsFatal())
		case *kafka.Stats:
			var s stats // kept for Metrics and Ready
			if json.Unmarshal([]byte(e.String()), &s) == nil {
				p.last.Store(&s)
			}
		}
	}
}

// delivery converts a delivery report.
func delivery(m *kafka.Message) prodlab.Delivery {
	d := prodlab.Delivery{Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset)}
	if m.TopicPartition.Topic != nil {
		d.Topic = *m.TopicPartition.Topic
	}
	if d.Offset < 0 {
		d.Offset = -1 // unknown, as with acks=0
	}
	if err := m.TopicPartition.Error; err != nil {
		if ke, _ := errors.AsType[kafka.Error](err); ke.Code() == kafka.ErrUnknownTopicOrPart || ke.Code() == kafka.ErrUnknownTopic {
			err = fmt.Errorf("%w: %s: %v", prodlab.ErrUnknownTopic, d.Topic, err)
		}
		d.Err = err
	}
	return d
}

// producerID waits until the statistics report an assigned producer id.
func (p *rdProducer) producerID(ctx context.Context) error {
	var st idemState
	err := wait.Until(ctx, func() bool {
		if s := p.last.Load(); s != nil && s.EOS != nil {
			st = *s.EOS
		}
		return st.State == "Assigned" && st.ProducerID >= 0
	})
	switch {
	case err == nil:
		return nil
	case st.State == "":
		return fmt.Errorf("no idempotence state reported yet: %w", err)
	}
	return fmt.Errorf("idempotence state %s: %w", st.State, err)
}

// drainLogs sends librdkafka's logs to slog until the producer's Close
// closes their channel.
func (p *rdProducer) drainLogs() {
	for e := range p.kp.Logs() {
		p.log.Log(context.Background(), syslogLevels[min(max(e.Level, 0), 7)], "librdkafka: "+e.Message, "tag", e.Tag, "client", e.Name)
	}
}

// syslogLevels maps a syslog severity (0-7), as librdkafka logs, to slog.
var syslogLevels = [8]slog.Level{slog.LevelError, slog.LevelError, slog.LevelError, slog.LevelError,
	slog.LevelWarn, slog.LevelInfo, slog.LevelInfo, slog.LevelDebug}

// Ready checks that the brokers answer a metadata request, then waits until
// the idempotent producer's statistics report an assigned producer id.
func (l *librdkafka) Ready(ctx context.Context) error {
	timeout := msLeft(ctx) // librdkafka needs a bound: ctx's, if it has one
	if err := ctx.Err(); err != nil || timeout < 1 {
		return cmp.Or(err, context.DeadlineExceeded)
	}
	ps := l.producers()
	if _, err := ps[0].kp.GetMetadata(nil, false, timeout); err != nil {
		return fmt.Errorf("librdkafka: brokers unreachable: %w", err)
	}
	if err := ps[1].producerID(ctx); err != nil {
		return fmt.Errorf("librdkafka: no producer id yet: %w", err)
	}
	return nil
}

// Flush waits until every accepted record has had its callback. With
// linger.ms above 0 a batch still waits for its linger.
func (l *librdkafka) Flush(ctx context.Context) error {
	for _, p := range l.producers() {
		if err := wait.Until(ctx, func() bool { return p.unanswered() == 0 }); err != nil {
			return fmt.Errorf("librdkafka %s producer: %d records unanswered: %w", p.name, p.unanswered(), err)
		}
	}
	return nil
}

// Close purges what is queued or in flight, which librdkafka reports as
// failed, then destroys both producers; a record never reported gets ErrClosed.
func (l *librdkafka) Close() {
	l.mu.Lock()
	already, ps := l.closed, l.prod
	l.closed = true
	l.mu.Unlock()
	if already {
		return
	}
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(p.close)
	}
	wg.Wait()
	l.renewals.Wait()
	l.Metadata.Close()
}

func (p *rdProducer) close() {
	p.closing.Store(true)
	if err := p.kp.Purge(kafka.PurgeQueue | kafka.PurgeInFlight); err != nil {
		p.log.Warn("librdkafka purge", "err", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	_ = wait.Until(ctx, func() bool { return p.unanswered() == 0 }) // else reported below
	cancel()
	p.kp.Close() // closes Events() and Logs(), which ends the drains
	p.drains.Wait()
	p.pendingMu.Lock()
	var left []func(prodlab.Delivery)
	for r := p.pending.Front(); r != nil; r = r.Next() {
		left = append(left, r.Value.(func(prodlab.Delivery)))
		r.Value = nil // a late take finds nothing
	}
	p.pending.Init()
	p.pendingMu.Unlock()
	for _, fn := range left {
		fn(prodlab.Delivery{Partition: -1, Offset: -1, Err: prodlab.ErrClosed})
	}
}
