package prodlab

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/prodlab/prodlab/internal/i18n"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config holds the producer settings shared by every engine, each field
// one of the seed's environment variables. DefaultConfig's make Lab 02.4's
// lost acknowledgement duplicate a plain send out of the box.
type Config struct {
	// Bootstrap lists the seed brokers (KAFKA_BOOTSTRAP_SERVERS).
	Bootstrap []string
	// RequestTimeout is how long a producer waits for a broker's answer
	// before it drops the connection and retries (KAFKA_REQUEST_TIMEOUT_MS,
	// default 1000 ms).
	RequestTimeout time.Duration
	// DeliveryTimeout bounds a record's whole life, retries included
	// (KAFKA_DELIVERY_TIMEOUT_MS, default 30000 ms). It must be at least
	// RequestTimeout + Linger.
	DeliveryTimeout time.Duration
	// RetryBackoff is the pause between retries (KAFKA_RETRY_BACKOFF_MS,
	// default 100 ms).
	RetryBackoff time.Duration
	// Retries caps the retries of the plain producer (KAFKA_RETRIES, default
	// 10). The idempotent producer retries until DeliveryTimeout, as Java's
	// does with enable.idempotence=true.
	Retries int
	// Linger is how long a batch waits for more records (KAFKA_LINGER_MS,
	// default 0: the sync API should not wait).
	Linger time.Duration
	// AcksPlain is the plain producer's acks: "0", "1" or "all"
	// (KAFKA_ACKS_PLAIN, default "1"). The idempotent producer always uses
	// acks=all.
	AcksPlain string
	// ConnMaxIdle is how long an idle broker connection stays open
	// (KAFKA_CONNECTIONS_MAX_IDLE_MS, below connections.max.idle.ms). Default
	// 0: the engine's own, 9 min on franz, never on librdkafka.
	ConnMaxIdle time.Duration
	// MaxBuffered caps the records queued per producer (default 100000).
	// A full buffer makes Produce return ErrBufferFull.
	MaxBuffered int
	// Dial, if set, replaces the dialer of engines that allow it.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Metadata, if set, lists the brokers Partitions asks through
	// MetadataDial (default net.Dialer) instead of the producers' path: the
	// direct listeners, so that a toxic never fails a topic check.
	Metadata     []string
	MetadataDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives the client library's warnings. Nil discards them.
	Logger *slog.Logger
	// Client holds the Kafka client settings (-X, --config): security,
	// client.id, max.in.flight; default none (plaintext).
	Client ClientProps
}

// DefaultConfig returns the lab's defaults, with bootstrap
// 127.0.0.1:29093, the Toxiproxy port in front of broker 1.
func DefaultConfig() Config {
	return Config{
		Bootstrap:       []string{Loopback(DefaultPorts.Proxy)},
		RequestTimeout:  1000 * time.Millisecond,
		DeliveryTimeout: 30000 * time.Millisecond,
		RetryBackoff:    100 * time.Millisecond,
		Retries:         10,
		Linger:          0,
		AcksPlain:       "1",
		MaxBuffered:     100000,
	}
}

// Validate checks every field and names the environment variable at fault.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Bootstrap) == 0 {
		errs = append(errs, i18n.Errorf("cfg.bootstrap.none"))
	}
	for _, b := range c.Bootstrap {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			errs = append(errs, i18n.Errorf("cfg.bootstrap.bad", "value", strconv.Quote(b)))
		}
	}
	if c.RequestTimeout < 10*time.Millisecond {
		errs = append(errs, i18n.Errorf("cfg.requestTimeout", "ms", c.RequestTimeout.Milliseconds()))
	}
	if c.RetryBackoff < 0 {
		errs = append(errs, i18n.Errorf("cfg.negativeMs", "env", "KAFKA_RETRY_BACKOFF_MS", "ms", c.RetryBackoff.Milliseconds()))
	}
	if c.Retries < 0 {
		errs = append(errs, i18n.Errorf("cfg.negative", "env", "KAFKA_RETRIES", "value", c.Retries))
	}
	if c.Linger < 0 || c.Linger > time.Minute {
		errs = append(errs, i18n.Errorf("cfg.linger", "ms", c.Linger.Milliseconds()))
	}
	switch c.AcksPlain {
	case "0", "1", "all", "-1":
	default:
		errs = append(errs, i18n.Errorf("cfg.acks", "value", strconv.Quote(c.AcksPlain)))
	}
	if c.DeliveryTimeout < c.RequestTimeout+c.Linger {
		errs = append(errs, i18n.Errorf("cfg.deliveryTimeout", "ms", c.DeliveryTimeout.Milliseconds(), "min", (c.RequestTimeout+c.Linger).Milliseconds()))
	}
	if d := c.MaxIdle(); d != 0 && (d < 100*time.Millisecond || d > 15*time.Minute) {
		errs = append(errs, i18n.Errorf("cfg.maxIdle", "ms", d.Milliseconds()))
	}
	if c.MaxBuffered < 1 {
		errs = append(errs, fmt.Errorf("max buffered records: %d must be at least 1", c.MaxBuffered))
	}
	_, err := c.Client.Security()
	return errors.Join(append(errs, err)...)
}

