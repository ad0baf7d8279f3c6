package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/console"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/validate"
	"github.com/prodlab/prodlab/internal/wait"
)

// result is a decoded answer.
type result struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

func call(t testing.TB, method, u, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json") // as the page sends it
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: bad JSON %q: %v", method, u, raw, err)
		}
	}
	return r
}

// decode re-decodes r's body into v.
func decode(t testing.TB, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.raw), v); err != nil {
		t.Fatalf("decode %s: %v", r.raw, err)
	}
}

// start runs a lab and a console over it; opts add to the lab's wiring.
func start(t *testing.T, opts ...console.Opt) (*lab.Lab, string) {
	t.Helper()
	l := labtest.Start(t)
	base := []console.Opt{console.Direct(l.Direct()), console.Toxiproxy(l.ToxiproxyURL())}
	for _, a := range l.APIs() {
		base = append(base, console.API(a.Engine.Name(), a.URL))
	}
	c := newConsole(t, append(base, opts...)...)
	srv := httptest.NewServer(c.Routes())
	t.Cleanup(srv.Close)
	return l, srv.URL
}

// send produces one sync record through the console.
func send(t testing.TB, base, engine string, kv ...string) result {
	t.Helper()
	q := url.Values{"engine": {engine}}
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return call(t, http.MethodPost, base+"/api/send?"+q.Encode(), "")
}

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := wait.Until(ctx, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestBadInput(t *testing.T) {
	l, base := start(t)
	engine := l.APIs()[0].Engine.Name()
	cases := []struct {
		name, method, path, body string
		code                     int
		field                    string
	}{
		{"messages limit 0", "GET", "/api/messages?limit=0", "", 400, "limit"},
		{"messages limit too big", "GET", "/api/messages?limit=501", "", 400, "limit"},
		{"messages limit not a number", "GET", "/api/messages?limit=ten", "", 400, "limit"},
		{"messages negative skip", "GET", "/api/messages?skip=-1", "", 400, "skip"},
		{"messages illegal topic", "GET", "/api/messages?topic=a%2Fb", "", 400, "topic"},
		{"messages unknown topic", "GET", "/api/messages?topic=no-such-topic", "", 404, "topic"},
		{"messages filter too long", "GET", "/api/messages?q=" + strings.Repeat("x", 257), "", 400, "q"},
		{"messages unknown parameter", "GET", "/api/messages?offset=3", "", 400, "offset"},
		{"messages repeated parameter", "GET", "/api/messages?limit=1&limit=2", "", 400, "limit"},
		{"messages bad reread", "GET", "/api/messages?reread=yes", "", 400, "reread"},
		{"messages with POST", "POST", "/api/messages", "", 405, ""},
		{"duplicates limit", "GET", "/api/duplicates?limit=100000", "", 400, "limit"},
		{"duplicates unknown topic", "GET", "/api/duplicates?topic=nope", "", 404, "topic"},
		{"cluster parameter", "GET", "/api/cluster?x=1", "", 400, "x"},
		{"toxic type", "POST", "/api/proxies/kafka/toxics", `{"type":"bandwidth"}`, 400, "type"},
		{"toxic stream", "POST", "/api/proxies/kafka/toxics", `{"type":"latency","stream":"sideways"}`, 400, "stream"},
		{"toxic toxicity", "POST", "/api/proxies/kafka/toxics", `{"type":"latency","toxicity":2}`, 400, "toxicity"},
		{"toxic name", "POST", "/api/proxies/kafka/toxics", `{"type":"latency","name":"a b"}`, 400, "name"},
		{"toxic attribute of another type", "POST", "/api/proxies/kafka/toxics", `{"type":"timeout","attributes":{"latency":5}}`, 400, "attributes.latency"},
		{"toxic attribute too large", "POST", "/api/proxies/kafka/toxics", `{"type":"latency","attributes":{"latency":600001}}`, 400, "attributes.latency"},
		{"toxic attribute negative", "POST", "/api/proxies/kafka/toxics", `{"type":"reset_peer","attributes":{"timeout":-1}}`, 400, "attributes.timeout"},
		{"toxic not JSON", "POST", "/api/proxies/kafka/toxics", `latency please`, 400, ""},
		{"toxic unknown field", "POST", "/api/proxies/kafka/toxics", `{"type":"latency","latency":5}`, 400, ""},
		{"toxic body too large", "POST", "/api/proxies/kafka/toxics", `{"type":"latency","name":"` + strings.Repeat("x", 5000) + `"}`, 400, ""},
		{"toxic unknown proxy", "POST", "/api/proxies/nope/toxics", `{"type":"latency"}`, 404, "proxy"},
		{"toxic illegal proxy", "POST", "/api/proxies/a%20b/toxics", `{"type":"latency"}`, 400, "proxy"},
		{"toxic delete unknown", "DELETE", "/api/proxies/kafka/toxics/nope", "", 404, "toxic"},
		{"toxics with GET", "GET", "/api/proxies/kafka/toxics", "", 405, ""},
		{"send without engine", "POST", "/api/send?mode=plain&eventId=e", "", 400, "engine"},
		{"send unknown engine", "POST", "/api/send?engine=kafkajs&mode=plain&eventId=e", "", 400, "engine"},
		{"send bad mode (the API's answer)", "POST", "/api/send?engine=" + engine + "&mode=twice&eventId=e", "", 400, "mode"},
		{"send unknown topic (the API's answer)", "POST", "/api/send?engine=" + engine + "&mode=plain&eventId=e&topic=nope", "", 404, "topic"},
		{"send with GET", "GET", "/api/send?engine=" + engine, "", 405, ""},
		{"status without requestId", "GET", "/api/status?engine=" + engine, "", 400, "requestId"},
		{"status unknown requestId", "GET", "/api/status?engine=" + engine + "&requestId=x", "", 404, "requestId"},
		{"run without kind", "POST", "/api/runs", "", 400, "kind"},
		{"run unknown kind", "POST", "/api/runs?kind=chaos", "", 400, "kind"},
		{"validate not wired", "POST", "/api/runs?kind=validate", "", 503, ""},
		{"unknown api path", "GET", "/api/topics", "", 404, ""},
		{"page with POST", "POST", "/", "", 405, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := call(t, c.method, base+c.path, c.body)
			labtest.CheckError(t, r.code, []byte(r.raw), c.code, c.field)
		})
	}
}

