package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// result is a decoded API answer.
type result struct {
	code int
	body map[string]any // a JSON object's fields
	raw  string
}

func call(t testing.TB, method, u string) result {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{code: resp.StatusCode, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", method, u, raw, err)
		}
		r.body, _ = v.(map[string]any)
	}
	return r
}

func send(t testing.TB, a *lab.API, params url.Values) result {
	t.Helper()
	return call(t, http.MethodPost, a.URL+"/api/v1/send?"+params.Encode())
}

func params(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// eachAPI runs fn as a subtest for every engine's API.
func eachAPI(t *testing.T, l *lab.Lab, fn func(t *testing.T, a *lab.API)) {
	t.Helper()
	for _, a := range l.APIs() {
		t.Run(a.Engine.Name(), func(t *testing.T) { fn(t, a) })
	}
}

func TestHealth(t *testing.T) {
	l := labtest.Start(t)
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		r := call(t, http.MethodGet, a.URL+"/health")
		if r.code != 200 || r.raw != "OK" {
			t.Fatalf("GET /health = %d %q, want 200 OK", r.code, r.raw)
		}
	})
}

func TestBadInput(t *testing.T) {
	l := labtest.Start(t)
	cases := []struct {
		name   string
		method string
		path   string
		code   int
		field  string
	}{
		{"missing mode", "POST", "/api/v1/send?eventId=e", 400, "mode"},
		{"empty mode", "POST", "/api/v1/send?mode=&eventId=e", 400, "mode"},
		{"unknown mode", "POST", "/api/v1/send?mode=exactly-once&eventId=e", 400, "mode"},
		{"unknown sendMode", "POST", "/api/v1/send?mode=plain&sendMode=later&eventId=e", 400, "sendMode"},
		{"missing eventId", "POST", "/api/v1/send?mode=plain", 400, "eventId"},
		{"empty eventId", "POST", "/api/v1/send?mode=plain&eventId=", 400, "eventId"},
		{"eventId too long", "POST", "/api/v1/send?mode=plain&eventId=" + strings.Repeat("x", 257), 400, "eventId"},
		{"empty key", "POST", "/api/v1/send?mode=plain&eventId=e&key=", 400, "key"},
		{"partition not an integer", "POST", "/api/v1/send?mode=plain&eventId=e&partition=one", 400, "partition"},
		{"partition negative", "POST", "/api/v1/send?mode=plain&eventId=e&partition=-1", 400, "partition"},
		{"partition out of range", "POST", "/api/v1/send?mode=plain&eventId=e&partition=3", 400, "partition"},
		{"illegal topic", "POST", "/api/v1/send?mode=plain&eventId=e&topic=bad%2Ftopic", 400, "topic"},
		{"topic ..", "POST", "/api/v1/send?mode=plain&eventId=e&topic=..", 400, "topic"},
		{"unknown topic", "POST", "/api/v1/send?mode=plain&eventId=e&topic=no-such-topic", 404, "topic"},
		{"unknown parameter", "POST", "/api/v1/send?mode=plain&eventId=e&sendmode=async", 400, "sendmode"},
		{"repeated parameter", "POST", "/api/v1/send?mode=plain&mode=idempotent&eventId=e", 400, "mode"},
		{"send with GET", "GET", "/api/v1/send?mode=plain&eventId=e", 405, ""},
		{"status with POST", "POST", "/api/v1/status?requestId=x", 405, ""},
		{"health with DELETE", "DELETE", "/health", 405, ""},
		{"status without requestId", "GET", "/api/v1/status", 400, "requestId"},
		{"unknown requestId", "GET", "/api/v1/status?requestId=nope", 404, "requestId"},
		{"unknown path", "GET", "/api/v2/send", 404, ""},
	}
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				start := time.Now()
				r := call(t, c.method, a.URL+c.path)
				labtest.CheckError(t, r.code, []byte(r.raw), c.code, c.field)
				if d := time.Since(start); c.code == 404 && d > 5*time.Second {
					t.Fatalf("took %v: an unknown topic must answer within a few seconds", d)
				}
			})
		}
	})
}

func num(t testing.TB, m map[string]any, k string) int64 {
	t.Helper()
	v, ok := m[k].(float64)
	if !ok {
		t.Fatalf("field %q missing or not a number in %v", k, m)
	}
	return int64(v)
}

