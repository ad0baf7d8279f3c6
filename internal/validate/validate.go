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
	"net/url"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/engine"
)

// API is one producer API to validate.
type API struct {
	// Name is the engine's name, used in the summary line (franz_plain=2).
	Name string
	// URL is the API's base URL, such as http://127.0.0.1:18080.
	URL string
}

// Config describes a validate run. DefaultConfig gives the seed's ports.
type Config struct {
	// APIs are the producer APIs, validated in this order.
	APIs []API
	// ToxiproxyURL is the base URL of Toxiproxy's REST API.
	ToxiproxyURL string
	// Bootstrap lists the brokers' direct listeners, for counting.
	Bootstrap []string
	// Topic is where the messages go, default prodlab.DefaultTopic. It
	// must exist.
	Topic string
	// Modes are the producer modes to run, default idempotent then plain.
	Modes []prodlab.Mode
	// RequestTimeout is the producers' request timeout, default 1000 ms
	// (KAFKA_REQUEST_TIMEOUT_MS). The window stays open until it passed.
	RequestTimeout time.Duration
	// RetryBackoff is the producers' retry backoff, default 100 ms
	// (KAFKA_RETRY_BACKOFF_MS).
	RetryBackoff time.Duration
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
	ErrToxicsPresent = errors.New("toxics are already present")
	// ErrBypassed means an API answered while its responses were held:
	// its traffic does not cross Toxiproxy.
	ErrBypassed = errors.New("the API's traffic bypasses Toxiproxy")
)

// DefaultConfig returns the seed's ports: franz-go on :18080, librdkafka on
// :18081, Toxiproxy on :8474, Kafka's direct listener on :9092.
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
		Modes:          []prodlab.Mode{prodlab.Idempotent, prodlab.Plain},
		RequestTimeout: ec.RequestTimeout,
		RetryBackoff:   ec.RetryBackoff,
		TimeoutScan:    time.Second,
	}
}

// Validate checks every field and fills the defaults of empty ones.
func (c *Config) Validate() error {
	d := DefaultConfig()
	if c.Topic == "" {
		c.Topic = d.Topic
	}
	if len(c.Modes) == 0 {
		c.Modes = d.Modes
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = d.RequestTimeout
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = d.RetryBackoff
	}
	if c.TimeoutScan == 0 {
		c.TimeoutScan = d.TimeoutScan
	}
	var errs []error
	if len(c.APIs) == 0 {
		errs = append(errs, errors.New("no API to validate"))
	}
	seen := map[string]bool{}
	for _, a := range c.APIs {
		if a.Name == "" || strings.ContainsAny(a.Name, " =,") {
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
	for _, m := range c.Modes {
		if _, err := prodlab.ParseMode(string(m)); err != nil {
			errs = append(errs, err)
		}
	}
	if c.RequestTimeout < 10*time.Millisecond || c.RequestTimeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("request timeout %v is outside 10ms..5m", c.RequestTimeout))
	}
	if c.RetryBackoff < 0 || c.RetryBackoff > time.Minute {
		errs = append(errs, fmt.Errorf("retry backoff %v is outside 0..1m", c.RetryBackoff))
	}
	if c.TimeoutScan < 0 || c.TimeoutScan > time.Minute {
		errs = append(errs, fmt.Errorf("timeout scan %v is outside 0..1m", c.TimeoutScan))
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
