package lab_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/franz"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/metrics/metricstest"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

// The guide's reading pace, scaled down: kgo's old 30 s idle timeout
// becomes 3 s (10 times), the trainee's 40 s of reading between Étape 12
// and 12a at least 4 s (in fact until the old setting has closed every
// connection), and the lab's 30 s delivery timeout 5 s, which the fault
// outlasts. The old idle timeout stays well above the time Étape 12 takes
// on a loaded machine (warm-up, toxic, send): with 1 s, a connection
// closed between the warm-up and Étape 12's send made that send reconnect
// under the 500 ms toxic and time out (CI, 2 busy cores).
const (
	oldIdle      = 3 * time.Second
	readingPause = 4 * time.Second
	delivery     = 5 * time.Second
	holdFault    = 3 * delivery
)

// pace is the outcome of Étape 12a → 13 at a trainee's pace.
type pace struct {
	state  string // the async send's final state
	err    string
	copies int
	pause  time.Duration // the idle pause before 12a's send
	reaped float64       // connections the idempotent producer closed idle during it (franz)
	broken float64       // connections it closed after a read or write error during it
}

// readingPace runs Étape 12 → 12a → 13 on the API of engine with the
// producer's connections.max.idle.ms set to idle (0: the engine's
// default): a sync idempotent send under Étape 12's 500 ms latency toxic,
// then, with that fault left in place, an idle pause of at least pause
// (and, if waitClosed, until the idempotent producer has no connection
// left), then 12a: the toxic goes to 5000 ms and an idempotent async send
// leaves. The 5 s fault is held past the delivery timeout (see
// holdFault), then removed (Étape 13), and the send's final state and
// copies are returned.
func readingPace(t *testing.T, engine string, idle, pause time.Duration, waitClosed bool) pace {
	t.Helper()
	l := labtest.Start(t, func(c *lab.Config) {
		c.Producer.ConnMaxIdle = idle
		c.Producer.DeliveryTimeout = delivery
	})
	a := labtest.API(l, engine)
	if a == nil {
		t.Skipf("no %s API in this build", engine)
	}
	ctx := t.Context()
	tc, err := toxiclient.New(l.ToxiproxyURL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := tc.Proxy(kafkalocal.ProxyName(1))
	latency := func(ms int) {
		t.Helper()
		if err := proxy.RemoveToxic(ctx, "latency"); err != nil && !toxiclient.IsNotFound(err) {
			t.Fatal(err)
		}
		if _, err := proxy.AddToxic(ctx, "latency", "latency", "downstream", 1, toxiclient.Attributes{"latency": ms, "jitter": 0}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = proxy.RemoveToxic(context.Background(), "latency") })

	labtest.Send(t, a, "mode", "idempotent", "eventId", "warm-up")
	latency(500) // Étape 12
	labtest.Send(t, a, "mode", "idempotent", "eventId", "etape-12")
	idleFrom := time.Now()
	// The idempotent producer's connections opened and closed so far, and
	// its read and write errors: franz-go closes the connection after each
	// (under Étape 12's toxic, a request past the 500 ms left of the
	// request timeout), so closed minus errors are the idle closes.
	conns := func() (opened, closed, errs float64) {
		if engine != prodlab.Franz {
			return 0, 0, 0
		}
		m := metricstest.Scrape(t, a.URL+"/metrics")
		idem := map[string]string{"producer": "idempotent"}
		v := func(name string) float64 { return m.Value(franz.MetricsNamespace+"_"+name, idem) }
		return v("connects_total"), v("disconnects_total"), v("read_errors_total") + v("write_errors_total")
	}
	_, closed0, errs0 := conns()
	// The trainee reads: the pause is the scenario, not a synchronisation.
	if err := wait.For(ctx, pause); err != nil {
		t.Fatal(err)
	}
	if waitClosed {
		wctx, cancel := context.WithTimeout(ctx, 10*oldIdle)
		defer cancel()
		if err := wait.Until(wctx, func() bool { o, c, _ := conns(); return c >= o }); err != nil {
			t.Fatalf("the idempotent producer still has connections open after %s idle", time.Since(idleFrom))
		}
	}
	out := pace{pause: time.Since(idleFrom)}
	_, closed, errs := conns()
	out.broken = errs - errs0
	out.reaped = closed - closed0 - out.broken

	latency(5000) // Étape 12a
	c, err := api.NewClient(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	eventID := fmt.Sprintf("RETRY-TEST-%s-%d", engine, time.Now().UnixNano())
	r, err := c.Send(ctx, api.SendParams{Mode: prodlab.Idempotent, SendMode: prodlab.Async, EventID: eventID})
	if err != nil || r.RequestID == "" {
		t.Fatalf("async send: %v %s", err, r.Body)
	}
	sent := time.Now()
	// The fault lasts longer than the delivery timeout: until the send
	// ends, or for holdFault, three delivery timeouts (franz-go fails a
	// batch never written when a metadata refresh, at most every 5 s,
	// finds it past the timeout).
	var held api.StatusResult
	hctx, hcancel := context.WithTimeout(ctx, holdFault)
	defer hcancel()
	_ = wait.Until(hctx, func() bool {
		held, err = c.Status(ctx, r.RequestID)
		return err == nil && held.State != "PENDING"
	})
	if ctx.Err() != nil {
		t.Fatal(ctx.Err())
	}
	if err := proxy.RemoveToxic(ctx, "latency"); err != nil { // Étape 13
		t.Fatal(err)
	}
	var st api.StatusResult
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := wait.Until(wctx, func() bool {
		st, err = c.Status(ctx, r.RequestID)
		return err == nil && st.State != "PENDING"
	}); err != nil {
		t.Fatalf("the send is still %s %v 30 s after the toxic went", st.State, err)
	}
	out.state, out.err = st.State, st.Error
	out.copies = len(labtest.Count(t, l, prodlab.DefaultTopic, eventID))
	t.Logf("%s, idle %v: idle pause %s (%v idempotent connections closed idle, %v after an error), fault held %s (state then %s), then %s %q with %d copies",
		engine, idle, out.pause.Round(time.Millisecond), out.reaped, out.broken, time.Since(sent).Round(time.Millisecond), held.State, out.state, out.err, out.copies)
	return out
}

// TestReadingPaceFranz: Étape 12a → 13 on the franz API after the
// producer sat idle with the fault in place. With kgo's old idle timeout
// (scaled to 3 s) the idle connections close, a new one cannot negotiate
// under 5 s of latency, and the send ends ERROR with 0 copies. With the
// engine's default, the Java client's 9 min, the same pause leaves the
// connection open, the request reaches the broker, and the send ends OK
// with 1 copy once the toxic goes, as the guide says.
func TestReadingPaceFranz(t *testing.T) {
	var old pace
	t.Run("old idle timeout", func(t *testing.T) {
		old = readingPace(t, prodlab.Franz, oldIdle, readingPause, true)
		if old.reaped <= 0 {
			t.Errorf("no connection closed idle during %s with a %s idle timeout", old.pause, oldIdle)
		}
		if old.state != "ERROR" || old.copies != 0 {
			t.Errorf("with a %s idle timeout: %s %q with %d copies, want ERROR with 0 (the failure this guards against)", oldIdle, old.state, old.err, old.copies)
		}
	})
	t.Run("default", func(t *testing.T) {
		// The same pause as the old setting needed to close everything.
		p := readingPace(t, prodlab.Franz, 0, max(old.pause, readingPause), false)
		if p.reaped > 0 {
			t.Errorf("the default idle timeout closed %v connections within %s", p.reaped, p.pause)
		}
		if p.state != "OK" || p.copies != 1 {
			t.Errorf("Étape 13 after a %s idle pause: %s %q with %d copies, want OK with 1", p.pause, p.state, p.err, p.copies)
		}
	})
}

// TestReadingPaceLibrdkafka: the same steps on the librdkafka API, which
// never closes an idle connection: the request reaches the broker, but
// message.timeout.ms (the delivery timeout) also expires a record in
// flight, so a fault held past it ends "Message timed out" with the record
// written once.
func TestReadingPaceLibrdkafka(t *testing.T) {
	p := readingPace(t, prodlab.Librdkafka, 0, 2*readingPause, false)
	if p.state != "ERROR" || !strings.Contains(p.err, "Message timed out") || p.copies != 1 {
		t.Errorf("Étape 13 on librdkafka after a fault longer than message.timeout.ms: %s %q with %d copies, want ERROR Message timed out with 1", p.state, p.err, p.copies)
	}
}
