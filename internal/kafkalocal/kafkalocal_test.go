package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The tests in this file run real Kafka brokers. They need java and mvn and
// run only with PRODLAB_KAFKA=local. PRODLAB_KAFKA_MODE picks the mode they
// bring up when nothing runs yet (default single-node); brokers that already
// run (for example started by `prodlab kafka up cluster`) are reused and
// left running.

func requireLocalKafka(t *testing.T) {
	t.Helper()
	if os.Getenv("PRODLAB_KAFKA") != "local" {
		t.Skip("real Kafka tests skipped: set PRODLAB_KAFKA=local (needs java 17+ and mvn; PRODLAB_KAFKA_MODE=single-node|cluster)")
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startedHere is set when a test of this package brought the brokers up;
// TestMain then stops them after the last test, so that the tests share one
// cluster instead of starting one each.
var startedHere bool

func TestMain(m *testing.M) {
	code := m.Run()
	if startedHere {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if err := Down(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "kafkalocal: Down:", err)
			code = 1
		}
		cancel()
	}
	os.Exit(code)
}

// upOrReuse returns the running local Kafka, bringing one up when none runs.
func upOrReuse(ctx context.Context, t *testing.T) *Cluster {
	t.Helper()
	st, err := Status(ctx)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if st.Running() {
		t.Logf("reusing running %s brokers", st.Mode)
		if err := WaitReady(ctx, Output(testWriter{t})); err != nil {
			t.Fatalf("WaitReady: %v", err)
		}
		return st
	}
	mode := os.Getenv("PRODLAB_KAFKA_MODE")
	if mode == "" {
		mode = ModeSingleNode
	}
	start := time.Now()
	startedHere = true
	st, err = Up(ctx, mode, Output(testWriter{t}))
	if err != nil {
		t.Fatalf("Up(%s): %v", mode, err)
	}
	t.Logf("Up(%s) took %v", mode, time.Since(start).Round(time.Millisecond))
	return st
}

func TestLocalKafkaProduceConsume(t *testing.T) {
	requireLocalKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st := upOrReuse(ctx, t)

	spec, err := Topic(st.Mode)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := DirectBootstrap(st.Mode)
	boot := strings.Split(direct, ",")

	// The topic has the partitions, replication and min ISR of the layout.
	adm, err := kgo.NewClient(kgo.SeedBrokers(boot...))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	admin := kadm.NewClient(adm)
	tds, err := admin.ListTopics(ctx, prodlab.DefaultTopic)
	if err != nil {
		t.Fatalf("ListTopics: %v", err)
	}
	td := tds[prodlab.DefaultTopic]
	if td.Err != nil || len(td.Partitions) != prodlab.DefaultPartitions {
		t.Fatalf("%s: err %v, %d partitions, want %d", prodlab.DefaultTopic, td.Err, len(td.Partitions), prodlab.DefaultPartitions)
	}
	for _, p := range td.Partitions.Sorted() {
		if len(p.Replicas) != int(spec.ReplicationFactor) {
			t.Errorf("%s[%d] replicas %v, want %d", prodlab.DefaultTopic, p.Partition, p.Replicas, spec.ReplicationFactor)
		}
	}
	rcs, err := admin.DescribeTopicConfigs(ctx, prodlab.DefaultTopic)
	if err != nil {
		t.Fatalf("DescribeTopicConfigs: %v", err)
	}
	for k, want := range spec.Configs {
		rc, err := rcs.On(prodlab.DefaultTopic, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, cfg := range rc.Configs {
			if cfg.Key == k {
				got = cfg.MaybeValue()
			}
		}
		if got != want {
			t.Errorf("%s %s = %q, want %q", prodlab.DefaultTopic, k, got, want)
		}
	}

	// An unknown topic is an error, not auto-created.
	if tds, err := admin.ListTopics(ctx, "prodlab-no-such-topic"); err == nil && tds["prodlab-no-such-topic"].Err == nil {
		t.Errorf("unknown topic was auto-created")
	}

	// Produce one record on DIRECT and read it back.
	value := fmt.Sprintf("kafkalocal-test-%d", time.Now().UnixNano())
	prod, err := kgo.NewClient(kgo.SeedBrokers(boot...), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	res := prod.ProduceSync(ctx, &kgo.Record{Topic: prodlab.DefaultTopic, Key: []byte("k"), Value: []byte(value)})
	rec, err := res.First()
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(boot...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{prodlab.DefaultTopic: {rec.Partition: kgo.NewOffset().At(rec.Offset)}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	for found := false; !found; {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("record %q not consumed: %v", value, ctx.Err())
		}
		for _, e := range fs.Errors() {
			t.Logf("fetch error %s[%d]: %v", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Value) == value {
				found = true
			}
		})
	}

	// The PROXIED listener advertises the Toxiproxy ports.
	for _, b := range st.Brokers {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b.Proxied.BindAddr()))
		if err != nil {
			t.Fatal(err)
		}
		req := kmsg.NewPtrMetadataRequest()
		resp, err := cl.SeedBrokers()[0].Request(ctx, req)
		cl.Close()
		if err != nil {
			t.Fatalf("metadata on PROXIED %s: %v", b.Proxied.BindAddr(), err)
		}
		got := map[int32]string{}
		for _, mb := range resp.(*kmsg.MetadataResponse).Brokers {
			got[mb.NodeID] = hostPort(mb.Host, int(mb.Port))
		}
		for _, o := range st.Brokers {
			if got[int32(o.NodeID)] != ProxyListenAddr(o.NodeID) {
				t.Errorf("PROXIED metadata from broker %d: broker %d at %q, want %q", b.NodeID, o.NodeID, got[int32(o.NodeID)], ProxyListenAddr(o.NodeID))
			}
		}
	}
}

func TestLocalKafkaFailover(t *testing.T) {
	requireLocalKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running() && os.Getenv("PRODLAB_KAFKA_MODE") == ModeCluster {
		st = upOrReuse(ctx, t)
	}
	if st.Mode != ModeCluster || !st.Running() {
		t.Skip("failover test needs the cluster: run `prodlab kafka up cluster` or set PRODLAB_KAFKA_MODE=cluster")
	}
	if err := WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	const victim = 3
	if err := KillBroker(ctx, victim); err != nil {
		t.Fatalf("KillBroker: %v", err)
	}
	t.Cleanup(func() {
		if err := StartBroker(context.Background(), victim); err != nil {
			t.Errorf("StartBroker in cleanup: %v", err)
		}
	})
	after, err := Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Brokers[victim-1].Running {
		t.Fatalf("broker %d still running after KillBroker", victim)
	}

	// With two of three replicas left, acks=all still meets min.insync.replicas=2.
	// One record per partition, so the partitions broker 3 led must fail over.
	prod, err := kgo.NewClient(kgo.SeedBrokers(DirectAddr(1), DirectAddr(2)),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	var recs []*kgo.Record
	for p := int32(0); p < prodlab.DefaultPartitions; p++ {
		recs = append(recs, &kgo.Record{Topic: prodlab.DefaultTopic, Partition: p, Value: []byte("during-failover")})
	}
	produced := time.Now()
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce with broker %d down: %v", victim, err)
	}
	t.Logf("acks=all produce to every partition with broker %d down took %v", victim, time.Since(produced).Round(time.Millisecond))

	start := time.Now()
	if err := StartBroker(ctx, victim); err != nil {
		t.Fatalf("StartBroker: %v", err)
	}
	if err := WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady after restart: %v", err)
	}
	t.Logf("broker %d back with full ISR after %v", victim, time.Since(start).Round(time.Millisecond))
}

// TestOptsValidated: every entry point checks its options before it does
// anything, and a bad value is refused, not replaced by a default.
func TestOptsValidated(t *testing.T) {
	for _, c := range []struct {
		opt  Opt
		want string
	}{
		{Dir(""), "Dir is empty"},
		{ReadyTimeout(0), "ReadyTimeout 0s"},
		{ReadyTimeout(-1), "ReadyTimeout -1ns"},
		{StopTimeout(-5), "StopTimeout -5ns"},
		{Output(nil), "Output is nil"},
	} {
		// A dir that must never be created: validation comes first.
		opts := []Opt{Dir(t.TempDir() + "/never"), c.opt}
		errs := []error{Down(context.Background(), opts...), WaitReady(context.Background(), opts...)}
		_, err := Status(context.Background(), opts...)
		errs = append(errs, err)
		for _, err := range errs {
			if !errors.Is(err, ErrOption) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want ErrOption naming it", c.want, err)
			}
		}
	}
	if c, err := newConfig(nil); err != nil || c.readyTimeout <= 0 || c.out == nil {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
}