type messages struct {
	Cached, Matched, Skip, Limit int
	Partitions                   []struct{ Partition, Start, End, CachedFrom int64 }
	Records                      []struct {
		Partition           int32
		Offset              int64
		Key, Value, EventID string
		Mode, API           string
		ProducerID          string
		Headers             []struct{ Key, Value string }
	}
}

func TestMessagesBounded(t *testing.T) {
	const keep = 5
	l, base := start(t, console.RecordsPerPartition(keep))
	topic := labtest.Topic(t, l, 1, nil)
	engine := l.APIs()[0].Engine.Name()
	for i := range 12 {
		if r := send(t, base, engine, "mode", "plain", "eventId", fmt.Sprintf("m-%02d", i), "key", fmt.Sprintf("k-%d", i%3), "topic", topic); r.code != 200 {
			t.Fatalf("send %d: %d %s", i, r.code, r.raw)
		}
	}
	var m messages
	decode(t, call(t, "GET", base+"/api/messages?topic="+topic, ""), &m)
	if m.Cached != keep || len(m.Records) != keep {
		t.Fatalf("cached %d, returned %d records, want %d of 12: %+v", m.Cached, len(m.Records), keep, m)
	}
	if p := m.Partitions[0]; p.Start != 0 || p.End != 12 || p.CachedFrom != 12-keep {
		t.Fatalf("partition range %+v, want start 0, end 12, cachedFrom %d", p, 12-keep)
	}
	for i, rec := range m.Records { // newest first
		if want := int64(11 - i); rec.Offset != want || rec.EventID != fmt.Sprintf("m-%02d", want) {
			t.Fatalf("record %d = offset %d eventId %s, want offset %d", i, rec.Offset, rec.EventID, want)
		}
	}
	r0 := m.Records[0]
	if r0.Mode != "plain" || r0.API != engine || r0.Key != "k-2" || r0.ProducerID != "-1" || !strings.Contains(r0.Value, `"eventId":"m-11"`) || len(r0.Headers) != 2 {
		t.Fatalf("newest record is %+v", r0)
	}

	// Paging and filtering work over what is kept.
	decode(t, call(t, "GET", base+"/api/messages?limit=2&skip=2&topic="+topic, ""), &m)
	if len(m.Records) != 2 || m.Records[0].Offset != 9 || m.Matched != keep {
		t.Fatalf("page 2 of 2: %+v", m)
	}
	decode(t, call(t, "GET", base+"/api/messages?q=k-1&topic="+topic, ""), &m)
	if m.Matched != 2 || m.Records[0].EventID != "m-10" || m.Records[1].EventID != "m-07" {
		t.Fatalf("filter by key k-1: %+v", m)
	}
	decode(t, call(t, "GET", base+"/api/messages?q=m-08&topic="+topic, ""), &m)
	if m.Matched != 1 || m.Records[0].Offset != 8 {
		t.Fatalf("filter by eventId m-08: %+v", m)
	}

	// A new record shows up on the next read; the oldest kept one goes.
	send(t, base, engine, "mode", "idempotent", "eventId", "m-12", "topic", topic)
	decode(t, call(t, "GET", base+"/api/messages?topic="+topic, ""), &m)
	if m.Cached != keep || m.Records[0].EventID != "m-12" || m.Records[0].Mode != "idempotent" || m.Records[0].ProducerID == "-1" || m.Partitions[0].CachedFrom != 13-keep {
		t.Fatalf("after one more send: %+v", m)
	}
}

