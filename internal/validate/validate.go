// Package validate runs Lab 02.4 as a library: for every producer API and
// mode it opens a lost-acknowledgement window and counts the copies the
// broker wrote. Plain mode must write a duplicate, idempotent mode exactly
// one record. It is a client of the lab (HTTP, Toxiproxy, the direct
// path), so it works the same against every cluster the lab runs on.
package validate

import (
	"errors"
	"fmt"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
)

type cfg struct {
	modes    []prodlab.Mode
	progress func(format string, args ...any)
}

// Opt configures a Validator.
type Opt func(*cfg)

// Modes sets the producer modes to run, default (and if none) idempotent
// then plain.
func Modes(ms ...prodlab.Mode) Opt { return func(c *cfg) { c.modes = ms } }

// Progress receives one line per step, default none.
func Progress(fn func(format string, args ...any)) Opt { return func(c *cfg) { c.progress = fn } }

// Validator runs Lab 02.4 against one target.
type Validator struct {
	t   *target.Target
	cfg cfg
}

// New returns a validator of t's APIs, validated in this order, or an
// error per invalid option. The window stays open until t's request
// timeout passed.
func New(t *target.Target, opts ...Opt) (*Validator, error) {
	var c cfg
	for _, o := range opts {
		o(&c)
	}
	if len(c.modes) == 0 {
		c.modes = prodlab.Modes
	}
	if c.progress == nil {
		c.progress = func(string, ...any) {}
	}
	var errs []error
	if len(t.APIs()) == 0 {
		errs = append(errs, i18n.Errorf("validate.err.noAPI"))
	}
	for _, m := range c.modes {
		if _, err := prodlab.ParseMode(string(m)); err != nil {
			errs = append(errs, fmt.Errorf("Modes: %w", err))
		}
	}
	return &Validator{t: t, cfg: c}, errors.Join(errs...)
}

// latency is the toxic's latency: far longer than the window, so that no
// held answer comes through before the toxic is removed.
func (v *Validator) latency() time.Duration {
	return max(10*time.Second, 4*v.t.Hold())
}
