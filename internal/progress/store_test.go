package progress

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

func TestLoadRefusesABadFile(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"not json":       "{",
		"other version":  `{"version":2,"ticks":{}}`,
		"unknown id":     `{"version":1,"ticks":{"02.9":{"at":"2026-01-01T00:00:00Z","how":"x"}}}`,
		"trailing field": `{"version":1,"ticks":{}} x`,
		"unknown field":  `{"version":1,"ticks":{},"extra":1}`,
		"two objects":    `{"version":1,"ticks":{}} {}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(path); !errors.Is(err, ErrFile) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want ErrFile naming the file", name, err)
		}
		if _, err := New(File(path), Engines("franz"), Direct(testPath)); !errors.Is(err, ErrFile) {
			t.Errorf("%s: New: %v, want ErrFile", name, err)
		}
	}
	if ticks, err := Load(filepath.Join(dir, "missing")); err != nil || len(ticks) != 0 {
		t.Fatalf("missing file: %v %v", ticks, err)
	}
}

func newTest(t *testing.T, opts ...Opt) *Recorder {
	t.Helper()
	r, err := New(append([]Opt{Engines("franz", "librdkafka"), Direct(testPath), VerifyEvery(time.Hour)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// TestBounded floods a recorder with distinct requestIds, keys, topics
// and toxics: what it keeps stays within its bounds.
func TestBounded(t *testing.T) {
	r := newTest(t, RequestTimeout(10*time.Millisecond))
	r.Toxic(toxiclient.Change{Proxy: "kafka-2", Toxic: "base", Type: "latency", Attributes: map[string]int64{"latency": 5000}})
	since := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool { return time.Since(since) > 50*time.Millisecond }); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		id := fmt.Sprint(i)
		r.API(api.Event{Kind: api.Sent, Engine: "franz", Code: 202, SendMode: prodlab.Async, RequestID: id})
		r.API(api.Event{Kind: api.Sent, Engine: "franz", Code: 200, SendMode: prodlab.Sync, Topic: "t" + id, Key: "k" + id, EventID: "e" + id,
			Partition: prodlab.AnyPartition, Delivery: &prodlab.Delivery{Topic: "t" + id, Partition: 0, Offset: int64(i)}})
		r.API(api.Event{Kind: api.Sent, Engine: "franz", Code: 200, SendMode: prodlab.Sync, Topic: "t" + id, Key: "same", EventID: "e" + id,
			Partition: 0, Delivery: &prodlab.Delivery{Topic: "t" + id, Partition: 0, Offset: int64(i)}})
		r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: id, Type: "latency", Attributes: map[string]int64{"latency": 5000}})
		r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: fmt.Sprint(i - 1), Removed: true})
		r.API(api.Event{Kind: api.Sent, Engine: "franz", Code: 200, Mode: prodlab.Plain, SendMode: prodlab.Sync, Topic: "t", Key: "c", EventID: "e" + id,
			Partition: prodlab.AnyPartition, Delivery: &prodlab.Delivery{Topic: "t", Partition: 0, Offset: int64(i)}, Elapsed: 20 * time.Millisecond})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, n := range map[string][2]int{
		"accepted": {r.accepted.len(), maxAccepted}, "key engines": {r.keyEngines.len(), maxKeys}, "key versions": {r.keyVersions.len(), maxKeys},
		"toxics on": {r.toxicsOn.len(), maxToxics}, "toxics off": {len(r.toxicsOff), maxToxics}, "lost acks": {len(r.lostAcks), maxLostAcks},
		"explicit topics": {r.explicit.len(), maxTopics}, "chosen-key topics": {r.chosenKeys.len(), maxTopics}, "compaction": {r.compactions.len(), maxCompact},
	} {
		if n[0] > n[1] || n[0] == 0 {
			t.Errorf("%s: %d kept, want 1..%d", name, n[0], n[1])
		}
	}
	if len(r.accepted.order) != r.accepted.len() || len(r.keyEngines.order) != r.keyEngines.len() || len(r.keyVersions.order) != r.keyVersions.len() {
		t.Errorf("the fifo order and map disagree")
	}
}

// TestConcurrent feeds events, toxic changes, reports and resets from many
// goroutines (run with -race); after the last reset, fresh evidence ticks.
func TestConcurrent(t *testing.T) {
	r := newTest(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				eng := []string{"franz", "librdkafka"}[i%2]
				r.API(api.Event{Kind: api.Health, Engine: eng, Code: 200})
				r.API(api.Event{Kind: api.Sent, Engine: eng, Code: 202, SendMode: prodlab.Async, RequestID: fmt.Sprint(g, i)})
				r.API(api.Event{Kind: api.Polled, Engine: eng, Code: 200, State: prodlab.OK, RequestID: fmt.Sprint(g, i)})
				r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: fmt.Sprint(g), Type: "latency", Attributes: map[string]int64{"latency": 500}})
				r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: fmt.Sprint(g), Removed: true})
				_ = r.Report().Text(i18n.FR)
				if i%100 == 0 {
					if err := r.Reset(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := r.Reset(); err != nil {
		t.Fatal(err)
	}
	if n := r.Report().Done(); n != 0 {
		t.Fatalf("%d ticked after a reset", n)
	}
	r.API(api.Event{Kind: api.Health, Engine: "franz", Code: 200})
	r.API(api.Event{Kind: api.Health, Engine: "librdkafka", Code: 200})
	r.API(api.Event{Kind: api.Sent, Engine: "franz", Code: 202, SendMode: prodlab.Async, RequestID: "x"})
	r.API(api.Event{Kind: api.Polled, Engine: "franz", Code: 200, State: prodlab.OK, RequestID: "x"})
	if n := r.Report().Done(); n != 2 {
		t.Fatalf("%d ticked, want 02.0 and 02.2:\n%s", n, r.Report().Text(i18n.EN))
	}
}

// testPath is a direct path to a port nothing listens on.
var testPath, _ = direct.New(direct.Bootstrap("127.0.0.1:1"))
