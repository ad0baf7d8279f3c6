package validate_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/metrics"
	"github.com/prodlab/prodlab/internal/metrics/metricstest"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestValidateCounters runs Lab 02.4 and reads it in each API's /metrics:
// in both modes a send answers OK after the request timeout and the client
// counts a request that timed out. The client's counters move alike in
// both modes; only the topic tells them apart (TestValidate counts it).
func TestValidateCounters(t *testing.T) {
	l := labtest.Start(t)
	tg := targettest.Of(t, l, labtest.Topic(t, l, 3, nil))
	before := map[string]metricstest.Families{}
	for _, a := range l.APIs() {
		before[a.Engine.Name()] = metricstest.Scrape(t, a.URL+"/metrics")
	}
	runValidate(t, l, tg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The histogram bound at or just above the request timeout.
	le := ""
	for _, b := range metrics.Buckets {
		if b >= tg.RequestTimeout().Seconds() {
			le = strconv.FormatFloat(b, 'f', -1, 64)
			break
		}
	}
	for _, a := range l.APIs() {
		name := a.Engine.Name()
		url := a.URL + "/metrics"
		delta := func(f metricstest.Families, metric string, labels map[string]string) float64 {
			return f.Value(metric, labels) - before[name].Value(metric, labels)
		}
		after := metricstest.Scrape(t, url)
		for _, mode := range []prodlab.Mode{prodlab.Plain, prodlab.Idempotent} {
			ok := map[string]string{"mode": string(mode), "outcome": "ok"}
			slow := delta(after, "prodlab_api_send_duration_seconds", ok) -
				delta(after, "prodlab_api_send_duration_seconds_bucket", map[string]string{"mode": string(mode), "outcome": "ok", "le": le})
			if slow < 1 {
				t.Errorf("%s %s: no OK send took longer than the request timeout", name, mode)
			}
		}
		// The client's own count of requests that timed out; librdkafka's
		// comes with its next statistics.
		timedOut := func(f metricstest.Families, producer string) float64 {
			if name == prodlab.Franz {
				return delta(f, "prodlab_franz_read_errors_total", map[string]string{"producer": producer})
			}
			return delta(f, "prodlab_librdkafka_broker_req_timeouts_total", map[string]string{"producer": producer})
		}
		for _, producer := range []string{"plain", "idempotent"} {
			if err := wait.Until(ctx, func() bool { return timedOut(metricstest.Scrape(t, url), producer) >= 1 }); err != nil {
				t.Errorf("%s %s producer: no timed-out request counted", name, producer)
			}
		}
	}
}
