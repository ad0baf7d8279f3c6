package broker_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/wait"
)

// compactLab starts a broker with a compacted topic as Étape 17 creates
// it (segment.ms=1000) and returns a client that produces to it.
func compactLab(t *testing.T, opts ...broker.Opt) (*kgo.Client, string) {
	t.Helper()
	c, err := broker.Start(append([]broker.Opt{broker.Logger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	const topic = "bhf-compact-demo"
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.DirectAddrs()...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	one, seg, ratio := "compact", "1000", "0.01"
	resp, err := kadm.NewClient(cl).CreateTopic(t.Context(), 1, 1,
		map[string]*string{"cleanup.policy": &one, "segment.ms": &seg, "min.cleanable.dirty.ratio": &ratio}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
	return cl, topic
}

func send(t *testing.T, cl *kgo.Client, key, value string) time.Time {
	t.Helper()
	if err := cl.ProduceSync(t.Context(), &kgo.Record{Key: []byte(key), Value: []byte(value)}).FirstErr(); err != nil {
		t.Fatalf("send %s=%s: %v", key, value, err)
	}
	return time.Now()
}

// onlyV3 waits up to 10 s until customer-42 holds only V3 after what.
func onlyV3(ctx context.Context, t *testing.T, cl *kgo.Client, topic, what string) {
	t.Helper()
	var got []string
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := wait.Until(wctx, func() bool {
		got = values(t, cl, topic, "customer-42")
		return slices.Equal(got, []string{"V3"})
	}); err != nil {
		t.Fatalf("customer-42 holds %v 10 s after %s, want [V3]", got, what)
	}
}

// values reads topic from the beginning and returns key's values.
func values(t *testing.T, cl *kgo.Client, topic, key string) []string {
	t.Helper()
	hwm := endOffset(t, cl, topic)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	rd, err := kgo.NewClient(kgo.SeedBrokers(cl.OptValue(kgo.SeedBrokers).([]string)...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var out []string
	for last := int64(-1); last+1 < hwm; {
		fs := rd.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("read %s: %v", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			last = r.Offset
			if string(r.Key) == key {
				out = append(out, string(r.Value))
			}
		})
	}
	return out
}

// TestRollOnAnyKey: V1, V2 and V3 a second apart, then another key a
// second later. Each write after segment.ms rolls the segment, whatever
// its key, and the cleaner then keeps only V3, as on Kafka.
func TestRollOnAnyKey(t *testing.T) {
	cl, topic := compactLab(t)
	ctx := t.Context()
	for i, v := range []string{"V1", "V2", "V3"} {
		if i > 0 {
			if err := wait.For(ctx, time.Second); err != nil { // the scenario's pace
				t.Fatal(err)
			}
		}
		send(t, cl, "customer-42", v)
	}
	if err := wait.For(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	sent := send(t, cl, "customer-7", "C1")
	onlyV3(ctx, t, cl, topic, "the control record")
	t.Logf("only V3 left %s after the control record", time.Since(sent).Round(time.Millisecond))
}

// TestQuickVersionsStay: V1, V2, V3 and a control key sent in quick
// succession stay readable as long as nothing else is written, however
// long the reader takes; the next write after segment.ms rolls them.
func TestQuickVersionsStay(t *testing.T) {
	cl, topic := compactLab(t)
	first := time.Now()
	for _, v := range []string{"V1", "V2", "V3"} {
		send(t, cl, "customer-42", v)
	}
	last := send(t, cl, "customer-7", "C1")
	if d := last.Sub(first); d >= time.Second {
		t.Skipf("the four sends took %s, not quick succession under segment.ms=1000", d)
	}
	// Reading at a person's pace for 3 s, three segment.ms: no write, no roll.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		if got := values(t, cl, topic, "customer-42"); !slices.Equal(got, []string{"V1", "V2", "V3"}) {
			t.Fatalf("customer-42 holds %v before any roll, want [V1 V2 V3]", got)
		}
	}
	sent := send(t, cl, "customer-7", "C2")
	onlyV3(t.Context(), t, cl, topic, "the rolling write")
	t.Logf("only V3 left %s after the rolling write", time.Since(sent).Round(time.Millisecond))
}

// TestRollKeyRollsAtOnce: compaction-check's roll key rolls before
// segment.ms has passed.
func TestRollKeyRollsAtOnce(t *testing.T) {
	cl, topic := compactLab(t, broker.CompactOnKey("roll"), broker.Topics(1, "other"))
	for _, v := range []string{"V1", "V2", "V3"} {
		send(t, cl, "customer-42", v)
	}
	send(t, cl, "roll", "x")
	onlyV3(t.Context(), t, cl, topic, "the roll key")
}