func TestDuplicates(t *testing.T) {
	l, base := start(t)
	topic := labtest.Topic(t, l, 3, nil)
	apis := l.APIs()
	for _, kv := range [][]string{
		{"mode", "plain", "eventId", "twice", "partition", "0"},
		{"mode", "plain", "eventId", "twice", "partition", "2"},
		{"mode", "plain", "eventId", "once"},
	} {
		if r := send(t, base, apis[0].Engine.Name(), append(kv, "topic", topic)...); r.code != 200 {
			t.Fatalf("send: %d %s", r.code, r.raw)
		}
	}
	// The same eventId again through another producer.
	if r := send(t, base, apis[len(apis)-1].Engine.Name(), "mode", "idempotent", "eventId", "twice", "partition", "1", "topic", topic); r.code != 200 {
		t.Fatalf("send: %d %s", r.code, r.raw)
	}
	var d struct {
		EventIDs, Duplicated int
		Duplicates           []struct {
			EventID   string
			Sends     int
			Producers int
			Copies    []struct {
				Partition int32
				Offset    int64
				Mode      string
			}
		}
	}
	decode(t, call(t, "GET", base+"/api/duplicates?topic="+topic, ""), &d)
	if d.EventIDs != 2 || d.Duplicated != 1 || len(d.Duplicates) != 1 {
		t.Fatalf("duplicates: %+v", d)
	}
	g := d.Duplicates[0]
	// Three sends of one eventId (prodlab.SendOf), by two producers.
	if g.EventID != "twice" || len(g.Copies) != 3 || g.Sends != 3 || g.Producers != 2 {
		t.Fatalf("group: %+v", g)
	}
	for i, c := range g.Copies { // sorted by partition, one per partition
		if c.Partition != int32(i) || c.Offset > 1 {
			t.Fatalf("copy %d at p%d@%d", i, c.Partition, c.Offset)
		}
	}
}

