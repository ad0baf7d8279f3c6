package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i))
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := percentile(s, c.q); got != c.want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %v, want 0", got)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1000000: "1,000,000", -1234: "-1,234"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReadMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("memory needs /proc")
	}
	m, err := readMemory()
	if err != nil || m.RSS == 0 || m.PeakRSS < m.RSS || m.HeapInuse == 0 {
		t.Fatalf("readMemory = %+v, %v", m, err)
	}
	if mc := machine(); mc.CPU == "" || len(strings.Fields(mc.Load)) != 3 {
		t.Errorf("machine() = %+v: no CPU model or load average", mc)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	for name, opt := range map[string]Opt{
		"unknown engine": Engines("nope"),
		"no concurrency": Concurrency(),
		"zero workers":   Concurrency(0),
		"bad mode":       Mode("fast"),
		"negative async": AsyncSends(-1),
	} {
		if _, err := Run(context.Background(), opt); err == nil {
			t.Errorf("%s: Run succeeded, want an error", name)
		}
	}
}

// TestRunRelay runs a tiny benchmark in relay mode: every engine's API and
// engine send through Toxiproxy and the relay without errors, and the
// report says so. It checks consistency, never speed.
func TestRunRelay(t *testing.T) {
	labtest.EmbeddedOnly(t, "the benchmark opens its own embedded labs")
	rep, err := Run(context.Background(), Relay(true), Concurrency(4), Duration(100*time.Millisecond), Warmup(0),
		AsyncSends(0), NoProxy(false))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.cfg.relay || len(rep.Engines) != len(engine.Names()) {
		t.Fatalf("relay %v, %d engine reports, want relay and one per engine", rep.cfg.relay, len(rep.Engines))
	}
	for _, e := range rep.Engines {
		for _, row := range e.Sync {
			for path, r := range map[string]Result{"api": row.API, "direct": row.Direct} {
				if r.Sent == 0 || r.Errors != 0 {
					t.Errorf("%s %s through the relay: sent %d, errors %d (%v)", e.Engine, path, r.Sent, r.Errors, r.FirstErr)
				}
			}
		}
	}
	var b strings.Builder
	rep.Markdown(&b)
	if !strings.Contains(b.String(), "Relay mode") {
		t.Errorf("the report does not say it ran in relay mode:\n%s", b.String())
	}
}

