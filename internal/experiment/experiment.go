// Package experiment measures plain against idempotent producers under a
// named fault schedule. It sends N messages per API and mode through the
// lab's producer APIs while the schedule injects faults through Toxiproxy
// (or restarts brokers), reads the log back through a direct consumer and
// classifies every request the Jepsen way: acknowledged, failed or
// indeterminate, crossed with the copies found in the log.
package experiment

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/engine"
)

// API is one producer API to measure.
type API struct {
	Name string // the engine's name, such as franz
	URL  string // base URL, such as http://127.0.0.1:18080
}

// Restarter stops and starts brokers, for the broker-restart schedule.
type Restarter interface {
	// Brokers is how many brokers it can restart, numbered from 1.
	Brokers() int
	// Restart stops broker i and starts it again, returning once it
	// serves.
	Restart(ctx context.Context, i int) error
}

// Config describes an experiment. DefaultConfig gives the seed's ports.
type Config struct {
	// APIs are the producer APIs; every API runs every mode.
	APIs []API
	// ToxiproxyURL is the base URL of Toxiproxy's REST API.
	ToxiproxyURL string
	// Bootstrap lists the brokers' direct listeners, for reading the log.
	Bootstrap []string
	// Topic receives the messages, default prodlab.DefaultTopic; it must
	// exist.
	Topic string
	// Schedule names the fault schedule, default ack-loss; see Schedules.
	Schedule string
	// Modes are the producer modes, default idempotent and plain.
	Modes []prodlab.Mode
	// N is the messages sent per API and mode, default 1000.
	N int
	// Keys is the number of keys per API and mode, default 8. Each key's
	// messages are sent one after the other, so keys are also the
	// concurrency of a row.
	Keys int
	// Rate caps the sends per second of each row, default 100, so that a
	// run spans several fault cycles; 0 means no cap.
	Rate int
	// SendTimeout is how long a send may take before its outcome is
	// indeterminate, default 10 s.
	SendTimeout time.Duration
	// RequestTimeout and RetryBackoff are the producers' settings
	// (KAFKA_REQUEST_TIMEOUT_MS, KAFKA_RETRY_BACKOFF_MS); the schedules
	// size their windows from them. Defaults 1000 ms and 100 ms.
	RequestTimeout time.Duration
	RetryBackoff   time.Duration
	// Restarter restarts brokers for broker-restart; nil if the target
	// cannot.
	Restarter Restarter
}

// Limits on a Config.
const (
	MaxN    = 1_000_000
	MaxKeys = 256
)

// Sentinel errors.
var (
	// ErrUnknownSchedule means the schedule's name is not registered.
	ErrUnknownSchedule = errors.New("unknown schedule")
	// ErrCannotRestart means broker-restart has no Restarter.
	ErrCannotRestart = errors.New("this target cannot restart brokers")
)

// DefaultConfig returns the seed's ports and the defaults above.
func DefaultConfig() Config {
	ec := engine.DefaultConfig()
	return Config{
		APIs: []API{
			{Name: "franz", URL: "http://127.0.0.1:18080"},
			{Name: "librdkafka", URL: "http://127.0.0.1:18081"},
		},
		ToxiproxyURL:   "http://127.0.0.1:8474",
		Bootstrap:      []string{"127.0.0.1:9092"},
		Topic:          prodlab.DefaultTopic,
		Schedule:       "ack-loss",
		Modes:          []prodlab.Mode{prodlab.Idempotent, prodlab.Plain},
		N:              1000,
		Keys:           8,
		Rate:           100,
		SendTimeout:    10 * time.Second,
		RequestTimeout: ec.RequestTimeout,
		RetryBackoff:   ec.RetryBackoff,
	}
}

// Validate checks every field and fills the defaults of empty ones.
func (c *Config) Validate() error {
	d := DefaultConfig()
	if c.Topic == "" {
		c.Topic = d.Topic
	}
	if c.Schedule == "" {
		c.Schedule = d.Schedule
	}
	if len(c.Modes) == 0 {
		c.Modes = d.Modes
	}
	if c.N == 0 {
		c.N = d.N
	}
	if c.Keys == 0 {
		c.Keys = d.Keys
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = d.SendTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = d.RequestTimeout
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = d.RetryBackoff
	}
	var errs []error
	if len(c.APIs) == 0 {
		errs = append(errs, errors.New("no API to measure"))
	}
	seen := map[string]bool{}
	for _, a := range c.APIs {
		if a.Name == "" || strings.ContainsAny(a.Name, " =,.") {
			errs = append(errs, fmt.Errorf("API name %q: use a plain word such as franz", a.Name))
		}
		if seen[a.Name] {
			errs = append(errs, fmt.Errorf("API %s is given twice", a.Name))
		}
		seen[a.Name] = true
		if err := checkURL(a.URL); err != nil {
			errs = append(errs, fmt.Errorf("API %s: %w", a.Name, err))
		}
	}
	if err := checkURL(c.ToxiproxyURL); err != nil {
		errs = append(errs, fmt.Errorf("toxiproxy: %w", err))
	}
	if len(c.Bootstrap) == 0 {
		errs = append(errs, errors.New("bootstrap: at least one direct host:port is required"))
	}
	if msg := api.ValidTopic(c.Topic); msg != "" {
		errs = append(errs, errors.New(msg))
	}
	if _, err := lookup(c.Schedule); err != nil {
		errs = append(errs, err)
	}
	for _, m := range c.Modes {
		if _, err := prodlab.ParseMode(string(m)); err != nil {
			errs = append(errs, err)
		}
	}
	if c.N < 1 || c.N > MaxN {
		errs = append(errs, fmt.Errorf("n %d is outside 1..%d", c.N, MaxN))
	}
	if c.Keys < 1 || c.Keys > MaxKeys {
		errs = append(errs, fmt.Errorf("keys %d is outside 1..%d", c.Keys, MaxKeys))
	}
	if c.Rate < 0 || c.Rate > 100_000 {
		errs = append(errs, fmt.Errorf("rate %d is outside 0..100000 per second", c.Rate))
	}
	if c.SendTimeout < 100*time.Millisecond || c.SendTimeout > 10*time.Minute {
		errs = append(errs, fmt.Errorf("send timeout %v is outside 100ms..10m", c.SendTimeout))
	}
	if c.RequestTimeout < 10*time.Millisecond || c.RequestTimeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("request timeout %v is outside 10ms..5m", c.RequestTimeout))
	}
	if c.RetryBackoff < 0 || c.RetryBackoff > time.Minute {
		errs = append(errs, fmt.Errorf("retry backoff %v is outside 0..1m", c.RetryBackoff))
	}
	return errors.Join(errs...)
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// URL", s)
	}
	return nil
}
