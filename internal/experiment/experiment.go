// Package experiment measures plain against idempotent producers under a
// named fault schedule. It sends N messages per API and mode through the
// lab's producer APIs while the schedule injects faults through Toxiproxy
// (or restarts brokers), reads the log back through a direct consumer and
// classifies every request the Jepsen way: acknowledged, failed or
// indeterminate, crossed with the copies found in the log.
package experiment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
)

// Restarter stops and starts brokers, for the broker-restart schedule.
type Restarter interface {
	// Brokers is how many brokers it can restart, numbered from 1.
	Brokers() int
	// Restart stops broker i and starts it again, returning once it
	// serves.
	Restart(ctx context.Context, i int) error
}

type cfg struct {
	schedule    string
	n, keys     int
	rate        int
	sendTimeout time.Duration
	restarter   Restarter
}

// Opt configures an Experiment.
type Opt func(*cfg)

// ScheduleName names the fault schedule, default (and if empty) ack-loss;
// see Schedules.
func ScheduleName(name string) Opt { return func(c *cfg) { c.schedule = name } }

// N sets the messages sent per API and mode, default (and if 0) 1000.
func N(n int) Opt { return func(c *cfg) { c.n = n } }

// Keys sets the number of keys per API and mode, default (and if 0) 8.
// Each key's messages are sent one after the other, so keys are also the
// concurrency of a row.
func Keys(n int) Opt { return func(c *cfg) { c.keys = n } }

// Rate caps the sends per second of each row, default 100, so that a run
// spans several fault cycles; 0 means no cap.
func Rate(n int) Opt { return func(c *cfg) { c.rate = n } }

// SendTimeout sets how long a send may take before its outcome is
// indeterminate, default (and if 0) 10 s.
func SendTimeout(d time.Duration) Opt { return func(c *cfg) { c.sendTimeout = d } }

// WithRestarter lets broker-restart restart the target's brokers, default
// none: the target cannot.
func WithRestarter(r Restarter) Opt { return func(c *cfg) { c.restarter = r } }

// Experiment is one experiment on a target.
type Experiment struct {
	t   *target.Target
	cfg cfg
}

// The defaults and limits of an experiment.
const (
	DefaultSchedule    = "ack-loss"
	DefaultN           = 1000
	DefaultKeys        = 8
	DefaultRate        = 100
	DefaultSendTimeout = 10 * time.Second

	MaxN    = 1_000_000
	MaxKeys = 256
)

// Sentinel errors.
var (
	ErrUnknownSchedule = errors.New("unknown schedule")
	ErrCannotRestart   = errors.New("this target cannot restart brokers") // broker-restart has no Restarter
)

// New returns an experiment on t, whose producers' timings size the
// schedules' windows, and an error per invalid option.
func New(t *target.Target, opts ...Opt) (*Experiment, error) {
	c := cfg{rate: DefaultRate}
	for _, o := range opts {
		o(&c)
	}
	c.schedule = cmp.Or(c.schedule, DefaultSchedule)
	c.n, c.keys, c.sendTimeout = cmp.Or(c.n, DefaultN), cmp.Or(c.keys, DefaultKeys), cmp.Or(c.sendTimeout, DefaultSendTimeout)
	var errs []error
	if len(t.APIs()) == 0 {
		errs = append(errs, i18n.Errorf("exp.err.noAPI"))
	}
	for _, a := range t.APIs() {
		if strings.Contains(a.Name, ".") { // it would break the row names (franz.plain)
			errs = append(errs, fmt.Errorf("API name %q: use a plain word such as franz", a.Name))
		}
	}
	if _, err := lookup(c.schedule); err != nil {
		errs = append(errs, i18n.Errorf("exp.err.scheduleOpt", "err", err))
	}
	if c.n < 1 || c.n > MaxN {
		errs = append(errs, i18n.Errorf("exp.err.n", "n", c.n, "max", MaxN))
	}
	if c.keys < 1 || c.keys > MaxKeys {
		errs = append(errs, i18n.Errorf("exp.err.keys", "n", c.keys, "max", MaxKeys))
	}
	if c.rate < 0 || c.rate > 100_000 {
		errs = append(errs, i18n.Errorf("exp.err.rate", "n", c.rate))
	}
	if c.sendTimeout < 100*time.Millisecond || c.sendTimeout > 10*time.Minute {
		errs = append(errs, i18n.Errorf("exp.err.sendTimeout", "value", c.sendTimeout))
	}
	return &Experiment{t: t, cfg: c}, errors.Join(errs...)
}
