package metrics

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/metrics/metricstest"
	"github.com/prodlab/prodlab/internal/status"
)

// engine is a producer that never sends; its client metrics are one
// counter, to check that New serves them.
type engine struct{ reg *prometheus.Registry }

func (engine) Name() string                                                        { return "fake" }
func (engine) Produce(prodlab.Mode, prodlab.Message, func(prodlab.Delivery)) error { return nil }
func (engine) Partitions(context.Context, string) (int32, error)                   { return 1, nil }
func (engine) Ready(context.Context) error                                         { return nil }
func (engine) DeliveryTimeout() time.Duration                                      { return time.Second }
func (engine) Flush(context.Context) error                                         { return nil }
func (engine) Close()                                                              {}
func (e engine) Metrics() prometheus.Gatherer                                      { return e.reg }

// TestOutcomes feeds one event of each kind of answer and checks the
// counters, the histograms and the labels they land under.
func TestOutcomes(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "fake_client_total"})
	c.Add(7)
	reg.MustRegister(c)
	store, err := status.New(status.MaxEntries(2))
	if err != nil {
		t.Fatal(err)
	}
	m := New(engine{reg}, store)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	fail := &prodlab.Delivery{Err: errors.New("NOT_ENOUGH_REPLICAS")}
	ok := &prodlab.Delivery{Partition: 1, Offset: 3}
	sent := func(code int, mode prodlab.Mode, sm prodlab.SendMode, d *prodlab.Delivery) {
		m.Observe(api.Event{Kind: api.Sent, Code: code, Mode: mode, SendMode: sm, Delivery: d, Elapsed: 2 * time.Millisecond})
	}
	sent(200, prodlab.Plain, prodlab.Sync, ok)
	sent(200, prodlab.Plain, prodlab.Sync, ok)
	sent(502, prodlab.Plain, prodlab.Sync, fail)
	sent(504, prodlab.Idempotent, prodlab.Sync, nil)
	sent(202, prodlab.Idempotent, prodlab.Async, nil)
	sent(400, "", "", nil)
	sent(503, prodlab.Plain, prodlab.Async, nil)
	sent(500, prodlab.Plain, prodlab.Sync, nil)
	sent(0, prodlab.Plain, prodlab.Sync, nil)
	m.Observe(api.Event{Kind: api.Delivered, Mode: prodlab.Idempotent, SendMode: prodlab.Async, Delivery: ok, Elapsed: time.Second})
	m.Observe(api.Event{Kind: api.Delivered, Mode: prodlab.Idempotent, SendMode: prodlab.Sync, Delivery: fail})
	m.Observe(api.Event{Kind: api.Health, Code: 503})
	m.Observe(api.Event{Kind: api.Polled, Code: 404})
	if _, err := store.Issue("ev"); err != nil {
		t.Fatal(err)
	}

	f := metricstest.Scrape(t, srv.URL)
	send := func(mode, sm, outcome string) map[string]string {
		return map[string]string{"engine": "fake", "mode": mode, "send_mode": sm, "outcome": outcome}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"prodlab_api_sends_total", send("plain", "sync", "ok"), 2},
		{"prodlab_api_sends_total", send("plain", "sync", "error"), 2},
		{"prodlab_api_sends_total", send("idempotent", "sync", "timeout"), 1},
		{"prodlab_api_sends_total", send("idempotent", "async", "accepted"), 1},
		{"prodlab_api_sends_total", map[string]string{"outcome": "rejected"}, 2},
		{"prodlab_api_sends_total", send("plain", "async", "rejected"), 1},
		{"prodlab_api_sends_total", send("plain", "sync", "abandoned"), 1},
		{"prodlab_api_sends_total", nil, 9},
		{"prodlab_api_send_duration_seconds", send("plain", "sync", "ok"), 2},
		{"prodlab_api_deliveries_total", send("idempotent", "async", "ok"), 1},
		{"prodlab_api_deliveries_total", send("idempotent", "sync", "error"), 1},
		{"prodlab_api_delivery_duration_seconds", send("idempotent", "async", "ok"), 1},
		{"prodlab_api_responses_total", map[string]string{"code": "503"}, 2},
		{"prodlab_api_responses_total", map[string]string{"endpoint": "health", "code": "503"}, 1},
		{"prodlab_api_responses_total", map[string]string{"endpoint": "status", "code": "404"}, 1},
		{"prodlab_api_responses_total", map[string]string{"endpoint": "send"}, 9},
		{"prodlab_api_status_entries", map[string]string{"state": "pending"}, 1},
		{"prodlab_api_status_max_entries", nil, 2},
		{"fake_client_total", nil, 7},
	} {
		if got := f.Value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if sum := f["prodlab_api_delivery_duration_seconds"].GetMetric(); len(sum) == 0 {
		t.Fatal("no delivery histogram")
	}
}

// TestEvictionsCounted fills the store past its size and checks the
// eviction counter.
func TestEvictionsCounted(t *testing.T) {
	store, err := status.New(status.MaxEntries(1))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(engine{prometheus.NewRegistry()}, store).Handler())
	defer srv.Close()
	for _, id := range []string{"a", "b", "c"} {
		tk, err := store.Issue(id)
		if err != nil {
			t.Fatal(err)
		}
		store.Done(tk, prodlab.Delivery{})
	}
	f := metricstest.Scrape(t, srv.URL)
	if got := f.Value("prodlab_api_status_evictions_total", map[string]string{"reason": "full"}); got != 2 {
		t.Errorf("evictions{reason=full} = %v, want 2", got)
	}
	if got := f.Value("prodlab_api_status_entries", map[string]string{"state": "finished"}); got != 1 {
		t.Errorf("entries{state=finished} = %v, want 1", got)
	}
}