func TestFaults(t *testing.T) {
	_, base := start(t)
	type proxies struct {
		Proxies []struct {
			Name   string
			Toxics []struct {
				Name, Type, Stream string
				Attributes         map[string]int
			}
		}
	}
	var p proxies
	decode(t, call(t, "GET", base+"/api/proxies", ""), &p)
	if len(p.Proxies) == 0 || p.Proxies[0].Name != "kafka" || len(p.Proxies[0].Toxics) != 0 {
		t.Fatalf("proxies: %+v", p)
	}
	r := call(t, "POST", base+"/api/proxies/kafka/toxics", `{"type":"latency","attributes":{"latency":5000,"jitter":10}}`)
	if r.code != 201 || r.body["name"] != "latency_downstream" {
		t.Fatalf("create: %d %s", r.code, r.raw)
	}
	if r := call(t, "POST", base+"/api/proxies/kafka/toxics", `{"type":"latency"}`); r.code != 409 || r.body["field"] != "name" {
		t.Fatalf("same name again: %d %s", r.code, r.raw)
	}
	if r := call(t, "POST", base+"/api/proxies/kafka/toxics", `{"type":"reset_peer","stream":"upstream","toxicity":0.5,"attributes":{"timeout":100}}`); r.code != 201 {
		t.Fatalf("reset_peer: %d %s", r.code, r.raw)
	}
	decode(t, call(t, "GET", base+"/api/proxies", ""), &p)
	tx := p.Proxies[0].Toxics
	if len(tx) != 2 || tx[0].Name != "latency_downstream" || tx[0].Attributes["latency"] != 5000 || tx[1].Name != "reset_peer_upstream" || tx[1].Stream != "upstream" {
		t.Fatalf("toxics: %+v", tx)
	}
	if r := call(t, "DELETE", base+"/api/proxies/kafka/toxics/latency_downstream", ""); r.code != 204 {
		t.Fatalf("delete: %d %s", r.code, r.raw)
	}
	decode(t, call(t, "GET", base+"/api/proxies", ""), &p)
	if tx := p.Proxies[0].Toxics; len(tx) != 1 || tx[0].Name != "reset_peer_upstream" {
		t.Fatalf("after delete: %+v", tx)
	}
	if r := call(t, "POST", base+"/api/reset", ""); r.code != 204 {
		t.Fatalf("reset: %d %s", r.code, r.raw)
	}
	decode(t, call(t, "GET", base+"/api/proxies", ""), &p)
	if len(p.Proxies[0].Toxics) != 0 {
		t.Fatalf("after reset: %+v", p)
	}
}

func TestSendAndStatus(t *testing.T) {
	l, base := start(t)
	for _, a := range l.APIs() {
		t.Run(a.Engine.Name(), func(t *testing.T) {
			name := a.Engine.Name()
			r := send(t, base, name, "mode", "idempotent", "eventId", "sync-"+name)
			if r.code != 200 || r.body["status"] != "OK" || r.body["engine"] != name || r.body["offset"] == nil {
				t.Fatalf("sync send: %d %s", r.code, r.raw)
			}
			r = send(t, base, name, "mode", "plain", "sendMode", "async", "eventId", "async-"+name)
			id, _ := r.body["requestId"].(string)
			if r.code != 202 || id == "" {
				t.Fatalf("async send: %d %s", r.code, r.raw)
			}
			var st result
			eventually(t, "async send never OK", func() bool {
				st = call(t, "GET", base+"/api/status?engine="+name+"&requestId="+id, "")
				return st.body["state"] != "PENDING"
			})
			if st.code != 200 || st.body["state"] != "OK" || st.body["eventId"] != "async-"+name {
				t.Fatalf("status: %d %s", st.code, st.raw)
			}
		})
	}
}

func TestCluster(t *testing.T) {
	l, base := start(t)
	topic := labtest.Topic(t, l, 2, nil)
	engine := l.APIs()[0].Engine.Name()
	send(t, base, engine, "mode", "plain", "eventId", "a", "partition", "1", "topic", topic)
	send(t, base, engine, "mode", "plain", "eventId", "b", "partition", "1", "topic", topic)
	var c struct {
		Name    string
		Brokers []struct{ Advertised, Direct string }
		Topics  []struct {
			Name       string
			Records    int64
			Partitions []struct {
				Partition  int32
				Start, End int64
			}
		}
	}
	// On a replicated cluster the end offset (high watermark) moves once
	// the followers hold the records, a moment after an acks=1 send returns.
	eventually(t, "the cluster view never showed both records", func() bool {
		c.Brokers, c.Topics = nil, nil
		decode(t, call(t, "GET", base+"/api/cluster", ""), &c)
		for _, tp := range c.Topics {
			if tp.Name == topic && len(tp.Partitions) == 2 && tp.Partitions[1].End >= 2 {
				return true
			}
		}
		return false
	})
	if c.Name != "BHF-Training" || len(c.Brokers) == 0 {
		t.Fatalf("cluster: %+v", c)
	}
	if b := c.Brokers[0]; b.Advertised != l.ProxyAddrs()[0] || b.Direct == "" {
		t.Fatalf("broker 1 advertises %s (direct %s), want the proxy %s", b.Advertised, b.Direct, l.ProxyAddrs()[0])
	}
	for _, tp := range c.Topics {
		if tp.Name == topic {
			if len(tp.Partitions) != 2 || tp.Partitions[1].End != 2 || tp.Partitions[0].End != 0 || tp.Records != 2 {
				t.Fatalf("topic %s: %+v", topic, tp)
			}
			return
		}
	}
	t.Fatalf("topic %s not listed: %+v", topic, c.Topics)
}

