// Package engine defines the producer seam of the lab: one small interface,
// with one file per client library (franz-go, librdkafka).
package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prodlab/prodlab"
)

// Engine produces records through one Kafka client library. It holds two
// producers, one per prodlab.Mode, built from the same Config.
type Engine interface {
	// Name is the engine's name, reported in the "api" and "engine" fields.
	Name() string
	// Produce queues m on the producer for mode and calls fn exactly once
	// with the broker's answer. It never blocks: a full buffer returns
	// prodlab.ErrBufferFull and a closed engine prodlab.ErrClosed, and fn
	// is then not called.
	Produce(mode prodlab.Mode, m prodlab.Message, fn func(prodlab.Delivery)) error
	// Partitions returns the partition count of topic, or an error wrapping
	// prodlab.ErrUnknownTopic. With Config.Metadata set it asks those
	// brokers, not the producers' path.
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

// NewFunc builds an engine from a validated Config.
type NewFunc func(Config) (Engine, error)

var (
	registryMu sync.Mutex
	registry   = map[string]NewFunc{}
)

// register makes an engine available to New under name; each engine file
// calls it from init.
func register(name string, fn NewFunc) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[name] = fn
}

// Names lists the registered engines, sorted.
func Names() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New validates cfg and builds the engine called name.
func New(name string, cfg Config) (Engine, error) {
	registryMu.Lock()
	fn, ok := registry[name]
	registryMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("engine %q is unknown: %s", name, strings.Join(Names(), " or "))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return fn(cfg)
}
