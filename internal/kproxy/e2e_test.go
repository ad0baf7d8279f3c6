package kproxy_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab/internal/kproxy"
	"github.com/prodlab/prodlab/internal/toxi"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

const topic = "bhf-transactions"

// fronted is a kfake cluster whose brokers advertise their own addresses,
// behind real Toxiproxy and the relay: proxy "kafka" is the bootstrap.
type fronted struct {
	cluster   *kfake.Cluster
	toxi      *toxi.Server
	tc        *toxiclient.Client
	relay     *kproxy.Relay
	bootstrap string
}

func front(t testing.TB, brokers int) *fronted {
	return frontWith(t, []kfake.Opt{kfake.NumBrokers(brokers)})
}

// clusterAndToxi starts a kfake cluster made with opts and a Toxiproxy,
// both stopped when t ends.
func clusterAndToxi(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, *toxi.Server) {
	t.Helper()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s, err := toxi.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return c, s
}

// frontWith fronts a cluster made with copts (and the topic) by a relay
// made with ropts.
func frontWith(t testing.TB, copts []kfake.Opt, ropts ...kproxy.Opt) *fronted {
	t.Helper()
	c, s := clusterAndToxi(t, append(copts, kfake.SeedTopics(3, topic))...)
	r, err := kproxy.New(s, append([]kproxy.Opt{kproxy.Logger(slog.New(slog.DiscardHandler))}, ropts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	up, err := r.Listen(c.ListenAddrs()...)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := s.AddProxy("kafka", "127.0.0.1:0", up)
	if err != nil {
		t.Fatal(err)
	}
	r.Exempt(boot)
	tc := toxiClient(t, s)
	return &fronted{cluster: c, toxi: s, tc: tc, relay: r, bootstrap: boot}
}

// proxyAddrs are the addresses Toxiproxy listens on.
func (f *fronted) proxyAddrs() map[string]bool {
	m := map[string]bool{}
	for listen := range f.toxi.Proxies() {
		m[listen] = true
	}
	return m
}

// checkOnlyProxies fails unless every broker address is a Toxiproxy
// proxy's, and there are want of them.
func (f *fronted) checkOnlyProxies(t testing.TB, who string, addrs []string, want int) {
	t.Helper()
	proxies := f.proxyAddrs()
	addrs = slices.Sorted(slices.Values(addrs))
	for _, a := range addrs {
		if !proxies[a] {
			t.Errorf("%s: metadata names %s, not a Toxiproxy proxy (%v)", who, a, proxies)
		}
		for _, d := range f.cluster.ListenAddrs() {
			if a == d {
				t.Errorf("%s: metadata names the broker's own address %s", who, a)
			}
		}
	}
	if len(addrs) != want {
		t.Errorf("%s: %d brokers in metadata %v, want %d", who, len(addrs), addrs, want)
	}
}

// leaderProxy returns the Toxiproxy proxy of the leader of partition p.
func (f *fronted) leaderProxy(t *testing.T, p int32) *toxiclient.Proxy {
	t.Helper()
	leader := f.cluster.LeaderFor(topic, p)
	for _, b := range f.relay.Brokers() {
		if b.NodeID == leader {
			return f.tc.Proxy(b.Name)
		}
	}
	t.Fatalf("no proxy for leader %d among %v", leader, f.relay.Brokers())
	return nil
}

// latency puts a downstream latency toxic of d on px until the test ends.
func latency(t *testing.T, px *toxiclient.Proxy, d time.Duration) {
	t.Helper()
	if _, err := px.AddToxic(t.Context(), "latency", "latency", "downstream", 1, toxiclient.Attributes{"latency": d.Milliseconds()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.RemoveToxic(context.Background(), "latency") })
}

// client returns a client bootstrapped at the lab's proxy, producing to
// the topic by partition, once its Metadata names only the 3 proxies and a
// first record went through.
func (f *fronted) client(t *testing.T, who string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(f.bootstrap), kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	f.checkOnlyProxies(t, who, franzMetadata(t, cl), 3)
	if err := cl.ProduceSync(t.Context(), &kgo.Record{Value: []byte("warm")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return cl
}

// slowed puts a 1.5 s latency toxic on the proxy of partition p's leader
// and checks that a produce to p takes at least that long.
func (f *fronted) slowed(t *testing.T, cl *kgo.Client, p int32, what string) {
	t.Helper()
	latency(t, f.leaderProxy(t, p), 1500*time.Millisecond)
	start := time.Now()
	if err := cl.ProduceSync(t.Context(), &kgo.Record{Value: []byte("slow"), Partition: p}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Fatalf("%s under a 1.5 s toxic on the leader's proxy took %v", what, took)
	}
}

func franzMetadata(t *testing.T, cl *kgo.Client) []string {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	resp, err := req.RequestWith(t.Context(), cl)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range resp.Brokers {
		out = append(out, net.JoinHostPort(b.Host, fmt.Sprint(b.Port)))
	}
	return out
}

// TestFranzThroughRelay: a franz-go client bootstrapped at the lab's
// proxy sees only proxies in Metadata, from the bootstrap and from each
// broker, and a latency toxic on the leader's proxy delays its produce.
// A broker added while it runs gets its proxy on first sight.
func TestFranzThroughRelay(t *testing.T) {
	f := front(t, 3)
	cl := f.client(t, "franz-go")
	// The FindCoordinator answer names a proxy too.
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKey, fc.CoordinatorKeys = "g1", []string{"g1"}
	resp, err := fc.RequestWith(t.Context(), cl)
	if err != nil {
		t.Fatal(err)
	}
	coords := []string{net.JoinHostPort(resp.Host, fmt.Sprint(resp.Port))} // kgo fills it from v4's list too
	for _, c := range resp.Coordinators {
		coords = append(coords, net.JoinHostPort(c.Host, fmt.Sprint(c.Port)))
	}
	f.checkOnlyProxies(t, "FindCoordinator", coords, 1+len(resp.Coordinators))

	f.slowed(t, cl, 0, "produce")

	// A fourth broker, added now, leading partition 1.
	id, _, err := f.cluster.AddNode(-1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cluster.MoveTopicPartition(topic, 1, id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool { return len(franzMetadata(t, cl)) == 4 }); err != nil {
		t.Fatal(err)
	}
	f.checkOnlyProxies(t, "franz-go after a broker joined", franzMetadata(t, cl), 4)
	f.slowed(t, cl, 1, "produce to the new broker")
	names := []string{}
	for _, b := range f.relay.Brokers() {
		names = append(names, b.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"broker-0", "broker-1", "broker-2", "broker-3"}) {
		t.Errorf("broker proxies %v", names)
	}
}
