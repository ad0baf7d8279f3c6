// Package target locates a running lab from the outside: its producer APIs,
// Toxiproxy's REST API, Kafka's direct listeners and the topic. The validate
// and experiment packages drive a lab through it, so that they work the same
// against the embedded lab, real Kafka and compose.
package target

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/franz"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// API is one producer API of the lab.
type API struct {
	// Name is the engine's name, such as franz.
	Name string
	// URL is the API's base URL, such as http://127.0.0.1:18080.
	URL string
}

// Target is a running lab. Default gives the seed's ports.
type Target struct {
	// APIs are the producer APIs, driven in this order.
	APIs []API
	// ToxiproxyURL is the base URL of Toxiproxy's REST API.
	ToxiproxyURL string
	// Bootstrap lists the brokers' direct listeners, for reading the log.
	Bootstrap []string
	// Topic receives the messages, default prodlab.DefaultTopic; it must
	// exist.
	Topic string
	// RequestTimeout is the producers' request timeout, default 1000 ms
	// (KAFKA_REQUEST_TIMEOUT_MS). Runs size their fault windows from it.
	RequestTimeout time.Duration
	// RetryBackoff is the producers' retry backoff, default 100 ms
	// (KAFKA_RETRY_BACKOFF_MS).
	RetryBackoff time.Duration
	// Client holds the Kafka client settings for reading the log
	// (security, client.id), default none.
	Client prodlab.ClientProps
}

// ErrToxicsPresent means a proxy already holds toxics, which would blur
// the faults a run injects.
var ErrToxicsPresent = errors.New("toxics are already present")

// Default returns the seed's ports and producer timings: franz-go on
// :18080, librdkafka on :18081, Toxiproxy on :8474, Kafka's direct listener
// on :9092.
func Default() Target {
	ec := prodlab.DefaultConfig()
	p := prodlab.DefaultPorts
	return Target{
		APIs: []API{
			{Name: prodlab.Franz, URL: "http://" + prodlab.Loopback(p.Franz)},
			{Name: prodlab.Librdkafka, URL: "http://" + prodlab.Loopback(p.Librdkafka)},
		},
		ToxiproxyURL:   "http://" + prodlab.Loopback(p.Toxiproxy),
		Bootstrap:      []string{prodlab.Loopback(p.Broker)},
		Topic:          prodlab.DefaultTopic,
		RequestTimeout: ec.RequestTimeout,
		RetryBackoff:   ec.RetryBackoff,
	}
}