// sendEachMode sends one message of each mode with sendMode through every
// API into a new topic of 3 partitions, and hands each answer to check.
func sendEachMode(t *testing.T, sendMode string, check func(t *testing.T, l *lab.Lab, a *lab.API, topic string, mode prodlab.Mode, ev string, r result)) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		for _, mode := range prodlab.Modes {
			ev := fmt.Sprintf("%s-%s-%s", sendMode, a.Engine.Name(), mode)
			check(t, l, a, topic, mode, ev, send(t, a, params("mode", string(mode), "sendMode", sendMode, "eventId", ev, "topic", topic)))
		}
	})
}

func TestSyncRoundTrip(t *testing.T) {
	sendEachMode(t, "sync", func(t *testing.T, l *lab.Lab, a *lab.API, topic string, mode prodlab.Mode, ev string, r result) {
		if r.code != 200 || r.body["status"] != "OK" {
			t.Fatalf("sync send = %d %s", r.code, r.raw)
		}
		for k, want := range map[string]string{"topic": topic, "eventId": ev, "mode": string(mode), "sendMode": "sync", "key": ev, "engine": a.Engine.Name()} {
			if r.body[k] != want {
				t.Errorf("%s = %v, want %s", k, r.body[k], want)
			}
		}
		copies := labtest.Count(t, l, topic, ev)
		if len(copies) != 1 {
			t.Fatalf("%d copies of %s in the log, want 1", len(copies), ev)
		}
		rec := copies[0]
		if int64(rec.Partition) != num(t, r.body, "partition") || rec.Offset != num(t, r.body, "offset") {
			t.Fatalf("API said %v/%v, the log holds it at %d/%d", r.body["partition"], r.body["offset"], rec.Partition, rec.Offset)
		}
		var v prodlab.Value
		if err := json.Unmarshal(rec.Value, &v); err != nil {
			t.Fatalf("value %q is not JSON: %v", rec.Value, err)
		}
		if v.EventID != ev || v.Mode != mode || v.SendMode != prodlab.Sync || v.API != a.Engine.Name() || v.TS == 0 {
			t.Fatalf("value = %+v", v)
		}
		if string(rec.Key) != ev {
			t.Fatalf("key = %q, want %q", rec.Key, ev)
		}
	})
}

func TestExplicitPartition(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		for p := range 3 {
			ev := fmt.Sprintf("p%d-%s", p, a.Engine.Name())
			r := send(t, a, params("mode", "plain", "eventId", ev, "partition", fmt.Sprint(p), "topic", topic))
			if r.code != 200 || num(t, r.body, "partition") != int64(p) {
				t.Fatalf("send to partition %d = %d %s", p, r.code, r.raw)
			}
			if c := labtest.Count(t, l, topic, ev); len(c) != 1 || c[0].Partition != int32(p) {
				t.Fatalf("record %s not found once on partition %d", ev, p)
			}
		}
	})
}

// waitState polls the status of id until it is no longer PENDING.
func waitState(t testing.TB, a *lab.API, id string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var r result
	err := wait.Until(ctx, func() bool {
		r = call(t, http.MethodGet, a.URL+"/api/v1/status?requestId="+url.QueryEscape(id))
		return r.code != 200 || r.body["state"] != "PENDING"
	})
	if err != nil {
		t.Fatalf("status of %s still PENDING: %v", id, err)
	}
	return r
}

func TestAsyncStatus(t *testing.T) {
	sendEachMode(t, "async", func(t *testing.T, l *lab.Lab, a *lab.API, topic string, mode prodlab.Mode, ev string, r result) {
		if r.code != 202 || r.body["status"] != "ACCEPTED" || r.body["state"] != "PENDING" {
			t.Fatalf("async send = %d %s", r.code, r.raw)
		}
		id, _ := r.body["requestId"].(string)
		if id == "" {
			t.Fatalf("no requestId in %s", r.raw)
		}
		st := waitState(t, a, id)
		if st.code != 200 || st.body["state"] != "OK" || st.body["topic"] != topic {
			t.Fatalf("status = %d %s", st.code, st.raw)
		}
		copies := labtest.Count(t, l, topic, ev)
		if len(copies) != 1 || int64(copies[0].Partition) != num(t, st.body, "partition") || copies[0].Offset != num(t, st.body, "offset") {
			t.Fatalf("status %s does not match the log (%d copies)", st.raw, len(copies))
		}
	})
}

