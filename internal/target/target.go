// Package target locates a running lab from the outside (its producer
// APIs, Toxiproxy's REST API, the direct path and the topic) for validate
// and experiment runs.
package target

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/term"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

// API is one producer API of the lab: its engine's name, such as franz,
// and its base URL, such as http://127.0.0.1:18080.
type API struct {
	Name, URL string
}

// Target is a running lab, as New checked it.
type Target struct{ cfg }

type cfg struct {
	apis           []API
	toxiproxy      string
	direct         *direct.Path
	topic          string
	requestTimeout time.Duration
	retryBackoff   time.Duration
}

// Opt configures a Target.
type Opt func(*cfg)

// APIs sets the producer APIs, driven in this order; default franz-go on
// :18080 and librdkafka on :18081.
func APIs(apis ...API) Opt { return func(c *cfg) { c.apis = apis } }

// Toxiproxy sets the base URL of Toxiproxy's REST API, default
// http://127.0.0.1:8474.
func Toxiproxy(url string) Opt { return func(c *cfg) { c.toxiproxy = url } }

// Direct sets the direct path the log is read through, to which Connect
// adds Toxiproxy's bypass and, if it has none, LabBootstrap's bootstrap.
// Default: an empty path.
func Direct(p *direct.Path) Opt { return func(c *cfg) { c.direct = p } }

// Topic sets the topic that receives the messages, which must exist;
// default (and if empty) prodlab.DefaultTopic.
func Topic(topic string) Opt { return func(c *cfg) { c.topic = topic } }

// Timings sets the producers' request timeout and retry backoff, which
// size the runs' fault windows; default (and if zero) 1000 ms and 100 ms.
func Timings(requestTimeout, retryBackoff time.Duration) Opt {
	return func(c *cfg) { c.requestTimeout, c.retryBackoff = requestTimeout, retryBackoff }
}

// ErrToxicsPresent means a proxy already holds toxics, which would blur
// the faults a run injects.
var ErrToxicsPresent = errors.New("toxics are already present")

// New returns the target opts describe, or one error per invalid field.
// An API name may hold none of " =,"; callers check there is an API.
func New(opts ...Opt) (*Target, error) {
	p := prodlab.DefaultPorts
	t := &Target{cfg{
		apis: []API{
			{Name: prodlab.Franz, URL: "http://" + prodlab.Loopback(p.Franz)},
			{Name: prodlab.Librdkafka, URL: "http://" + prodlab.Loopback(p.Librdkafka)},
		},
		toxiproxy: "http://" + prodlab.Loopback(p.Toxiproxy),
	}}
	t.direct, _ = direct.New() // no option, no error
	for _, o := range opts {
		o(&t.cfg)
	}
	ec := prodlab.DefaultConfig()
	t.topic = cmp.Or(t.topic, prodlab.DefaultTopic)
	t.requestTimeout = cmp.Or(t.requestTimeout, ec.RequestTimeout)
	t.retryBackoff = cmp.Or(t.retryBackoff, ec.RetryBackoff)
	return t, t.validate()
}

func (t *Target) validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, a := range t.apis {
		if a.Name == "" || strings.ContainsAny(a.Name, " =,") {
			errs = append(errs, i18n.Errorf("target.apiName", "name", strconv.Quote(a.Name)))
		}
		if seen[a.Name] {
			errs = append(errs, i18n.Errorf("target.apiTwice", "name", a.Name))
		}
		seen[a.Name] = true
		if !httpURL(a.URL) {
			errs = append(errs, i18n.Errorf("target.apiURL", "name", a.Name, "url", strconv.Quote(a.URL)))
		}
	}
	if !httpURL(t.toxiproxy) {
		errs = append(errs, i18n.Errorf("target.toxiproxyURL", "url", strconv.Quote(t.toxiproxy)))
	}
	if t.direct == nil {
		errs = append(errs, errors.New("Direct: a path is required"))
	}
	if msg := prodlab.ValidTopic(t.topic); msg != "" {
		errs = append(errs, i18n.Errorf("target.topic", "msg", msg))
	}
	if t.requestTimeout < 10*time.Millisecond || t.requestTimeout > 5*time.Minute {
		errs = append(errs, i18n.Errorf("target.requestTimeout", "value", t.requestTimeout))
	}
	if t.retryBackoff < 0 || t.retryBackoff > time.Minute {
		errs = append(errs, i18n.Errorf("target.retryBackoff", "value", t.retryBackoff))
	}
	return errors.Join(errs...)
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// APIs returns the producer APIs.
func (t *Target) APIs() []API { return t.apis }

