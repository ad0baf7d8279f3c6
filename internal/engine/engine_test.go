package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// These tests drive every registered engine directly, without the HTTP
// layer, through the lab's Toxiproxy ports.

// newEngine builds engine name against l's proxies and closes it when t
// ends.
func newEngine(t testing.TB, l *lab.Lab, name string, mod ...func(*prodlab.Config)) prodlab.Producer {
	t.Helper()
	cfg := prodlab.DefaultConfig()
	cfg.Bootstrap = l.ProxyAddrs()[:1]
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	for _, m := range mod {
		m(&cfg)
	}
	e, err := engine.New(name, cfg)
	if err != nil {
		t.Fatalf("engine %s: %v", name, err)
	}
	t.Cleanup(e.Close)
	return e
}

func ready(t testing.TB, e prodlab.Producer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Ready(ctx); err != nil {
		t.Fatalf("%s not ready: %v", e.Name(), err)
	}
}

func message(topic, eventID string) prodlab.Message {
	return prodlab.Message{Topic: topic, Key: []byte(eventID), Value: []byte(`{}`), Partition: prodlab.AnyPartition,
		Headers: []prodlab.Header{{Key: prodlab.HeaderEventID, Value: []byte(eventID)}}}
}

// syncSend produces m and waits for its delivery.
func syncSend(t testing.TB, e prodlab.Producer, mode prodlab.Mode, m prodlab.Message) prodlab.Delivery {
	t.Helper()
	d, err := produce(t, e, mode, m)
	if err != nil {
		t.Fatalf("%s %s produce: %v", e.Name(), mode, err)
	}
	return d
}

// produce produces m and waits for its delivery, unless Produce refuses it.
func produce(t testing.TB, e prodlab.Producer, mode prodlab.Mode, m prodlab.Message) (prodlab.Delivery, error) {
	t.Helper()
	done := make(chan prodlab.Delivery, 1)
	if err := e.Produce(mode, m, func(d prodlab.Delivery) { done <- d }); err != nil {
		return prodlab.Delivery{}, err
	}
	select {
	case d := <-done:
		return d, nil
	case <-time.After(60 * time.Second):
		t.Fatalf("%s %s: no delivery within 60s", e.Name(), mode)
	}
	return prodlab.Delivery{}, nil
}

func needEmbedded(t *testing.T, l *lab.Lab) {
	t.Helper()
	if l.Cluster() == nil {
		t.Skip("needs the embedded cluster's request control")
	}
}

// TestReadyWaitsForProducerID refuses InitProducerId on the broker and
// checks that no engine reports ready until the broker grants one.
func TestReadyWaitsForProducerID(t *testing.T) {
	l := labtest.Start(t)
	needEmbedded(t, l)
	topic := labtest.Topic(t, l, 1, nil)
	kc := l.Cluster().Kfake()
	var refuse atomic.Bool
	var refused atomic.Int64
	refuse.Store(true)
	kc.ControlKey(int16(kmsg.InitProducerID), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		if !refuse.Load() {
			return nil, nil, false
		}
		refused.Add(1)
		resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
		resp.SetVersion(req.GetVersion())
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp, nil, true
	})
	for _, name := range engine.Names() {
		t.Run(name, func(t *testing.T) {
			refuse.Store(true)
			before := refused.Load()
			e := newEngine(t, l, name)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := e.Ready(ctx)
			cancel()
			if err == nil {
				t.Fatal("ready while the broker refuses every InitProducerId")
			}
			if refused.Load() == before {
				t.Fatal("the engine never asked for a producer id")
			}
			refuse.Store(false)
			ready(t, e)
			start := time.Now()
			if d := syncSend(t, e, prodlab.Idempotent, message(topic, "after-pid-"+name)); d.Err != nil {
				t.Fatalf("idempotent send after ready: %v", d.Err)
			}
			t.Logf("%s: first idempotent send after ready took %v", name, time.Since(start).Round(time.Microsecond))
		})
	}
}

// TestModesOnTheWire checks what each producer puts on the wire: the acks
// of each ProduceRequest and the producer id of each written batch.
func TestModesOnTheWire(t *testing.T) {
	l := labtest.Start(t)
	needEmbedded(t, l)
	kc := l.Cluster().Kfake()
	var mu sync.Mutex
	var acks []int16
	kc.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		mu.Lock()
		acks = append(acks, req.(*kmsg.ProduceRequest).Acks)
		mu.Unlock()
		return nil, nil, false
	})
	cases := []struct {
		acksPlain string
		want      int16
	}{{"0", 0}, {"1", 1}, {"all", -1}}
	for _, name := range engine.Names() {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/acks=%s", name, c.acksPlain), func(t *testing.T) {
				topic := labtest.Topic(t, l, 1, nil)
				e := newEngine(t, l, name, func(cfg *prodlab.Config) { cfg.AcksPlain = c.acksPlain })
				ready(t, e)
				for _, mode := range prodlab.Modes {
					want := c.want
					if mode == prodlab.Idempotent {
						want = -1
					}
					mu.Lock()
					acks = nil
					mu.Unlock()
					ev := fmt.Sprintf("wire-%s-%s", name, mode)
					if d := syncSend(t, e, mode, message(topic, ev)); d.Err != nil {
						t.Fatalf("%s send: %v", mode, d.Err)
					}
					// acks=0 answers before the broker writes: wait for it.
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					var recs []int64
					err := wait.Until(ctx, func() bool {
						recs = recs[:0]
						for _, r := range labtest.Count(t, l, topic, ev) {
							recs = append(recs, r.ProducerID)
						}
						return len(recs) > 0
					})
					cancel()
					if err != nil {
						t.Fatalf("%s record never written", mode)
					}
					if idem := recs[0] >= 0; len(recs) != 1 || idem != (mode == prodlab.Idempotent) {
						t.Errorf("%s producer wrote %d records with producer ids %v", mode, len(recs), recs)
					}
					mu.Lock()
					got := slices.Clone(acks)
					mu.Unlock()
					if len(got) == 0 || slices.ContainsFunc(got, func(a int16) bool { return a != want }) {
						t.Errorf("%s producer sent acks %v, want %d", mode, got, want)
					}
				}
			})
		}
	}
}

