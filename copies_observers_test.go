package prodlab_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/console"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/direct/directtest"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/validate"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestObserversShareTheCopyRule writes a mix of records to one topic and
// asks each observer what it counts: validate, the experiment classifier
// and the console's duplicates view count every copy of an eventId
// (prodlab.EveryCopy); progress's 02.4 counts only the retries of the
// acknowledged send (prodlab.SameSend), so a manual resend is no
// duplicate for it.
func TestObserversShareTheCopyRule(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0), kfake.SeedTopics(1, "copies"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addrs := c.ListenAddrs()
	const topic = "copies"

	// A producer without idempotence (producer id -1), as the plain mode.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DisableIdempotentWrite(), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	t0 := time.UnixMilli(1_700_000_000_000)
	hdr := func(id string) []kgo.RecordHeader {
		return []kgo.RecordHeader{{Key: prodlab.HeaderEventID, Value: []byte(id)}}
	}
	mix := []*kgo.Record{
		// offsets 0 and 1: a producer retry, the batch written again as built.
		{Key: []byte("k1"), Headers: hdr("retried"), Value: []byte(`{"eventId":"retried","mode":"plain","ts":1}`), Timestamp: t0},
		{Key: []byte("k1"), Headers: hdr("retried"), Value: []byte(`{"eventId":"retried","mode":"plain","ts":1}`), Timestamp: t0},
		// offset 2: the trainee sends the eventId again: a new record.
		{Key: []byte("k1"), Headers: hdr("retried"), Value: []byte(`{"eventId":"retried","mode":"plain","ts":2}`), Timestamp: t0.Add(time.Second)},
		// offset 3: the seed's contract, the eventId in the JSON value only.
		{Key: []byte("k2"), Value: []byte(`{"eventId":"value-only","mode":"idempotent","ts":3}`), Timestamp: t0.Add(2 * time.Second)},
		// offset 4: no eventId at all.
		{Key: []byte("k3"), Value: []byte(`not an event`), Timestamp: t0.Add(3 * time.Second)},
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for i, r := range mix { // one at a time: one record per offset, in order
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if r.Offset != int64(i) {
			t.Fatalf("record %d landed at offset %d", i, r.Offset)
		}
	}
	recs, err := directtest.Path(t, addrs...).ReadRange(ctx, topic, map[int32]int64{0: 0}, map[int32]int64{0: int64(len(mix))})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(mix) {
		t.Fatalf("read %d records, want %d", len(recs), len(mix))
	}

	// The rule itself, on what the broker gave back.
	same := func(a, b int) bool { return prodlab.SameSend.Counts(direct.SendOf(recs[a]), direct.SendOf(recs[b])) }
	if !same(0, 1) || same(0, 2) || same(4, 4) {
		t.Fatal("SameSend: offsets 0 and 1 are one send, 2 is another, 4 is none")
	}

	// What each observer counts, per eventId. The rules say: every copy
	// for validate, experiment and the console; the retries of the acked
	// record for progress.
	want := map[string]struct{ every, sends, sameSend int }{
		"retried":    {every: 3, sends: 2, sameSend: 2},
		"value-only": {every: 1, sends: 1, sameSend: 1},
	}
	exp := experiment.Copies(recs)
	if len(exp) != len(want) {
		t.Errorf("experiment counted eventIds %v, want %d", exp, len(want))
	}
	for id, w := range want {
		if n := len(validate.Copies(id, recs)); n != w.every {
			t.Errorf("validate counts %d copies of %s, want %d", n, id, w.every)
		}
		if exp[id] != w.every {
			t.Errorf("experiment counts %d copies of %s, want %d", exp[id], id, w.every)
		}
	}
	if n := len(validate.Copies("", recs)); n != 0 {
		t.Errorf("validate counts %d copies of no eventId, want 0", n)
	}

	// The console's duplicates view.
	srv, err := console.New(console.Direct(directtest.Path(t, addrs...)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewServer(srv.Routes())
	t.Cleanup(hs.Close)
	resp, err := http.Get(hs.URL + "/api/duplicates?topic=" + topic)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		EventIDs, Duplicated int
		Duplicates           []struct {
			EventID string
			Sends   int
			Copies  []struct{ Offset int64 }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 {
		t.Fatalf("duplicates: %d %v", resp.StatusCode, err)
	}
	if d.EventIDs != len(want) || d.Duplicated != 1 || len(d.Duplicates) != 1 {
		t.Fatalf("console duplicates: %+v", d)
	}
	g := d.Duplicates[0]
	if w := want[g.EventID]; len(g.Copies) != w.every || g.Sends != w.sends {
		t.Errorf("console: %s has %d copies in %d sends, want %d in %d", g.EventID, len(g.Copies), g.Sends, w.every, w.sends)
	}

	// progress's 02.4: a lost acknowledgement of each send, as the lab's
	// API reports it under a latency toxic longer than the request timeout.
	const timeout, elapsed = 10 * time.Millisecond, 20 * time.Millisecond
	r, err := progress.New(progress.Engines("franz"), progress.Direct(directtest.Path(t, addrs...)), progress.VerifyEvery(time.Hour), progress.RequestTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: "v", Type: "latency", Attributes: map[string]int64{"latency": 10000}})
	on := time.Now()
	// Every send below started (elapsed before its answer) under the toxic.
	if err := wait.Until(ctx, func() bool { return time.Since(on) > 2*elapsed }); err != nil {
		t.Fatal(err)
	}
	lost := func(mode prodlab.Mode, id string, off int64) {
		r.API(api.Event{Kind: api.Sent, Engine: "franz", Code: 200, Mode: mode, SendMode: prodlab.Sync,
			Topic: topic, EventID: id, Partition: prodlab.AnyPartition,
			Delivery: &prodlab.Delivery{Topic: topic, Partition: 0, Offset: off}, Elapsed: elapsed})
	}
	validated := func() string {
		r.Verify(ctx)
		for _, row := range r.Report().Rows {
			if row.ID == progress.Validate && row.Tick != nil {
				return row.Tick.How
			}
		}
		return ""
	}
	// The manual resend acknowledged: three records of "retried" by
	// EveryCopy, but one of its own send: no duplicate for progress.
	lost(prodlab.Plain, "retried", 2)
	lost(prodlab.Idempotent, "value-only", 3)
	if how := validated(); how != "" {
		t.Fatalf("02.4 ticked on a manual resend: %q", how)
	}
	// The retried send acknowledged: its two copies, not three.
	lost(prodlab.Plain, "retried", 0)
	how := validated()
	m := regexp.MustCompile(`franz_plain=(\d+)`).FindStringSubmatch(how)
	if m == nil || m[1] != "2" || !regexp.MustCompile(`franz_idempotent=1\b`).MatchString(how) {
		t.Fatalf("02.4: %q, want franz_plain=%d (SameSend) and franz_idempotent=1", how, want["retried"].sameSend)
	}
}