// ToxiproxyURL returns the base URL of Toxiproxy's REST API.
func (t *Target) ToxiproxyURL() string { return t.toxiproxy }

// Bootstrap returns Direct's bootstrap, else 127.0.0.1:9092.
func (t *Target) Bootstrap() []string {
	if t.direct != nil && len(t.direct.Bootstrap()) > 0 {
		return t.direct.Bootstrap()
	}
	return []string{prodlab.Loopback(prodlab.DefaultPorts.Broker)}
}

// Topic returns the topic.
func (t *Target) Topic() string { return t.topic }

// RequestTimeout returns the producers' request timeout.
func (t *Target) RequestTimeout() time.Duration { return t.requestTimeout }

// Hold is how long an answer must be held for every client to time out
// and schedule a retry: the request timeout, 1 s (librdkafka's timeout
// scan), the retry backoff and 250 ms.
func (t *Target) Hold() time.Duration {
	return t.requestTimeout + time.Second + t.retryBackoff + 250*time.Millisecond
}

// Unreachable is the error for API a, which did not answer: err's reason
// in the reader's language, err wrapped.
func Unreachable(a API, err error) error {
	return &i18n.Error{Msg: i18n.M("validate.err.unreachable", "api", a.Name, "url", a.URL, "err", i18n.Reason(err)), Err: err}
}

// Warm sends one sync record per mode (and partition, if given) through
// a, so that its producers hold a connection to every leader before the
// first fault: one opened under a latency toxic never completes.
func (t *Target) Warm(ctx context.Context, a API, opts []httpjson.ClientOpt, modes []prodlab.Mode, partitions []int32, eventID func(prodlab.Mode) string) error {
	c, err := api.NewClient(a.URL, opts...)
	if err != nil {
		return err
	}
	targets := []*int32{nil}
	if len(partitions) > 0 {
		targets = nil
		for _, p := range partitions {
			targets = append(targets, &p)
		}
	}
	for _, m := range modes {
		for _, p := range targets {
			_, err := c.Send(ctx, api.SendParams{Mode: m, SendMode: prodlab.Sync, EventID: eventID(m), Topic: t.topic, Partition: p})
			var ae *api.Error
			if errors.As(err, &ae) {
				why := ae.Message // the API's sentence; another server's page is not printed
				if why == ae.Body {
					why = http.StatusText(ae.Status)
				}
				return i18n.Errorf("target.warmAnswer", "api", a.Name, "mode", m, "status", ae.Status, "body", term.Safe(why))
			}
			if err != nil {
				return Unreachable(a, err)
			}
		}
	}
	return nil
}

// Conn is an open connection to a target: the direct path with its
// bypass, Toxiproxy's proxies sorted by name, an admin client on the path.
type Conn struct {
	Path    *direct.Path
	Proxies Proxies
	Admin   *kadm.Client
	// Dialer: the lab's dialer or relay makes proxies as brokers are
	// reached (see Current and Faultable).
	Dialer bool
	tc     *toxiclient.Client
	url    string
}

// Connect reads the bypass from Toxiproxy, checks that no proxy is
// disabled or holds a toxic, and opens an admin client; Close releases it.
func (t *Target) Connect(ctx context.Context) (*Conn, error) {
	tc, err := toxiclient.New(t.toxiproxy)
	if err != nil {
		return nil, err
	}
	up, err := tc.Upstreams(ctx)
	if errors.Is(err, toxiclient.ErrNoAnswer) {
		return nil, &i18n.Error{Msg: i18n.M("target.noToxiproxy", "url", t.toxiproxy, "err", i18n.Reason(err)), Err: err}
	}
	if err != nil { // something else answers there: its status, not its page
		why := i18n.Reason(err)
		if ae := (*toxiclient.APIError)(nil); errors.As(err, &ae) {
			why = "HTTP " + strconv.Itoa(ae.Status)
		}
		return nil, &i18n.Error{Msg: i18n.M("target.notToxiproxy", "url", t.toxiproxy, "err", why), Err: err}
	}
	proxies, err := cleanProxies(ctx, tc, t.toxiproxy)
	if err != nil {
		return nil, err
	}
	popts := []direct.Opt{direct.Bypass(up)}
	if len(t.direct.Bootstrap()) == 0 {
		popts = append(popts, direct.Bootstrap(LabBootstrap(proxies, t.Bootstrap())...))
	}
	path, err := t.direct.With(popts...)
	if err != nil {
		return nil, err
	}
	cl, err := path.Client()
	if err != nil {
		return nil, err
	}
	dialer := slices.ContainsFunc(proxies, func(p *toxiclient.Proxy) bool { return toxiclient.IsDialerProxy(p.Name) })
	return &Conn{Path: path, Proxies: proxies, Admin: kadm.NewClient(cl), Dialer: dialer, tc: tc, url: t.toxiproxy}, nil
}

