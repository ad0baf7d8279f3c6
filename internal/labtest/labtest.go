// Package labtest starts a lab for tests against the target that
// PRODLAB_KAFKA names: embedded (the default: kfake, every port free) or
// local (real Kafka from scripts/kafka-local.sh, on PRODLAB_KAFKA_BOOTSTRAP,
// default the direct listeners of the Mode layout, whose proxied listeners
// advertise the fixed ports 29093...: run such packages with go test -p 1).
package labtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/conntest"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

// Target returns "embedded" or "local".
func Target() string { return cmp.Or(os.Getenv("PRODLAB_KAFKA"), "embedded") }

// Local reports whether the tests run against real Apache Kafka.
func Local() bool { return Target() == "local" }

// EmbeddedOnly skips t against real Kafka, saying why.
func EmbeddedOnly(t testing.TB, why string) {
	t.Helper()
	if Local() {
		t.Skip(why)
	}
}

// Mode returns the real Kafka layout named by PRODLAB_KAFKA_MODE:
// "single-node" (the default) or "cluster".
func Mode() string { return cmp.Or(os.Getenv("PRODLAB_KAFKA_MODE"), kafkalocal.ModeSingleNode) }

// Start runs a lab of every engine for t, closed when t ends; mod adjusts
// the config. Every port is free unless the target fixes it.
func Start(t testing.TB, mod ...func(*lab.Config)) *lab.Lab {
	t.Helper()
	cfg := lab.EphemeralConfig() // no web console unless a test asks for one
	for _, n := range engine.Names() {
		cfg.APIPorts[n] = 0
	}
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	switch Target() {
	case "embedded":
	case "local":
		bs := os.Getenv("PRODLAB_KAFKA_BOOTSTRAP")
		if bs == "" {
			var err error
			if bs, err = kafkalocal.DirectBootstrap(Mode()); err != nil {
				t.Fatalf("PRODLAB_KAFKA_MODE: %v", err)
			}
		}
		cfg.External = prodlab.SplitList(bs) // one proxy per broker: lab asks the cluster
		cfg.ProxyPort = prodlab.DefaultPorts.ProxyPort(1)
		waitProxyPorts(t)
	default:
		t.Fatalf("PRODLAB_KAFKA=%q: use embedded or local", Target())
	}
	for _, m := range mod {
		m(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := lab.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open lab: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		l.Close(ctx)
	})
	if err := l.WaitReady(ctx); err != nil {
		t.Fatalf("lab not ready: %v", err)
	}
	return l
}

// waitProxyPorts waits up to 3 minutes while another run holds the fixed
// proxy ports.
func waitProxyPorts(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := wait.Until(ctx, func() bool {
		for i := 1; i <= 3; i++ {
			ln, err := net.Listen("tcp", prodlab.Loopback(prodlab.DefaultPorts.ProxyPort(i)))
			if err != nil {
				return false
			}
			ln.Close()
		}
		return true
	})
	if err != nil {
		t.Fatalf("proxy ports %d-%d stay taken: is another prodlab up or test run using the local Kafka? %v", prodlab.DefaultPorts.ProxyPort(1), prodlab.DefaultPorts.ProxyPort(3), err)
	}
}

// SelfAdvertising starts an embedded cluster of n brokers that advertise
// their own listeners, as a managed cluster does, and a lab over it in
// dialer mode. It returns the lab and the cluster's bootstrap.
func SelfAdvertising(t testing.TB, n int, mod ...func(*lab.Config)) (*lab.Lab, []string) {
	t.Helper()
	return selfAdvertising(t, n, lab.Dialed, lab.Dialed, mod...)
}

// Relayed is SelfAdvertising with the lab in its auto mode, the relay.
func Relayed(t testing.TB, n int, mod ...func(*lab.Config)) (*lab.Lab, []string) {
	t.Helper()
	return selfAdvertising(t, n, lab.FaultsAuto, lab.Relayed, mod...)
}

// RelayedHere is a lab in relay mode over the target's cluster: Relayed
// with three brokers, or the real brokers' DIRECT listeners. It returns
// the lab and its number of brokers.
func RelayedHere(t testing.TB, mod ...func(*lab.Config)) (*lab.Lab, int) {
	t.Helper()
	if !Local() {
		l, _ := Relayed(t, 3, mod...)
		return l, 3
	}
	l := Start(t, append([]func(*lab.Config){func(c *lab.Config) { c.Faults = lab.Relayed }}, mod...)...)
	if m := l.FaultMode(); m != lab.Relayed {
		t.Fatalf("fault mode %q over the real cluster's direct listeners, want %q", m, lab.Relayed)
	}
	n, _ := kafkalocal.BrokerCount(Mode())
	return l, n
}