// MaxIdle returns the idle time after which a producer closes a broker
// connection: the client setting connections.max.idle.ms if set, else
// ConnMaxIdle; 0 means the engine's default.
func (c *Config) MaxIdle() time.Duration {
	if n, err := strconv.Atoi(c.Client.m["connections.max.idle.ms"]); err == nil {
		return time.Duration(n) * time.Millisecond
	}
	return c.ConnMaxIdle
}

// envVar binds one environment variable to a flag.
type envVar struct {
	env, flag, usage string
	set              func(c *Config, v string) error
	get              func(c *Config) string // nil: not listed by Changed
}

func msVar(env, flagName, usage string, field func(*Config) *time.Duration) envVar {
	return envVar{env, flagName, usage, func(c *Config, v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return i18n.Errorf("cfg.notMs", "env", env, "value", strconv.Quote(v))
		}
		*field(c) = time.Duration(n) * time.Millisecond
		return nil
	}, func(c *Config) string { return strconv.FormatInt(field(c).Milliseconds(), 10) }}
}

// Changed lists the producer settings that differ from DefaultConfig's,
// as VAR=value in the environment's names, e.g.
// KAFKA_REQUEST_TIMEOUT_MS=3000; bootstrap servers are not listed.
func (c *Config) Changed() []string {
	def := DefaultConfig()
	var out []string
	for _, ev := range envVars {
		if ev.get != nil && ev.get(c) != ev.get(&def) {
			out = append(out, ev.env+"="+ev.get(c))
		}
	}
	return out
}

var envVars = []envVar{
	{"KAFKA_BOOTSTRAP_SERVERS", "bootstrap", "comma-separated seed brokers", func(c *Config, v string) error {
		c.Bootstrap = SplitList(v)
		return nil
	}, nil},
	msVar("KAFKA_REQUEST_TIMEOUT_MS", "request-timeout-ms", "producer request timeout", func(c *Config) *time.Duration { return &c.RequestTimeout }),
	msVar("KAFKA_DELIVERY_TIMEOUT_MS", "delivery-timeout-ms", "producer delivery timeout", func(c *Config) *time.Duration { return &c.DeliveryTimeout }),
	msVar("KAFKA_RETRY_BACKOFF_MS", "retry-backoff-ms", "pause between retries", func(c *Config) *time.Duration { return &c.RetryBackoff }),
	{"KAFKA_RETRIES", "retries", "retries of the plain producer", func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return i18n.Errorf("cfg.notInt", "env", "KAFKA_RETRIES", "value", strconv.Quote(v))
		}
		c.Retries = n
		return nil
	}, func(c *Config) string { return strconv.Itoa(c.Retries) }},
	msVar("KAFKA_LINGER_MS", "linger-ms", "batch linger", func(c *Config) *time.Duration { return &c.Linger }),
	msVar("KAFKA_CONNECTIONS_MAX_IDLE_MS", "connections-max-idle-ms", "idle time before a producer closes a broker connection (default: 540000 on franz, never on librdkafka)", func(c *Config) *time.Duration { return &c.ConnMaxIdle }),
	{"KAFKA_ACKS_PLAIN", "acks-plain", "acks of the plain producer: 0, 1 or all", func(c *Config, v string) error {
		c.AcksPlain = strings.TrimSpace(v)
		return nil
	}, func(c *Config) string { return c.AcksPlain }},
}

// LoadEnv applies every seed environment variable that lookup finds set.
func (c *Config) LoadEnv(lookup func(string) (string, bool)) error {
	var errs []error
	for _, ev := range envVars {
		if v, ok := lookup(ev.env); ok {
			if err := ev.set(c, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// RegisterFlags adds one flag per environment variable to fs. A flag that is
// given overrides the variable; call LoadEnv before fs.Parse.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, ev := range envVars {
		fs.Func(ev.flag, ev.usage+" ("+ev.env+")", func(v string) error { return ev.set(c, v) })
	}
}

// SplitList splits a comma-separated list, trimming spaces and dropping
// empty items: "a, b,,c" is [a b c], "" is nil.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
