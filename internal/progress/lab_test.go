package progress_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/target/targettest"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/validate"
	"github.com/prodlab/prodlab/internal/wait"
)

// start runs a lab and returns its progress record.
func start(t *testing.T, mod ...func(*lab.Config)) (*lab.Lab, *progress.Recorder) {
	t.Helper()
	l := labtest.Start(t, mod...)
	if l.Progress() == nil {
		t.Fatal("the lab has no progress record")
	}
	return l, l.Progress()
}

func tickOf(r *progress.Recorder, id progress.ID) *progress.Tick {
	for _, row := range r.Report().Rows {
		if row.ID == id {
			return row.Tick
		}
	}
	return nil
}

// waitTick waits until id is ticked and returns how.
func waitTick(t *testing.T, r *progress.Recorder, id progress.ID) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool { return tickOf(r, id) != nil }); err != nil {
		t.Fatalf("%s never ticked: %v\n%s", id, err, r.Report().Text(i18n.EN))
	}
	how := tickOf(r, id).How
	t.Logf("%s: %s", id, how)
	return how
}

// unticked fails t if id is ticked, after running the pending checks.
func unticked(t *testing.T, r *progress.Recorder, id progress.ID, why string) {
	t.Helper()
	r.Verify(t.Context())
	if tk := tickOf(r, id); tk != nil {
		t.Fatalf("%s ticked %s: %q", id, why, tk.How)
	}
}

