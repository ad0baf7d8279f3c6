// Package validate runs Lab 02.4 as a library: for every producer API and
// mode it opens a lost-acknowledgement window and counts the copies the
// broker wrote. Plain mode must write a duplicate, idempotent mode exactly
// one record.
//
// It is a client of the lab: it drives the APIs over HTTP, the toxics over
// Toxiproxy's REST API, and counts through a direct consumer that bypasses
// the proxies, so it works the same against the embedded lab, real Kafka
// and compose.
package validate

import (
	"errors"
	"fmt"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/target"
)

// API is one producer API to validate; its name is used in the summary
// line (franz_plain=2).
type API = target.API

// Config describes a validate run. DefaultConfig gives the seed's ports.
type Config struct {
	// Target locates the lab: its APIs, validated in this order,
	// Toxiproxy, the direct listeners for counting, the topic and the
	// producers' timings. The window stays open until the request timeout
	// passed.
	target.Target
	// Modes are the producer modes to run, default idempotent then plain.
	Modes []prodlab.Mode
	// TimeoutScan is how late a client may notice a timed-out request,
	// default 1 s: librdkafka scans for timeouts once a second.
	TimeoutScan time.Duration
	// Progress, if set, receives one line per step.
	Progress func(format string, args ...any)
}

// Sentinel errors.
var (
	// ErrToxicsPresent means a proxy already holds toxics, which would
	// blur the window.
	ErrToxicsPresent = target.ErrToxicsPresent
	// ErrBypassed means an API answered while its responses were held:
	// its traffic does not cross Toxiproxy.
	ErrBypassed = errors.New("the API's traffic bypasses Toxiproxy")
)

// DefaultConfig returns the seed's ports: franz-go on :18080, librdkafka on
// :18081, Toxiproxy on :8474, Kafka's direct listener on :9092.
func DefaultConfig() Config {
	return Config{
		Target:      target.Default(),
		Modes:       []prodlab.Mode{prodlab.Idempotent, prodlab.Plain},
		TimeoutScan: time.Second,
	}
}

// Validate checks every field and fills the defaults of empty ones.
func (c *Config) Validate() error {
	d := DefaultConfig()
	if len(c.Modes) == 0 {
		c.Modes = d.Modes
	}
	if c.TimeoutScan == 0 {
		c.TimeoutScan = d.TimeoutScan
	}
	errs := c.Check("validate", "")
	for _, m := range c.Modes {
		if _, err := prodlab.ParseMode(string(m)); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, c.CheckTimings()...)
	if c.TimeoutScan < 0 || c.TimeoutScan > time.Minute {
		errs = append(errs, fmt.Errorf("timeout scan %v is outside 0..1m", c.TimeoutScan))
	}
	return errors.Join(errs...)
}

// hold is how long after the send the window stays open when no retry is
// seen in the log: long enough for any client to have timed the request
// out, dropped its connection and scheduled the retry.
func (c *Config) hold() time.Duration {
	return c.RequestTimeout + c.TimeoutScan + c.RetryBackoff + 250*time.Millisecond
}

// latency is the toxic's latency: far longer than the window, so that no
// held answer comes through before the toxic is removed.
func (c *Config) latency() time.Duration {
	return max(10*time.Second, 4*c.hold())
}

func (c *Config) logf(format string, args ...any) {
	if c.Progress != nil {
		c.Progress(format, args...)
	}
}