func toxiClient(l *lab.Lab) *toxiproxy.Client {
	return toxiproxy.NewClient(strings.TrimPrefix(l.ToxiproxyURL(), "http://"))
}

// addLatency puts a downstream latency toxic on every proxy and returns a
// function that removes them.
func addLatency(t testing.TB, l *lab.Lab, ms int) func() {
	t.Helper()
	tc := toxiClient(l)
	proxies, err := tc.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range proxies {
		if _, err := p.AddToxic("latency", "latency", "downstream", 1, toxiproxy.Attributes{"latency": ms}); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	remove := func() {
		once.Do(func() {
			for _, p := range proxies {
				// A lab's Shutdown removes its toxics itself.
				var ae *toxiproxy.ApiError
				if err := p.RemoveToxic("latency"); err != nil && !(errors.As(err, &ae) && ae.Status == http.StatusNotFound) {
					t.Errorf("remove toxic: %v", err)
				}
			}
		})
	}
	t.Cleanup(remove)
	return remove
}

// TestTrafficCrossesToxiproxy proves that every byte between the APIs'
// producers and the brokers crosses Toxiproxy: a 5 s downstream latency
// on every proxy delays a sync send by at least 5 s, or makes it fail.
func TestTrafficCrossesToxiproxy(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	labtest.Warm(t, l, topic)
	type outcome struct {
		took time.Duration
		r    result
	}
	remove := addLatency(t, l, 5000)
	outcomes := make([]outcome, len(l.APIs()))
	var wg sync.WaitGroup
	start := time.Now()
	for i, a := range l.APIs() {
		wg.Go(func() {
			r := send(t, a, params("mode", "idempotent", "eventId", "slow-"+a.Engine.Name(), "topic", topic))
			outcomes[i] = outcome{time.Since(start), r}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// Removing a latency toxic releases what it holds at once, so it stays
	// until the sends answer or have been held for 5 s.
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	remove()
	<-done
	for i, a := range l.APIs() {
		o := outcomes[i]
		if o.r.code == 200 && o.took < 5*time.Second {
			t.Errorf("%s: sync send under a 5000 ms toxic took only %v: its traffic bypasses Toxiproxy", a.Engine.Name(), o.took)
		}
		if n := len(labtest.Count(t, l, topic, "slow-"+a.Engine.Name())); n != 1 {
			t.Errorf("%s: %d idempotent copies in the log, want 1", a.Engine.Name(), n)
		}
		t.Logf("%s: under 5000 ms latency the send took %v and answered %d", a.Engine.Name(), o.took.Round(time.Millisecond), o.r.code)
	}
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		best := time.Hour
		for i := range 5 {
			start := time.Now()
			r := send(t, a, params("mode", "idempotent", "eventId", fmt.Sprintf("fast-%d", i), "topic", topic))
			if r.code != 200 {
				t.Fatalf("send after the toxic = %d %s", r.code, r.raw)
			}
			best = min(best, time.Since(start))
		}
		if best >= 100*time.Millisecond {
			t.Fatalf("best of 5 sends after removing the toxic took %v, want < 100ms", best)
		}
	})
}

// TestToxiproxyClientCompat drives the embedded server with Toxiproxy's own
// Go client.
func TestToxiproxyClientCompat(t *testing.T) {
	l := labtest.Start(t)
	tc := toxiClient(l)
	p, err := tc.Proxy("kafka")
	if err != nil {
		t.Fatal(err)
	}
	if p.Listen != l.ProxyAddrs()[0] || !p.Enabled {
		t.Fatalf("proxy kafka = %+v, want listen %s enabled", p, l.ProxyAddrs()[0])
	}
	tox, err := p.AddToxic("latency", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 5000, "jitter": 0})
	if err != nil {
		t.Fatal(err)
	}
	if tox.Type != "latency" || tox.Stream != "downstream" {
		t.Fatalf("toxic = %+v", tox)
	}
	toxics, err := p.Toxics()
	if err != nil || len(toxics) != 1 || toxics[0].Name != "latency" || toxics[0].Attributes["latency"] != float64(5000) {
		t.Fatalf("toxics = %+v, %v", toxics, err)
	}
	if _, err := p.UpdateToxic("latency", 1, toxiproxy.Attributes{"latency": 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddToxic("latency", "latency", "downstream", 1, nil); err == nil {
		t.Fatal("a second toxic named latency was accepted")
	}
	if err := p.RemoveToxic("latency"); err != nil {
		t.Fatal(err)
	}
	if toxics, _ := p.Toxics(); len(toxics) != 0 {
		t.Fatalf("toxics after delete = %+v", toxics)
	}
	if err := p.RemoveToxic("latency"); err == nil {
		t.Fatal("deleting a missing toxic succeeded")
	}
	if _, err := p.AddToxic("", "timeout", "upstream", 1, toxiproxy.Attributes{"timeout": 0}); err != nil {
		t.Fatal(err)
	}
	if err := tc.ResetState(); err != nil {
		t.Fatal(err)
	}
	if toxics, _ := p.Toxics(); len(toxics) != 0 {
		t.Fatalf("toxics after reset = %+v", toxics)
	}
	// The seed's own curl commands, with a curl-like user agent.
	r := call(t, http.MethodGet, l.ToxiproxyURL()+"/proxies/kafka/toxics")
	if r.code != 200 || strings.TrimSpace(r.raw) != "[]" {
		t.Fatalf("GET /proxies/kafka/toxics = %d %q, want []", r.code, r.raw)
	}
}

func TestBufferFullAnswers503(t *testing.T) {
	l := labtest.Start(t, func(c *lab.Config) { c.Producer.MaxBuffered = 1 })
	topic := labtest.Topic(t, l, 1, nil)
	labtest.Warm(t, l, topic)
	remove := addLatency(t, l, 2000)
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		first := send(t, a, params("mode", "plain", "sendMode", "async", "eventId", "fill-"+a.Engine.Name(), "topic", topic))
		if first.code != 202 {
			t.Fatalf("first async send = %d %s", first.code, first.raw)
		}
		second := send(t, a, params("mode", "plain", "sendMode", "async", "eventId", "over-"+a.Engine.Name(), "topic", topic))
		if second.code != 503 {
			t.Fatalf("send over a full buffer = %d %s, want 503", second.code, second.raw)
		}
	})
	remove()
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		if c := labtest.Count(t, l, topic, "over-"+a.Engine.Name()); len(c) != 0 {
			t.Fatalf("a refused send was written %d times", len(c))
		}
	})
}