// Check fills the default topic and returns one error per invalid field
// but the timings. An empty API list reads "no API to " + purpose; an API
// name may hold none of " =," nor the characters in reserved.
func (t *Target) Check(purpose, reserved string) []error {
	if t.Topic == "" {
		t.Topic = prodlab.DefaultTopic
	}
	var errs []error
	if len(t.APIs) == 0 {
		errs = append(errs, errors.New("no API to "+purpose))
	}
	seen := map[string]bool{}
	for _, a := range t.APIs {
		if a.Name == "" || strings.ContainsAny(a.Name, " =,"+reserved) {
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
	if err := checkURL(t.ToxiproxyURL); err != nil {
		errs = append(errs, fmt.Errorf("toxiproxy: %w", err))
	}
	if len(t.Bootstrap) == 0 {
		errs = append(errs, errors.New("bootstrap: at least one direct host:port is required"))
	}
	if msg := prodlab.ValidTopic(t.Topic); msg != "" {
		errs = append(errs, errors.New(msg))
	}
	return errs
}

// CheckTimings fills the default timings and returns one error per timing
// out of range.
func (t *Target) CheckTimings() []error {
	d := Default()
	if t.RequestTimeout == 0 {
		t.RequestTimeout = d.RequestTimeout
	}
	if t.RetryBackoff == 0 {
		t.RetryBackoff = d.RetryBackoff
	}
	var errs []error
	if t.RequestTimeout < 10*time.Millisecond || t.RequestTimeout > 5*time.Minute {
		errs = append(errs, fmt.Errorf("request timeout %v is outside 10ms..5m", t.RequestTimeout))
	}
	if t.RetryBackoff < 0 || t.RetryBackoff > time.Minute {
		errs = append(errs, fmt.Errorf("retry backoff %v is outside 0..1m", t.RetryBackoff))
	}
	return errs
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http:// URL", s)
	}
	return nil
}

// Conn is an open connection to a target: the proxy bypass, the proxies
// and an admin client on the direct listeners.
type Conn struct {
	// Bypass maps each proxy's listen address to its upstream.
	Bypass direct.Bypass
	// Proxies are Toxiproxy's proxies, sorted by name.
	Proxies Proxies
	// Admin talks to the brokers through their direct listeners.
	Admin *kadm.Client
	// Opts are the kgo options of a reader of the log: the client
	// settings over the bypass (franz.Connect).
	Opts []kgo.Opt
	cl   *kgo.Client
}

// Connect reads the proxy bypass from Toxiproxy, checks that no proxy is
// disabled or holds a toxic, and opens an admin client on the direct
// listeners. Close releases it.
func (t Target) Connect(ctx context.Context) (*Conn, error) {
	tc, err := toxiclient.New(t.ToxiproxyURL)
	if err != nil {
		return nil, err
	}
	up, err := tc.Upstreams(ctx)
	if errors.Is(err, toxiclient.ErrNoAnswer) {
		return nil, err // it names the URL
	}
	if err != nil {
		return nil, fmt.Errorf("toxiproxy at %s: GET /proxies: %w", t.ToxiproxyURL, err)
	}
	bypass := direct.Bypass(up)
	proxies, err := cleanProxies(ctx, tc, t.ToxiproxyURL)
	if err != nil {
		return nil, err
	}
	opts, err := franz.Connect(t.Client, bypass.Dialer())
	if err != nil {
		return nil, err
	}
	cl, err := direct.NewClient(t.Bootstrap, bypass, opts...)
	if err != nil {
		return nil, err
	}
	return &Conn{Bypass: bypass, Proxies: proxies, Admin: kadm.NewClient(cl), Opts: opts, cl: cl}, nil
}

// Close closes the admin client.
func (c *Conn) Close() { c.cl.Close() }

// cleanProxies lists Toxiproxy's proxies and refuses a disabled one or
// any toxic already on them: the run must be the only fault.
func cleanProxies(ctx context.Context, tc *toxiclient.Client, baseURL string) (Proxies, error) {
	m, err := tc.Proxies(ctx)
	if err != nil {
		return nil, fmt.Errorf("toxiproxy at %s: %w", baseURL, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("toxiproxy at %s has no proxy in front of Kafka", baseURL)
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var out Proxies
	for _, n := range names {
		p := m[n]
		if !p.Enabled {
			return nil, fmt.Errorf("toxiproxy proxy %s is disabled: enable it, or POST %s/reset", n, baseURL)
		}
		ts, err := p.Toxics(ctx)
		if err != nil {
			return nil, fmt.Errorf("toxiproxy proxy %s: %w", n, err)
		}
		if len(ts) > 0 {
			var tn []string
			for _, t := range ts {
				tn = append(tn, t.Name)
			}
			return nil, fmt.Errorf("%w on proxy %s (%s): remove them first, e.g. curl -X POST %s/reset",
				ErrToxicsPresent, n, strings.Join(tn, ", "), baseURL)
		}
		out = append(out, p)
	}
	return out, nil
}

// Proxies are the Toxiproxy proxies in front of the brokers.
type Proxies []*toxiclient.Proxy

// AddToxic puts the toxic name of type typ on every proxy, or on none: if
// one proxy refuses it, it is removed from those that took it. Attributes
// are Toxiproxy's (latency in ms, rate in KB/s...).
func (ps Proxies) AddToxic(name, typ, stream string, attrs toxiclient.Attributes) error {
	for i, p := range ps {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		_, err := p.AddToxic(ctx, name, typ, stream, 1, attrs)
		cancel()
		if err != nil {
			err = fmt.Errorf("add %s toxic to proxy %s: %w", typ, p.Name, err)
			if rerr := ps[:i].RemoveToxic(name); rerr != nil {
				err = errors.Join(err, fmt.Errorf("undoing it: %w", rerr))
			}
			return err
		}
	}
	return nil
}

// RemoveToxic removes the toxic name from every proxy that holds it. It
// takes no context, so that clean-up runs after a run's context ended.
// Removing a latency toxic flushes what it holds, and Toxiproxy gives each
// connection the client already closed 5 s, so the REST call may time out
// while the removal goes on: RemoveToxic then waits until the proxy no
// longer lists the toxic, for up to 2 minutes.
func (ps Proxies) RemoveToxic(name string) error {
	var errs []error
	for _, p := range ps {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		err := p.RemoveToxic(ctx, name)
		cancel()
		if err != nil && !toxiclient.IsNotFound(err) && !gone(p, name) {
			errs = append(errs, fmt.Errorf("remove toxic from proxy %s: %w", p.Name, err))
		}
	}
	return errors.Join(errs...)
}

// callTimeout bounds one call to Toxiproxy, as its own client does.
const callTimeout = 30 * time.Second

// removeWait bounds how long RemoveToxic waits for a slow removal.
const removeWait = 2 * time.Minute

// gone polls p until it no longer lists the toxic name, for up to
// removeWait. It gives up at once if Toxiproxy no longer answers at all:
// nothing is removing the toxic then.
func gone(p *toxiclient.Proxy, name string) bool {
	deadline := time.Now().Add(removeWait)
	unanswered := 0
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		ts, err := p.Toxics(ctx)
		cancel()
		if err == nil && !slices.ContainsFunc(ts, func(t toxiclient.Toxic) bool { return t.Name == name }) {
			return true
		}
		var ae *toxiclient.APIError
		if err != nil && !errors.As(err, &ae) {
			if unanswered++; unanswered >= 3 {
				return false
			}
		} else {
			unanswered = 0
		}
		time.Sleep(200 * time.Millisecond) // polling Toxiproxy's state
	}
	return false
}
