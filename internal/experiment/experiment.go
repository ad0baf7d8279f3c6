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
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/target"
)

// API is one producer API to measure.
type API = target.API

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
	// Target locates the lab: its APIs, each running every mode,
	// Toxiproxy, the direct listeners for reading the log, the topic and
	// the producers' timings, from which the schedules size their windows.
	target.Target
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
	return Config{
		Target:      target.Default(),
		Schedule:    "ack-loss",
		Modes:       []prodlab.Mode{prodlab.Idempotent, prodlab.Plain},
		N:           1000,
		Keys:        8,
		Rate:        100,
		SendTimeout: 10 * time.Second,
	}
}

// Validate checks every field and fills the defaults of empty ones.
func (c *Config) Validate() error {
	d := DefaultConfig()
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
	// A dot would break the row names (franz.plain).
	errs := c.Check("measure", ".")
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
	errs = append(errs, c.CheckTimings()...)
	return errors.Join(errs...)
}