// selfAdvertising asks for faults and fails t unless the lab runs in want.
func selfAdvertising(t testing.TB, n int, faults, want lab.FaultMode, mod ...func(*lab.Config)) (*lab.Lab, []string) {
	t.Helper()
	// The lab's embedded broker, with its fixes, before Advertise.
	c, err := broker.Start(broker.Brokers(n), broker.Topics(prodlab.DefaultPartitions, prodlab.DefaultTopic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	bootstrap := c.DirectAddrs()
	l := Start(t, append([]func(*lab.Config){func(c *lab.Config) {
		c.External, c.Upstreams, c.Faults = bootstrap, nil, faults
	}}, mod...)...)
	if m := l.FaultMode(); m != want {
		t.Fatalf("fault mode %q over a self-advertising cluster, want %q", m, want)
	}
	return l, bootstrap
}

// Kcat returns the path of kcat, a Kafka client nobody here wrote. It
// skips t without it, or fails t under PRODLAB_REQUIRE_KCAT=1.
func Kcat(t testing.TB) string {
	t.Helper()
	kcat, err := exec.LookPath("kcat")
	if err == nil {
		return kcat
	}
	if os.Getenv("PRODLAB_REQUIRE_KCAT") == "1" {
		t.Fatalf("PRODLAB_REQUIRE_KCAT=1 and no kcat (apt-get install kcat): %v", err)
	}
	t.Skipf("kcat not installed: %v", err)
	return ""
}

// OnlyProxies fails t unless addrs, the brokers a client's metadata named
// (host:port each), are n distinct addresses where Toxiproxy's proxies of
// l listen: none is a broker's own address.
func OnlyProxies(t testing.TB, l *lab.Lab, who string, addrs []string, n int) {
	t.Helper()
	proxies, err := toxi(t, l).Upstreams(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if _, ok := proxies[a]; !ok {
			t.Errorf("%s: metadata names %s, where no Toxiproxy proxy listens (%v)", who, a, proxies)
		}
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(addrs))); len(distinct) != n || len(addrs) != n {
		t.Errorf("%s: metadata names %v, want %d distinct brokers", who, addrs, n)
	}
}

// SlowBrokers slows every broker proxy of l (DialerProxies), not the
// bootstrap proxy kafka, by d until t ends (Slow).
func SlowBrokers(t testing.TB, l *lab.Lab, d time.Duration) {
	t.Helper()
	all := Proxies(t, l)
	var ps []*toxiclient.Proxy
	for _, p := range l.DialerProxies() {
		ps = append(ps, all[p.Name])
	}
	if len(ps) == 0 {
		t.Fatalf("lab in mode %s has no broker proxy", l.FaultMode())
	}
	Slow(t, d, ps...)
}

// Proxies returns l's Toxiproxy proxies by name.
func Proxies(t testing.TB, l *lab.Lab) map[string]*toxiclient.Proxy {
	t.Helper()
	ps, err := toxi(t, l).Proxies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// toxi returns a client of l's Toxiproxy.
func toxi(t testing.TB, l *lab.Lab) *toxiclient.Client {
	t.Helper()
	tc, err := toxiclient.New(l.ToxiproxyURL())
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// Slow puts a downstream latency toxic "slow" of d on ps until t ends.
func Slow(t testing.TB, d time.Duration, ps ...*toxiclient.Proxy) {
	t.Helper()
	for _, p := range ps {
		if p == nil {
			t.Fatal("no such proxy")
		}
		if _, err := p.AddToxic(t.Context(), "slow", "latency", "downstream", 1, toxiclient.Attributes{"latency": d.Milliseconds()}); err != nil {
			t.Fatalf("latency toxic on %s: %v", p.Name, err)
		}
		t.Cleanup(func() { _ = p.RemoveToxic(context.Background(), "slow") })
	}
}

// ClosedAddr returns a loopback address where nothing listens.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln := conntest.Listen(t)
	ln.Close()
	return ln.Addr().String()
}

// API returns l's API of engine name, or nil if l does not run it.
func API(l *lab.Lab, name string) *lab.API {
	if i := slices.IndexFunc(l.APIs(), func(a *lab.API) bool { return a.Engine.Name() == name }); i >= 0 {
		return l.APIs()[i]
	}
	return nil
}

// Admin returns an admin client on l's direct path, closed when t ends.
func Admin(t testing.TB, l *lab.Lab) *kadm.Client {
	t.Helper()
	cl, err := l.Direct().Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// Topic creates a fresh topic with the given partitions and configs and
// returns its name, unique to this run.
func Topic(t testing.TB, l *lab.Lab, partitions int32, configs map[string]*string) string {
	t.Helper()
	name := "t-" + strings.NewReplacer("/", "-", " ", "-").Replace(strings.ToLower(t.Name())) + "-" + rand.Text()[:8]
	if len(name) > 200 {
		name = name[len(name)-200:]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := Admin(t, l)
	if _, err := adm.CreateTopic(ctx, partitions, -1, configs, name); err != nil { // the topic's error too
		t.Fatalf("create topic %s: %v", name, err)
	}
	if _, err := direct.WaitLeaders(ctx, adm, name, int(partitions)); err != nil {
		t.Fatalf("topic %s never got leaders: %v", name, err)
	}
	return name
}

// Records reads every record of topic through the direct path.
func Records(t testing.TB, l *lab.Lab, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs, err := l.Direct().ReadAll(ctx, topic)
	if err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
	return recs
}

// Count returns the records of topic whose eventId (direct.EventID: the
// header, else the JSON value's field) is eventID.
func Count(t testing.TB, l *lab.Lab, topic, eventID string) []*kgo.Record {
	t.Helper()
	return slices.DeleteFunc(Records(t, l, topic), func(r *kgo.Record) bool { return direct.EventID(r) != eventID })
}

// Warm sends one sync record per mode through every API of l to topic, so
// that they hold its metadata before a toxic slows the proxies.
func Warm(t testing.TB, l *lab.Lab, topic string) {
	t.Helper()
	for _, a := range l.APIs() {
		for _, mode := range []string{"plain", "idempotent"} {
			Send(t, a, "mode", mode, "eventId", "warm-up", "topic", topic)
		}
	}
}

// Sent is the API's answer to a successful sync send.
type Sent struct {
	Topic     string
	Partition int32
	Offset    int64
	EventID   string
}

// Send does a sync send through a with the given parameter pairs (mode
// defaults to plain) and fails t unless it lands at a partition and offset.
func Send(t testing.TB, a *lab.API, kv ...string) Sent {
	t.Helper()
	p := api.SendParams{Mode: prodlab.Plain, SendMode: prodlab.Sync}
	var partition string
	fields := map[string]*string{"mode": (*string)(&p.Mode), "sendMode": (*string)(&p.SendMode),
		"eventId": &p.EventID, "key": &p.Key, "topic": &p.Topic, "partition": &partition}
	for i := 0; i+1 < len(kv); i += 2 {
		f, ok := fields[kv[i]]
		if !ok {
			t.Fatalf("send: unknown parameter %q", kv[i])
		}
		*f = kv[i+1]
	}
	if partition != "" {
		n, err := strconv.ParseInt(partition, 10, 32)
		if err != nil {
			t.Fatalf("send: partition %q: %v", partition, err)
		}
		p.Partition = new(int32(n))
	}
	c, err := api.NewClient(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Send(context.Background(), p)
	if err != nil {
		t.Fatalf("send %+v through %s: %v", p, a.Engine.Name(), err)
	}
	if r.Status != "OK" || r.Partition == nil || r.Offset == nil {
		t.Fatalf("send %+v through %s: %s", p, a.Engine.Name(), r.Body)
	}
	return Sent{Topic: r.Topic, Partition: *r.Partition, Offset: *r.Offset, EventID: r.EventID}
}

// CheckError fails t unless raw is the lab's JSON error body with status
// code, a sentence, and field naming the input at fault ("" for none).
func CheckError(t testing.TB, code int, raw []byte, wantCode int, wantField string) {
	t.Helper()
	var e httpjson.ErrorBody
	err := json.Unmarshal(raw, &e)
	if code != wantCode || err != nil || e.Error == "" || e.Field != wantField || e.Status != wantCode {
		t.Fatalf("answer %d %s (%v), want %d and a JSON error sentence with field %q and status %d", code, raw, err, wantCode, wantField, wantCode)
	}
}

// ProduceSeed writes one record to partition p of topic on the direct path
// as the seed's Java API does: the eventId only in the JSON value.
func ProduceSeed(t testing.TB, l *lab.Lab, topic string, p int32, eventID string) {
	t.Helper()
	cl, err := l.Direct().Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v := fmt.Sprintf(`{"eventId":%q,"mode":"plain","sendMode":"sync","ts":%d}`, eventID, time.Now().UnixMilli())
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: p, Key: []byte(eventID), Value: []byte(v)}).FirstErr(); err != nil {
		t.Fatalf("produce %s like the seed: %v", eventID, err)
	}
}

// SeedAPI serves, for l, a producer API like the seed's Java one (the
// eventId only in the JSON value, sync sends only) and returns its URL.
func SeedAPI(t testing.TB, l *lab.Lab) string {
	t.Helper()
	common := []kgo.Opt{
		kgo.SeedBrokers(l.ProxyAddrs()...),
		kgo.ProduceRequestTimeout(500 * time.Millisecond),
		kgo.RequestTimeoutOverhead(500 * time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
		kgo.ProducerLinger(0),
	}
	client := func(opts ...kgo.Opt) *kgo.Client {
		cl, err := kgo.NewClient(append(common, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	plain := client(kgo.DisableIdempotentWrite(), kgo.RequiredAcks(kgo.LeaderAck()), kgo.RecordRetries(10))
	idem := client(kgo.RequiredAcks(kgo.AllISRAcks()))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "OK") })
	mux.HandleFunc("POST /api/v1/send", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		cl := idem
		if q.Get("mode") == "plain" {
			cl = plain
		}
		v, _ := json.Marshal(map[string]any{"eventId": q.Get("eventId"), "mode": q.Get("mode"), "sendMode": "sync"})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		key := cmp.Or(q.Get("key"), q.Get("eventId"))
		rec, err := cl.ProduceSync(ctx, &kgo.Record{Topic: q.Get("topic"), Key: []byte(key), Value: v}).First()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `{"status":"OK","partition":%d,"offset":%d}`, rec.Partition, rec.Offset)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}
