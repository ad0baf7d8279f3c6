package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/wait"
)

// Result is the outcome of one load phase: the sends that succeeded and
// failed (FirstErr the first), the wall time and Sent per second of it,
// the latency percentiles of the successes, and the CPU time the whole
// process used, C threads and the load generator included.
type Result struct {
	Sent, Errors int
	Elapsed      time.Duration
	Rate         float64
	P50, P99     time.Duration
	CPU          time.Duration
	FirstErr     error
}

// CPUPerSend is the process's CPU time per successful send.
func (r Result) CPUPerSend() time.Duration {
	if r.Sent == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Sent)
}

// maxSamples bounds the latencies kept per worker.
const maxSamples = 1 << 20

// sendFunc performs send number seq of worker w and returns its outcome.
type sendFunc func(ctx context.Context, w, seq int) error

// load runs conc workers calling send until ctx ends or next returns false,
// and measures each call, keeping at most samples latencies per worker
// (none for a phase whose memory is measured).
func load(ctx context.Context, conc, samples int, next func() bool, send sendFunc) Result {
	type worker struct {
		lat          []time.Duration
		sent, errors int
		first        error
	}
	ws := make([]worker, conc)
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range ws {
		wg.Go(func() {
			w := &ws[i]
			for seq := 0; ctx.Err() == nil && next(); seq++ {
				t0 := time.Now()
				if err := send(ctx, i, seq); err != nil {
					if ctx.Err() != nil {
						return // cut short by the deadline: not a failure
					}
					w.errors++
					if w.first == nil {
						w.first = err
					}
					continue
				}
				w.sent++
				if len(w.lat) < samples {
					w.lat = append(w.lat, time.Since(t0))
				}
			}
		})
	}
	wg.Wait()
	r := Result{Elapsed: time.Since(start), CPU: cpuTime() - cpu0}
	var all []time.Duration
	for _, w := range ws {
		all = append(all, w.lat...)
		r.Sent, r.Errors = r.Sent+w.sent, r.Errors+w.errors
		if r.FirstErr == nil {
			r.FirstErr = w.first
		}
	}
	r.Rate = float64(r.Sent) / r.Elapsed.Seconds()
	slices.Sort(all)
	r.P50, r.P99 = percentile(all, 0.50), percentile(all, 0.99)
	return r
}

// percentile returns the q-quantile of sorted samples (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// phase runs send on n workers for c.warmup, then measures it for c.duration.
func (c *cfg) phase(ctx context.Context, n int, send sendFunc) Result {
	load(ctx, n, maxSamples, forDuration(c.warmup), send)
	return load(ctx, n, maxSamples, forDuration(c.duration), send)
}

// forDuration returns a next func that allows sends until d has passed.
func forDuration(d time.Duration) func() bool {
	end := time.Now().Add(d)
	return func() bool { return time.Now().Before(end) }
}

// forCount returns a next func that allows exactly n sends in all.
func forCount(n int64) func() bool {
	var c atomic.Int64
	return func() bool { return c.Add(1) <= n }
}

// httpClient returns a keep-alive client that holds conc idle connections
// per host, so that no send pays for a new connection.
func httpClient(conc int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        conc + 16,
			MaxIdleConnsPerHost: conc + 16,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout: time.Minute,
	}
}

// apiSend returns a sendFunc posting sendMode sends in c's mode to the
// API at base, eventId prefix-<worker>-<seq>; an async 503 is retried
// after c's backoff.
func (c *cfg) apiSend(hc *http.Client, base, topic string, sendMode prodlab.SendMode, prefix string) sendFunc {
	cl, cerr := api.NewClient(base, httpjson.WithHTTPClient(hc))
	return func(ctx context.Context, w, seq int) error {
		if cerr != nil {
			return cerr
		}
		p := api.SendParams{Mode: c.mode, SendMode: sendMode, Topic: topic, EventID: fmt.Sprintf("%s-%d-%d", prefix, w, seq)}
		if sendMode == prodlab.Async {
			_, err := sendAsync(ctx, cl, p, c.backoff, func() {})
			return err
		}
		_, err := cl.Send(ctx, p)
		return err
	}
}

// sendAsync posts p through cl until the API stops answering 503 (its
// producer buffer or status store full), waiting backoff after each 503,
// which rejected counts.
func sendAsync(ctx context.Context, cl *api.Client, p api.SendParams, backoff time.Duration, rejected func()) (api.SendResult, error) {
	for {
		r, err := cl.Send(ctx, p)
		if !errors.Is(err, api.ErrRetryLater) {
			return r, err
		}
		rejected()
		if err := wait.For(ctx, backoff); err != nil {
			return r, err
		}
	}
}

// directSend returns a sendFunc producing through eng and waiting for the
// broker's answer, with a record like the API's: a JSON value, two headers.
func directSend(eng prodlab.Producer, topic string, mode prodlab.Mode, prefix string) sendFunc {
	return func(ctx context.Context, w, seq int) error {
		id := fmt.Sprintf("%s-%d-%d", prefix, w, seq)
		v, _ := json.Marshal(prodlab.Value{EventID: id, Mode: mode, SendMode: prodlab.Sync, API: eng.Name(), TS: time.Now().UnixMilli()})
		m := prodlab.Message{Topic: topic, Key: []byte(id), Value: v, Partition: prodlab.AnyPartition,
			Headers: []prodlab.Header{{Key: prodlab.HeaderEventID, Value: []byte(id)}, {Key: prodlab.HeaderMode, Value: []byte(mode)}}}
		done := make(chan prodlab.Delivery, 1)
		if err := eng.Produce(mode, m, func(d prodlab.Delivery) { done <- d }); err != nil {
			return err
		}
		select {
		case d := <-done:
			return d.Err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
