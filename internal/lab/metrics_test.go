package lab_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/franz"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/metrics/metricstest"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestMetricsCountSends sends through each producer API and checks that
// its /metrics moved by exactly what was sent: the API's counters by mode,
// sendMode and outcome, and the client library's own record counts.
func TestMetricsCountSends(t *testing.T) {
	l := labtest.Start(t)
	for _, a := range l.APIs() {
		name := a.Engine.Name()
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			url := a.URL + "/metrics"
			// The client metric that counts records sent, per producer.
			records := func(f metricstest.Families, producer string) float64 {
				if name == prodlab.Franz {
					return f.Value(franz.MetricsNamespace+"_produce_records_total", map[string]string{"producer": producer, "topic": prodlab.DefaultTopic})
				}
				return f.Value("prodlab_librdkafka_txmsgs_total", map[string]string{"producer": producer})
			}
			if name == prodlab.Librdkafka {
				// librdkafka's statistics arrive every 100 ms: start from
				// the first report of both producers.
				if err := wait.Until(ctx, func() bool {
					f := metricstest.Scrape(t, url)
					return f.Has("prodlab_librdkafka_txmsgs_total", map[string]string{"producer": "plain"}) &&
						f.Has("prodlab_librdkafka_txmsgs_total", map[string]string{"producer": "idempotent"})
				}); err != nil {
					t.Fatal("no librdkafka statistics in /metrics")
				}
			}
			before := metricstest.Scrape(t, url)

			c, err := api.NewClient(a.URL)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			send := func(p api.SendParams) api.SendResult {
				t.Helper()
				n++
				p.EventID = fmt.Sprintf("%s-%s-%d", t.Name(), name, n)
				r, err := c.Send(ctx, p)
				if err != nil {
					t.Fatalf("send %+v: %v", p, err)
				}
				return r
			}
			for range 3 {
				send(api.SendParams{Mode: prodlab.Plain})
			}
			for range 2 {
				send(api.SendParams{Mode: prodlab.Idempotent})
			}
			var ids []string
			for range 2 {
				ids = append(ids, send(api.SendParams{Mode: prodlab.Idempotent, SendMode: prodlab.Async}).RequestID)
			}
			for _, id := range ids {
				if err := wait.Until(ctx, func() bool {
					st, err := c.Status(ctx, id)
					return err == nil && st.State == string(prodlab.OK)
				}); err != nil {
					t.Fatalf("async send %s never OK", id)
				}
			}
			bad := int32(99)
			var apiErr *api.Error
			if _, err := c.Send(ctx, api.SendParams{EventID: "bad-partition", Partition: &bad}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
				t.Fatalf("partition 99: %v, want 400", err)
			}

			labels := func(mode, sm, outcome string) map[string]string {
				return map[string]string{"engine": name, "mode": mode, "send_mode": sm, "outcome": outcome}
			}
			want := []struct {
				metric string
				labels map[string]string
				delta  float64
			}{
				{"prodlab_api_sends_total", labels("plain", "sync", "ok"), 3},
				{"prodlab_api_sends_total", labels("idempotent", "sync", "ok"), 2},
				{"prodlab_api_sends_total", labels("idempotent", "async", "accepted"), 2},
				{"prodlab_api_sends_total", map[string]string{"engine": name, "outcome": "rejected"}, 1},
				{"prodlab_api_sends_total", map[string]string{"outcome": "error"}, 0},
				{"prodlab_api_sends_total", map[string]string{"outcome": "timeout"}, 0},
				{"prodlab_api_send_duration_seconds", labels("plain", "sync", "ok"), 3},
				{"prodlab_api_deliveries_total", labels("idempotent", "async", "ok"), 2},
				{"prodlab_api_responses_total", map[string]string{"endpoint": "send", "code": "200"}, 5},
				{"prodlab_api_responses_total", map[string]string{"endpoint": "send", "code": "202"}, 2},
				{"prodlab_api_responses_total", map[string]string{"endpoint": "send", "code": "400"}, 1},
			}
			after := metricstest.Scrape(t, url)
			for _, w := range want {
				if got := after.Value(w.metric, w.labels) - before.Value(w.metric, w.labels); got != w.delta {
					t.Errorf("%s%v moved by %v, want %v", w.metric, w.labels, got, w.delta)
				}
			}
			if got := after.Value("prodlab_api_status_entries", map[string]string{"state": "finished"}); got < 2 {
				t.Errorf("status entries finished = %v, want at least the 2 async sends", got)
			}
			// The client's own counts; librdkafka's come with its statistics.
			for producer, want := range map[string]float64{"plain": 3, "idempotent": 4} {
				var got float64
				_ = wait.Until(ctx, func() bool {
					got = records(metricstest.Scrape(t, url), producer) - records(before, producer)
					return got >= want
				})
				if got != want {
					t.Errorf("%s %s producer: client counted %v records, want %v", name, producer, got, want)
				}
			}
			resp, err := http.Post(url, "text/plain", strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("POST /metrics: %s, want 405", resp.Status)
			}
		})
	}
}