func TestPageServedFromBinary(t *testing.T) {
	_, base := start(t)
	r := call(t, "GET", base+"/", "")
	if r.code != 200 || !strings.Contains(r.raw, "<title>prodlab console</title>") {
		t.Fatalf("GET / = %d %.200s", r.code, r.raw)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
		t.Fatalf("Content-Security-Policy %q lets the page fetch from elsewhere", csp)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(r.raw, -1)
	if len(refs) < 3 {
		t.Fatalf("the page references %d files", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		if strings.Contains(ref, "//") {
			t.Fatalf("the page references %s outside the binary", ref)
		}
		if a := call(t, "GET", base+"/"+ref, ""); a.code != 200 || len(a.raw) == 0 {
			t.Fatalf("GET /%s = %d", ref, a.code)
		}
	}
	if r := call(t, "GET", base+"/vendor/chart.js.LICENSE.md", ""); r.code != 200 || !strings.Contains(r.raw, "MIT") {
		t.Fatalf("Chart.js license not served: %d", r.code)
	}
}

func TestRuns(t *testing.T) {
	release := make(chan struct{})
	vrep := validate.Report{Topic: "bhf-validate", Runs: []validate.Result{{API: "franz", Mode: prodlab.Plain, EventID: "e1", Status: 200,
		Copies: []validate.Copy{{Offset: 1, ProducerID: 6406534745539766123}, {Offset: 2, ProducerID: 6406534745539766123}}}}}
	validateFn := func(ctx context.Context, progress func(string)) (validate.Report, error) {
		progress("toxic on")
		select {
		case <-release:
		case <-ctx.Done():
			return validate.Report{}, ctx.Err()
		}
		return vrep, nil
	}
	experimentFn := func(ctx context.Context, schedule string, n int, progress func(done, total int)) (experiment.Report, error) {
		progress(n, n)
		return experiment.Report{Schedule: schedule, Rows: []experiment.Row{{API: "franz", Mode: prodlab.Plain, Sent: n, Extra: 1}}}, nil
	}
	_, base := start(t, console.Validate(validateFn), console.Experiment(experimentFn, "ack-loss"))
	if r := call(t, "GET", base+"/api/runs/current", ""); r.code != 204 {
		t.Fatalf("before any run: %d %s", r.code, r.raw)
	}
	r := call(t, "POST", base+"/api/runs?kind=validate", "")
	if r.code != 202 || r.body["state"] != "running" {
		t.Fatalf("start validate: %d %s", r.code, r.raw)
	}
	eventually(t, "no progress line", func() bool {
		r := call(t, "GET", base+"/api/runs/current", "")
		log, _ := r.body["log"].([]any)
		return len(log) == 1 && log[0] == "toxic on"
	})
	if r := call(t, "POST", base+"/api/runs?kind=experiment&schedule=ack-loss&n=5", ""); r.code != 409 {
		t.Fatalf("second run while one runs: %d %s", r.code, r.raw)
	}
	close(release)
	var run struct {
		State    string
		Validate struct {
			Summary string
			Topic   string
			Runs    []validate.Result
		}
	}
	eventually(t, "validate never finished", func() bool {
		decode(t, call(t, "GET", base+"/api/runs/current", ""), &run)
		return run.State != "running"
	})
	// The console serves validate's own report, with its summary line and
	// producer ids as strings, whole to JavaScript.
	if raw := call(t, "GET", base+"/api/runs/current", "").raw; !strings.Contains(raw, `"producerId":"6406534745539766123"`) {
		t.Fatalf("producer id not a string: %s", raw)
	}
	if run.State != "ok" || run.Validate.Summary != "OK: franz_plain=2" || run.Validate.Topic != vrep.Topic ||
		len(run.Validate.Runs) != 1 || run.Validate.Runs[0].Name() != "franz_plain" || len(run.Validate.Runs[0].Copies) != 2 {
		t.Fatalf("finished run: %+v", run)
	}
	for _, c := range []struct {
		q     string
		field string
	}{{"kind=experiment&schedule=mixed&n=5", "schedule"}, {"kind=experiment&schedule=ack-loss&n=0", "n"},
		{"kind=experiment&schedule=ack-loss&n=2001", "n"}, {"kind=validate&n=3", "kind"}} {
		if r := call(t, "POST", base+"/api/runs?"+c.q, ""); r.code != 400 || r.body["field"] != c.field {
			t.Fatalf("%s: %d %s, want 400 on %s", c.q, r.code, r.raw, c.field)
		}
	}
	r = call(t, "POST", base+"/api/runs?kind=experiment&schedule=ack-loss&n=7", "")
	if r.code != 202 {
		t.Fatalf("start experiment: %d %s", r.code, r.raw)
	}
	var exp struct {
		State      string
		Done       int
		Experiment experiment.Report
	}
	eventually(t, "experiment never finished", func() bool {
		decode(t, call(t, "GET", base+"/api/runs/current", ""), &exp)
		return exp.State != "running"
	})
	// The console serves the experiment's own report.
	if exp.State != "ok" || exp.Done != 7 || exp.Experiment.Schedule != "ack-loss" || len(exp.Experiment.Rows) != 1 ||
		exp.Experiment.Rows[0].Sent != 7 || exp.Experiment.Rows[0].Name() != "franz plain" || exp.Experiment.Rows[0].Extra != 1 {
		t.Fatalf("experiment run: %+v", exp)
	}
}

// TestLabServesConsole checks the wiring: lab.Open serves the console
// with the lab's engines, and validate runs from it.
func TestLabServesConsole(t *testing.T) {
	l := labtest.Start(t, func(c *lab.Config) { c.ConsolePort = 0 })
	if l.ConsoleURL() == "" {
		t.Fatal("no console URL with ConsolePort 0")
	}
	var info struct {
		Cluster  string
		Engines  []console.Engine
		Validate bool
	}
	decode(t, call(t, "GET", l.ConsoleURL()+"/api/info", ""), &info)
	if info.Cluster != "BHF-Training" || len(info.Engines) != len(l.APIs()) || !info.Validate {
		t.Fatalf("info: %+v", info)
	}
	for i, a := range l.APIs() {
		if info.Engines[i].Name != a.Engine.Name() || info.Engines[i].URL != a.URL {
			t.Fatalf("engine %d = %+v, want %s at %s", i, info.Engines[i], a.Engine.Name(), a.URL)
		}
	}
	if r := call(t, "POST", l.ConsoleURL()+"/api/runs?kind=validate", ""); r.code != 202 {
		t.Fatalf("start validate: %d %s", r.code, r.raw)
	}
	var run struct {
		State, Error string
		Validate     struct {
			Summary string
			Runs    []validate.Result
			Topic   string
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool {
		decode(t, call(t, "GET", l.ConsoleURL()+"/api/runs/current", ""), &run)
		return run.State != "running"
	}); err != nil {
		t.Fatalf("validate still running: %v", err)
	}
	if run.State != "ok" || !strings.HasPrefix(run.Validate.Summary, "OK:") {
		t.Fatalf("validate: %+v", run)
	}
	// The console's duplicates view holds every plain eventId twice.
	var d struct {
		Duplicates []struct {
			EventID string
			Copies  []json.RawMessage
		}
	}
	decode(t, call(t, "GET", l.ConsoleURL()+"/api/duplicates?topic="+run.Validate.Topic, ""), &d)
	if len(run.Validate.Runs) != 2*len(l.APIs()) {
		t.Fatalf("validate ran %d windows, want 2 per engine: %+v", len(run.Validate.Runs), run.Validate)
	}
	for _, vr := range run.Validate.Runs {
		name, id := vr.Name(), vr.EventID
		found := 0
		for _, g := range d.Duplicates {
			if g.EventID == id {
				found = len(g.Copies)
			}
		}
		if want := len(vr.Copies); strings.HasSuffix(name, "_plain") && (found != want || found < 2) {
			t.Fatalf("%s: %s has %d copies in the duplicates view, validate counted %d", name, id, found, want)
		}
		if strings.HasSuffix(name, "_idempotent") && found != 0 {
			t.Fatalf("%s: %s listed with %d copies", name, id, found)
		}
	}
}

// newConsole is console.New, failing t on error; the console closes with t.
func newConsole(t testing.TB, opts ...console.Opt) *console.Server {
	t.Helper()
	c, err := console.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