// TestRunSmoke runs a tiny benchmark over every engine and checks that each
// phase sends without errors and that every accepted async send is written.
// It checks the figures' consistency, never their speed.
func TestRunSmoke(t *testing.T) {
	labtest.EmbeddedOnly(t, "the benchmark opens its own embedded labs")
	rep, err := Run(context.Background(), Concurrency(1, 4), Duration(100*time.Millisecond), Warmup(0),
		AsyncSends(2000), AsyncConcurrency(8), HeapProfiles(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Engines) != len(engine.Names()) {
		t.Fatalf("%d engine reports, want one per engine %v", len(rep.Engines), engine.Names())
	}
	for _, e := range rep.Engines {
		if len(e.Sync) != 2 || len(e.NoProxy) != 2 {
			t.Fatalf("%s: %d sync rows and %d without proxy, want 2 each", e.Engine, len(e.Sync), len(e.NoProxy))
		}
		for i, row := range e.Sync {
			for path, r := range map[string]Result{"api": row.API, "direct": row.Direct, "no proxy": e.NoProxy[i]} {
				if r.Sent == 0 || r.Errors != 0 || r.P50 <= 0 || r.P99 < r.P50 {
					t.Errorf("%s %s c=%d: sent %d, errors %d (%v), p50 %v, p99 %v", e.Engine, path, row.Concurrency, r.Sent, r.Errors, r.FirstErr, r.P50, r.P99)
				}
			}
		}
		a := e.Async
		if a == nil || a.Sent != 2000 || a.Errors != 0 || a.Written != 2000 {
			t.Fatalf("%s async: %+v, want 2000 accepted and written", e.Engine, a)
		}
		if a.AtEnd.RSS == 0 || a.AtEnd.HeapInuse == 0 {
			t.Errorf("%s async: memory not read: %+v", e.Engine, a.AtEnd)
		}
	}
	var b strings.Builder
	rep.Markdown(&b)
	for _, name := range engine.Names() {
		if !strings.Contains(b.String(), "### "+name) {
			t.Errorf("report has no section for %s:\n%s", name, b.String())
		}
	}
	if got := len(rep.Targets()); got != 3*len(rep.Engines) {
		t.Errorf("%d targets, want 3 per engine", got)
	}
}

// BenchmarkSend measures sync sends of every engine through its API over
// loopback HTTP, through its handler in-process (no network: the handler's
// and the engine's own cost) and directly, at concurrency 1, 16 and 64:
// go test -run '^$' -bench Send -benchmem. Allocations are the whole
// process's (the embedded broker's included) per send.
func BenchmarkSend(b *testing.B) {
	l := labtest.Start(b)
	topic := labtest.Topic(b, l, prodlab.DefaultPartitions, benchTopicConfigs)
	hc := httpClient(64)
	for _, a := range l.APIs() {
		paths := map[string]sendFunc{
			"api":     (&cfg{mode: prodlab.Idempotent}).apiSend(hc, a.URL, topic, prodlab.Sync, "b-api"),
			"handler": handlerSend(a.Handler(), topic, prodlab.Idempotent, "b-handler"),
			"direct":  directSend(a.Engine, topic, prodlab.Idempotent, "b-direct"),
		}
		for _, path := range []string{"api", "handler", "direct"} {
			for _, c := range []int{1, 16, 64} {
				b.Run(fmt.Sprintf("%s/%s/c=%d", a.Engine.Name(), path, c), func(b *testing.B) {
					b.ReportAllocs()
					r := load(b.Context(), c, maxSamples, forCount(int64(b.N)), paths[path])
					if r.Errors > 0 {
						b.Fatalf("%d errors, first: %v", r.Errors, r.FirstErr)
					}
					b.ReportMetric(r.Rate, "msg/s")
					b.ReportMetric(float64(r.P50)/1e6, "p50-ms")
					b.ReportMetric(float64(r.P99)/1e6, "p99-ms")
				})
			}
		}
	}
}

// handlerSend returns a sendFunc serving sync sends to h in-process.
func handlerSend(h http.Handler, topic string, mode prodlab.Mode, prefix string) sendFunc {
	return func(ctx context.Context, w, seq int) error {
		q := url.Values{"mode": {string(mode)}, "sendMode": {string(prodlab.Sync)}, "topic": {topic},
			"eventId": {prefix + "-" + strconv.Itoa(w) + "-" + strconv.Itoa(seq)}}
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/v1/send?"+q.Encode(), nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			return fmt.Errorf("answer %d: %s", rec.Code, rec.Body)
		}
		return nil
	}
}

// BenchmarkAsync measures async sends accepted through every engine's API
// and the process's memory afterwards: go test -run '^$' -bench Async
// -benchtime 1000000x.
func BenchmarkAsync(b *testing.B) {
	for _, name := range engine.Names() {
		b.Run(name, func(b *testing.B) {
			l := labtest.Start(b, func(c *lab.Config) { c.APIPorts = map[string]int{name: 0} })
			topic := labtest.Topic(b, l, prodlab.DefaultPartitions, benchTopicConfigs)
			a := l.APIs()[0]
			c := &cfg{mode: prodlab.Idempotent, asyncSends: b.N, asyncConc: 64, backoff: 10 * time.Millisecond, progress: os.Stderr}
			adm := labtest.Admin(b, l)
			defer trimEvery(l.Cluster())()
			as, err := runAsync(b.Context(), c, httpClient(64), a, adm, topic)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(as.Rate, "accepted/s")
			b.ReportMetric(float64(as.Rejected), "503s")
			b.ReportMetric(float64(as.AtEnd.RSS)/(1<<20), "RSS-MiB")
			b.ReportMetric(float64(as.AtEnd.HeapInuse)/(1<<20), "heap-MiB")
		})
	}
}