// LabBootstrap returns the upstream of proxy kafka if it is a loopback
// address (the running lab's direct bootstrap in every mode), else def.
func LabBootstrap(proxies Proxies, def []string) []string {
	for _, p := range proxies {
		host, _, err := net.SplitHostPort(p.Upstream)
		if ip := net.ParseIP(host); p.Name == "kafka" && err == nil && (host == "localhost" || ip != nil && ip.IsLoopback()) {
			return []string{p.Upstream}
		}
	}
	return def
}

// Close closes the admin client.
func (c *Conn) Close() { c.Admin.Close() }

// listProxies lists Toxiproxy's proxies, sorted by name.
func listProxies(ctx context.Context, tc *toxiclient.Client, baseURL string) (Proxies, error) {
	m, err := tc.Proxies(ctx)
	if err != nil {
		return nil, fmt.Errorf("toxiproxy at %s: %w", baseURL, err)
	}
	return slices.SortedFunc(maps.Values(m), func(a, b *toxiclient.Proxy) int { return strings.Compare(a.Name, b.Name) }), nil
}

// cleanProxies lists Toxiproxy's proxies and refuses a disabled one or
// any toxic already on them: the run must be the only fault.
func cleanProxies(ctx context.Context, tc *toxiclient.Client, baseURL string) (Proxies, error) {
	ps, err := listProxies(ctx, tc, baseURL)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, i18n.Errorf("target.noProxy", "url", baseURL)
	}
	for _, p := range ps {
		if !p.Enabled {
			return nil, i18n.Errorf("target.disabled", "proxy", p.Name, "url", baseURL)
		}
		ts, err := p.Toxics(ctx)
		if err != nil {
			return nil, fmt.Errorf("toxiproxy proxy %s: %w", p.Name, err)
		}
		if len(ts) > 0 {
			var tn []string
			for _, t := range ts {
				tn = append(tn, t.Name)
			}
			return nil, &i18n.Error{Msg: i18n.M("target.toxics", "proxy", p.Name, "toxics", strings.Join(tn, ", "), "url", baseURL), Err: ErrToxicsPresent}
		}
	}
	return ps, nil
}

// Proxies are the Toxiproxy proxies in front of the brokers. Their calls
// take no context, so that clean-up runs after a run ended: toxiclient's
// timeout (30 s) bounds each one.
type Proxies []*toxiclient.Proxy

// AddToxic puts the toxic name of type typ on every proxy, or on none: if
// one proxy refuses it, those that took it lose it.
func (ps Proxies) AddToxic(name, typ, stream string, attrs toxiclient.Attributes) error {
	for i, p := range ps {
		if _, err := p.AddToxic(context.Background(), name, typ, stream, 1, attrs); err != nil {
			err = fmt.Errorf("add %s toxic to proxy %s: %w", typ, p.Name, err)
			if rerr := ps[:i].RemoveToxic(name); rerr != nil {
				err = errors.Join(err, fmt.Errorf("undoing it: %w", rerr))
			}
			return err
		}
	}
	return nil
}

// RemoveToxic removes the toxic name from every proxy that holds it. A
// latency toxic's removal can outlast the call (Toxiproxy flushes what it
// holds): a failed call is followed by gone.
func (ps Proxies) RemoveToxic(name string) error {
	var errs []error
	for _, p := range ps {
		if err := p.RemoveToxic(context.Background(), name); err != nil && !toxiclient.IsNotFound(err) && !gone(p, name) {
			errs = append(errs, fmt.Errorf("remove toxic from proxy %s: %w", p.Name, err))
		}
	}
	return errors.Join(errs...)
}

// gone polls p every 200 ms, for up to 2 minutes, until it no longer
// lists the toxic name; it gives up once Toxiproxy stops answering.
func gone(p *toxiclient.Proxy, name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for unanswered := 0; unanswered < 3 && wait.For(ctx, 200*time.Millisecond) == nil; {
		ts, err := p.Toxics(ctx)
		if err == nil && !slices.ContainsFunc(ts, func(t toxiclient.Toxic) bool { return t.Name == name }) {
			return true
		}
		if err != nil && !errors.As(err, new(*toxiclient.APIError)) {
			unanswered++
		} else {
			unanswered = 0
		}
	}
	return false
}