// TestPartitionPastTheTopic asks each engine for partition 3 of a topic of
// 2, as a send does when the API's count predates the topic's recreation
// with fewer partitions: the record fails, and is written nowhere (franz
// hashed its key to another partition and answered OK there).
func TestPartitionPastTheTopic(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 2, nil)
	for _, name := range engine.Names() {
		e := newEngine(t, l, name)
		ready(t, e)
		for _, mode := range prodlab.Modes {
			ev := fmt.Sprintf("past-%s-%s", name, mode)
			m := message(topic, ev)
			m.Partition = 3
			switch d, err := produce(t, e, mode, m); {
			case err != nil:
				t.Logf("%s %s: refused at once: %v", name, mode, err)
			case d.Err == nil:
				t.Errorf("%s %s: partition 3 of 2 delivered at partition %d offset %d", name, mode, d.Partition, d.Offset)
			}
		}
	}
	if recs := labtest.Records(t, l, topic); len(recs) != 0 {
		t.Errorf("%d records written to a partition nobody asked for", len(recs))
	}
}

// TestCloseAnswersEachRecordOnce fills each producer to its buffer limit
// behind a slow proxy, checks that one record more is refused at once, then
// closes without flushing: every accepted record gets exactly one answer
// and the refused one none.
func TestCloseAnswersEachRecordOnce(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	const max = 20
	tc := toxiproxy.NewClient(strings.TrimPrefix(l.ToxiproxyURL(), "http://"))
	for _, name := range engine.Names() {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, l, name, func(c *prodlab.Config) { c.MaxBuffered = max })
			ready(t, e)
			for _, mode := range prodlab.Modes {
				if d := syncSend(t, e, mode, message(topic, "warm")); d.Err != nil {
					t.Fatalf("warm-up: %v", d.Err)
				}
			}
			proxies, err := tc.Proxies()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range proxies {
				if _, err := p.AddToxic("slow", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 2000}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = p.RemoveToxic("slow") })
			}
			calls := make([]atomic.Int32, 2*(max+1))
			for m, mode := range prodlab.Modes {
				for i := range max + 1 {
					n := &calls[m*(max+1)+i]
					err := e.Produce(mode, message(topic, fmt.Sprintf("close-%d", i)), func(prodlab.Delivery) { n.Add(1) })
					switch {
					case i < max && err != nil:
						t.Fatalf("%s record %d refused: %v", mode, i, err)
					case i == max && !errors.Is(err, prodlab.ErrBufferFull):
						t.Fatalf("%s record over the limit of %d: err = %v, want ErrBufferFull", mode, max, err)
					}
				}
			}
			e.Close()
			if err := e.Produce(prodlab.Plain, message(topic, "late"), func(prodlab.Delivery) {}); !errors.Is(err, prodlab.ErrClosed) {
				t.Fatalf("produce after Close: err = %v, want ErrClosed", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			answered := func(i int) bool { return i%(max+1) == max || calls[i].Load() == 1 }
			if err := wait.Until(ctx, func() bool {
				for i := range calls {
					if !answered(i) {
						return false
					}
				}
				return true
			}); err != nil {
				t.Errorf("not every accepted record was answered after Close")
			}
			for i := range calls {
				want := int32(1)
				if i%(max+1) == max {
					want = 0
				}
				if got := calls[i].Load(); got != want {
					t.Errorf("record %d answered %d times, want %d", i, got, want)
				}
			}
		})
	}
}

// BenchmarkSyncSend measures one sync send at a time through each engine
// and mode, reporting the median.
func BenchmarkSyncSend(b *testing.B) {
	l := labtest.Start(b)
	topic := labtest.Topic(b, l, 3, nil)
	for _, name := range engine.Names() {
		e := newEngine(b, l, name)
		ready(b, e)
		for _, mode := range prodlab.Modes {
			b.Run(name+"/"+string(mode), func(b *testing.B) {
				m := message(topic, "bench")
				took := make([]time.Duration, 0, b.N)
				for b.Loop() {
					start := time.Now()
					if d := syncSend(b, e, mode, m); d.Err != nil {
						b.Fatal(d.Err)
					}
					took = append(took, time.Since(start))
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			})
		}
	}
}