func client(t *testing.T, a *lab.API) *api.Client {
	t.Helper()
	c, err := api.NewClient(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func kafkaProxy(t *testing.T, l *lab.Lab) *toxiclient.Proxy {
	t.Helper()
	tc, err := toxiclient.New(l.ToxiproxyURL())
	if err != nil {
		t.Fatal(err)
	}
	return tc.Proxy("kafka")
}

func TestHealthNeedsEveryAPI(t *testing.T) {
	l, r := start(t)
	apis := l.APIs()
	for i, a := range apis {
		if err := client(t, a).Health(t.Context()); err != nil {
			t.Fatal(err)
		}
		if i < len(apis)-1 {
			unticked(t, r, progress.Health, "with "+a.Engine.Name()+"'s /health only")
		}
	}
	waitTick(t, r, progress.Health)
}

// TestCrossSiteTicksNothing: a page of another site that loads /health
// on both APIs (an <img> is enough) gets its answer but ticks nothing; so
// does a same-site page (another port of localhost) and an older browser
// that only sends Origin. The lab's own GETs then tick 02.0.
func TestCrossSiteTicksNothing(t *testing.T) {
	l, r := start(t)
	for _, h := range []http.Header{{"Sec-Fetch-Site": {"cross-site"}}, {"Sec-Fetch-Site": {"same-site"}}, {"Origin": {"http://evil.example"}}} {
		for _, a := range l.APIs() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.URL+"/health", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = h
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			err = wait.Until(ctx, func() bool {
				resp, err := http.DefaultClient.Do(req.WithContext(ctx))
				if err != nil {
					return false
				}
				resp.Body.Close()
				return resp.StatusCode == http.StatusOK
			})
			cancel()
			if err != nil {
				t.Fatalf("%s /health with %v never answered 200: %v", a.Engine.Name(), h, err)
			}
		}
		unticked(t, r, progress.Health, fmt.Sprintf("on GET /health with %v", h))
	}
	for _, a := range l.APIs() {
		if err := client(t, a).Health(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	waitTick(t, r, progress.Health)
}

func TestSyncSendNeedsEveryAPI(t *testing.T) {
	l, r := start(t)
	for _, a := range l.APIs() {
		if _, err := client(t, a).Send(t.Context(), api.SendParams{Mode: prodlab.Plain, SendMode: prodlab.Async, EventID: "async-" + a.Engine.Name()}); err != nil {
			t.Fatal(err)
		}
	}
	unticked(t, r, progress.SyncSend, "by async sends")
	apis := l.APIs()
	for i, a := range apis {
		labtest.Send(t, a, "eventId", "sync-"+a.Engine.Name())
		if i < len(apis)-1 {
			unticked(t, r, progress.SyncSend, "with a sync send on "+a.Engine.Name()+" only")
		}
	}
	waitTick(t, r, progress.SyncSend)
	// French puts a space before ';': the parts, written once for both
	// languages, are joined with a comma.
	if fr := tickOf(r, progress.SyncSend).Text(i18n.FR); strings.Contains(fr, "; ") {
		t.Errorf("French evidence %q joins its parts with '; '", fr)
	}
}

func TestAsyncStatusNeedsAPollPastPending(t *testing.T) {
	l, r := start(t)
	c := client(t, l.APIs()[0])
	res, err := c.Send(t.Context(), api.SendParams{Mode: prodlab.Idempotent, SendMode: prodlab.Async, EventID: "async-status"})
	if err != nil {
		t.Fatal(err)
	}
	// The send ends without anyone asking.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool { p, _ := l.APIs()[0].Store.Counts(); return p == 0 }); err != nil {
		t.Fatal(err)
	}
	unticked(t, r, progress.AsyncStatus, "without a status poll")
	if _, err := c.Status(t.Context(), "0123456789abcdef0123456789abcdef"); err == nil {
		t.Fatal("an unknown requestId answered")
	}
	unticked(t, r, progress.AsyncStatus, "by a poll of an unknown requestId")
	st, err := c.Status(t.Context(), res.RequestID)
	if err != nil || st.State != "OK" {
		t.Fatalf("status: %+v %v", st, err)
	}
	waitTick(t, r, progress.AsyncStatus)
}

func TestLatencyNeedsASlowedSendThenRemoval(t *testing.T) {
	l, r := start(t)
	a := l.APIs()[0]
	labtest.Send(t, a, "eventId", "no-toxic")
	unticked(t, r, progress.Latency, "without a toxic")

	px := kafkaProxy(t, l)
	lat := toxiclient.Attributes{"latency": 400, "jitter": 0}
	if _, err := px.AddToxic(t.Context(), "latency", "latency", "downstream", 1, lat); err != nil {
		t.Fatal(err)
	}
	if err := px.RemoveToxic(t.Context(), "latency"); err != nil {
		t.Fatal(err)
	}
	unticked(t, r, progress.Latency, "by a toxic removed with no send under it")

	if _, err := px.AddToxic(t.Context(), "latency", "latency", "downstream", 1, lat); err != nil {
		t.Fatal(err)
	}
	labtest.Send(t, a, "eventId", "slowed")
	unticked(t, r, progress.Latency, "while the toxic is still on")
	if err := px.RemoveToxic(t.Context(), "latency"); err != nil {
		t.Fatal(err)
	}
	waitTick(t, r, progress.Latency)
}

// TestValidateTicks runs validate as the command line does, against the
// lab's APIs: the lab counts the copies itself.
func TestValidateTicks(t *testing.T) {
	l, r := start(t)
	tg := targettest.Of(t, l, prodlab.DefaultTopic)
	plainOnly, err := validate.New(tg, validate.Modes(prodlab.Plain))
	if err != nil {
		t.Fatal(err)
	}
	both, err := validate.New(tg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if _, err := plainOnly.Run(ctx); err != nil {
		t.Fatalf("validate (plain only): %v", err)
	}
	unticked(t, r, progress.Validate, "by a validate run without the idempotent windows")
	if _, err := both.Run(ctx); err != nil {
		t.Fatalf("validate: %v", err)
	}
	waitTick(t, r, progress.Validate)
}

func TestPartitionsNeedExplicitPartitionsAndOneKeyOnBothAPIs(t *testing.T) {
	l, r := start(t)
	apis := l.APIs()
	labtest.Send(t, apis[0], "eventId", "p0", "partition", "0")
	labtest.Send(t, apis[0], "eventId", "p0-again", "partition", "0")
	if len(apis) > 1 {
		for _, a := range apis {
			labtest.Send(t, a, "eventId", "k-"+a.Engine.Name(), "key", "customer-42")
		}
	}
	unticked(t, r, progress.Partitions, "with one explicit partition only")
	labtest.Send(t, apis[0], "eventId", "p1", "partition", "1")
	if len(apis) < 2 {
		unticked(t, r, progress.Partitions, "with a single API")
		return
	}
	waitTick(t, r, progress.Partitions)
}

func TestPartitionsNeedTheKeyThroughBothAPIs(t *testing.T) {
	l, r := start(t)
	a := l.APIs()[0]
	labtest.Send(t, a, "eventId", "p0", "partition", "0")
	labtest.Send(t, a, "eventId", "p2", "partition", "2")
	labtest.Send(t, a, "eventId", "k1", "key", "customer-42")
	labtest.Send(t, a, "eventId", "k2", "key", "customer-42")
	unticked(t, r, progress.Partitions, "with the key sent through one API")
}

// compacted is Lab 02.6's topic config.
var compacted = map[string]*string{"cleanup.policy": new("compact"), "segment.ms": new("1000"), "min.cleanable.dirty.ratio": new("0.01")}

// compactionCheck runs `prodlab compaction-check --expect V3` on key
// customer-42 of topic: it rolls the segment and waits for compaction.
func compactionCheck(t *testing.T, l *lab.Lab, topic string) {
	t.Helper()
	adm, err := admin.New(l.Direct())
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	rep, err := adm.CompactionCheck(t.Context(), admin.CompactionSpec{Topic: topic, Key: "customer-42", Expect: "V3", Wait: time.Minute, Roll: true})
	if err != nil || !rep.OK {
		t.Fatalf("compaction-check: %+v %v", rep, err)
	}
}

func TestCompactionOnlyOnceCompacted(t *testing.T) {
	l, r := start(t)
	a := l.APIs()[len(l.APIs())-1]
	plain := labtest.Topic(t, l, 1, nil)
	for _, v := range []string{"V1", "V2", "V3"} {
		labtest.Send(t, a, "topic", plain, "eventId", v, "key", "customer-42")
	}
	unticked(t, r, progress.Compaction, "on a topic that is not compacted")

	topic := labtest.Topic(t, l, 1, compacted)
	labtest.Send(t, a, "topic", topic, "eventId", "V1", "key", "customer-42")
	labtest.Send(t, a, "topic", topic, "eventId", "V2", "key", "customer-42")
	unticked(t, r, progress.Compaction, "with two versions")
	labtest.Send(t, a, "topic", topic, "eventId", "V3", "key", "customer-42")
	unticked(t, r, progress.Compaction, "before compaction happened")

	compactionCheck(t, l, topic)
	waitTick(t, r, progress.Compaction)
}

// TestExerciseTimeoutsNeedsTunedAPIs runs one lab, then the other: against
// real Kafka two labs would share the fixed proxy ports.
func TestExerciseTimeoutsNeedsTunedAPIs(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		l, r := start(t)
		labtest.Send(t, l.APIs()[0], "eventId", "ex1")
		unticked(t, r, progress.ExTimeouts, "under the lab's default timeouts")
	})
	t.Run("tuned", func(t *testing.T) {
		l, r := start(t, func(c *lab.Config) { c.Producer.RequestTimeout = 3 * time.Second })
		unticked(t, r, progress.ExTimeouts, "before any send")
		a := l.APIs()[0]
		// The guide's warm-up, then a send without the toxic: no evidence.
		labtest.Send(t, a, "mode", "idempotent", "eventId", fmt.Sprintf("EX1-WARM-%d", time.Now().Unix()))
		labtest.Send(t, a, "eventId", "ex1-no-toxic")
		unticked(t, r, progress.ExTimeouts, "by the warm-up and a send without the latency toxic")
		// The exercise: a send slowed by a latency shorter than the timeout.
		px := kafkaProxy(t, l)
		if _, err := px.AddToxic(t.Context(), "latency", "latency", "downstream", 1, toxiclient.Attributes{"latency": 500}); err != nil {
			t.Fatal(err)
		}
		labtest.Send(t, a, "eventId", "WARM-18080-plain-1")
		unticked(t, r, progress.ExTimeouts, "by a warm-up send under the toxic")
		labtest.Send(t, a, "eventId", "ex1")
		if err := px.RemoveToxic(t.Context(), "latency"); err != nil {
			t.Fatal(err)
		}
		if how := waitTick(t, r, progress.ExTimeouts); !strings.Contains(how, "request.timeout.ms=3000") || !strings.Contains(how, "500ms latency toxic") {
			t.Errorf("how = %q, want the toxic and the tuned timeout named", how)
		}
	})
}

func TestExerciseTimeoutToxicNeedsTheError(t *testing.T) {
	l, r := start(t, func(c *lab.Config) {
		c.Producer.RequestTimeout, c.Producer.DeliveryTimeout = 500*time.Millisecond, 2*time.Second
	})
	a := l.APIs()[0]
	labtest.Send(t, a, "eventId", "before")
	px := kafkaProxy(t, l)
	if _, err := px.AddToxic(t.Context(), "timeout", "timeout", "downstream", 1, toxiclient.Attributes{"timeout": 0}); err != nil {
		t.Fatal(err)
	}
	unticked(t, r, progress.ExTimeout, "with the toxic on and no send")
	_, err := client(t, a).Send(t.Context(), api.SendParams{Mode: prodlab.Plain, SendMode: prodlab.Sync, EventID: "under-timeout"})
	var ae *api.Error
	if !errors.As(err, &ae) || (ae.Status != 502 && ae.Status != 504) {
		t.Fatalf("send under a timeout toxic: %v", err)
	}
	if err := px.RemoveToxic(t.Context(), "timeout"); err != nil {
		t.Fatal(err)
	}
	waitTick(t, r, progress.ExTimeout)
}

func TestExerciseKeysNeedsChosenKeys(t *testing.T) {
	l, r := start(t)
	a := l.APIs()[0]
	for i := range 12 {
		labtest.Send(t, a, "eventId", fmt.Sprintf("eventid-key-%d", i))
	}
	unticked(t, r, progress.ExKeys, "by keys that are the eventIds")
	for i := 1; i <= 9; i++ {
		labtest.Send(t, a, "eventId", fmt.Sprintf("ex3-%d", i), "key", fmt.Sprintf("customer-%d", i))
	}
	waitTick(t, r, progress.ExKeys)
}

func TestProgressFileUnderDataDir(t *testing.T) {
	dir := t.TempDir()
	l, r := start(t, func(c *lab.Config) { c.DataDir = dir })
	for _, a := range l.APIs() {
		if err := client(t, a).Health(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	waitTick(t, r, progress.Health)
	ticks, err := progress.Load(filepath.Join(dir, progress.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ticks[progress.Health]; !ok {
		raw, _ := os.ReadFile(filepath.Join(dir, progress.FileName))
		t.Fatalf("the file does not hold 02.0:\n%s", raw)
	}
}

// TestThreeBrokers: with three brokers, one proxy each, partitions, keys
// and compaction are read on the direct path as with one.
func TestThreeBrokers(t *testing.T) {
	l, r := start(t, func(c *lab.Config) { c.Brokers = 3 })
	apis := l.APIs()
	labtest.Send(t, apis[0], "eventId", "p0", "partition", "0")
	labtest.Send(t, apis[0], "eventId", "p2", "partition", "2")
	for _, a := range apis {
		labtest.Send(t, a, "eventId", "k-"+a.Engine.Name(), "key", "customer-42")
	}
	for i := 1; i <= 9; i++ {
		labtest.Send(t, apis[0], "eventId", fmt.Sprintf("ex3-%d", i), "key", fmt.Sprintf("customer-%d", i))
	}
	if len(apis) > 1 {
		waitTick(t, r, progress.Partitions)
	}
	waitTick(t, r, progress.ExKeys)

	topic := labtest.Topic(t, l, 1, compacted)
	for _, v := range []string{"V1", "V2", "V3"} {
		labtest.Send(t, apis[0], "topic", topic, "eventId", v, "key", "customer-42")
	}
	unticked(t, r, progress.Compaction, "before compaction happened")
	compactionCheck(t, l, topic)
	waitTick(t, r, progress.Compaction)
}