// TestShutdownFlushes sends async records through a slow proxy, shuts the
// APIs down, and checks that every accepted send was written.
func TestShutdownFlushes(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	labtest.Warm(t, l, topic)
	addLatency(t, l, 300)
	const n = 20
	ids := map[string]*lab.API{}
	for _, a := range l.APIs() {
		for i := range n {
			ev := fmt.Sprintf("flush-%s-%d", a.Engine.Name(), i)
			r := send(t, a, params("mode", "idempotent", "sendMode", "async", "eventId", ev, "topic", topic))
			if r.code != 202 {
				t.Fatalf("async send = %d %s", r.code, r.raw)
			}
			ids[ev] = a
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for _, a := range l.APIs() {
		if pending, finished := a.Store.Counts(); pending != 0 || finished != n {
			t.Fatalf("%s after shutdown: %d pending, %d finished; want 0, %d", a.Engine.Name(), pending, finished, n)
		}
	}
	counts := map[string]int{}
	for _, r := range labtest.Records(t, l, topic) {
		counts[string(r.Key)]++
	}
	for ev := range ids {
		if counts[ev] != 1 {
			t.Errorf("%s written %d times, want 1", ev, counts[ev])
		}
	}
}

// TestClientHangUpDoesNotCancel checks that a sync send whose client leaves
// is still written.
func TestClientHangUpDoesNotCancel(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 1, nil)
	labtest.Warm(t, l, topic)
	remove := addLatency(t, l, 1500)
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		u := a.URL + "/api/v1/send?" + params("mode", "idempotent", "eventId", "left-"+a.Engine.Name(), "topic", topic).Encode()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("the send answered %d before the client gave up", resp.StatusCode)
		}
	})
	remove()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		err := wait.Until(ctx, func() bool { return len(labtest.Count(t, l, topic, "left-"+a.Engine.Name())) == 1 })
		if err != nil {
			t.Fatalf("the send of a client that left was never written: %v", err)
		}
	})
}
