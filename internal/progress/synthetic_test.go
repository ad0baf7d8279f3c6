package progress_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct/directtest"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

// lostAckTimeout is the request timeout of the recorders fed lostAck
// events, which take twice as long: short, so that a send made after the
// toxic also started under it.
const lostAckTimeout = 10 * time.Millisecond

// lostAck is the event of a sync send answered after its first
// acknowledgement was lost, as the lab reports it.
func lostAck(engine string, mode prodlab.Mode, s labtest.Sent) api.Event {
	return api.Event{Kind: api.Sent, Engine: engine, Code: 200, Mode: mode, SendMode: prodlab.Sync,
		Topic: s.Topic, Key: s.EventID, EventID: s.EventID, Partition: prodlab.AnyPartition,
		Delivery: &prodlab.Delivery{Topic: s.Topic, Partition: s.Partition, Offset: s.Offset}, Elapsed: 2 * lostAckTimeout}
}

// TestValidateNeedsTheLabsOwnCount feeds a recorder the events a validate
// run would bring, over records the test wrote: 02.4 stays unticked when
// the copies the lab counts do not show a lost acknowledgement.
func TestValidateNeedsTheLabsOwnCount(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 1, nil)
	r, err := progress.New(progress.Engines("franz"), progress.Direct(l.Direct()), progress.VerifyEvery(time.Hour),
		progress.RequestTimeout(lostAckTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: "v", Type: "latency", Attributes: map[string]int64{"latency": 10000}})
	on := time.Now()
	if err := wait.Until(t.Context(), func() bool { return time.Since(on) > 4*lostAckTimeout }); err != nil {
		t.Fatal(err)
	}
	a := l.APIs()[0]

	// The idempotent window held; plain wrote one copy: validate failed.
	idem := labtest.Send(t, a, "topic", topic, "eventId", "idem")
	r.API(lostAck("franz", prodlab.Idempotent, idem))
	one := labtest.Send(t, a, "topic", topic, "eventId", "plain-one")
	r.API(lostAck("franz", prodlab.Plain, one))
	unticked(t, r, progress.Validate, "by a plain send with one copy")

	// Two HTTP sends of one eventId are two records, not a retry.
	labtest.Send(t, a, "topic", topic, "eventId", "plain-twice")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	now := time.Now().UnixMilli()
	if err := wait.Until(ctx, func() bool { return time.Now().UnixMilli() > now }); err != nil {
		t.Fatal(err)
	}
	twice := labtest.Send(t, a, "topic", topic, "eventId", "plain-twice")
	r.API(lostAck("franz", prodlab.Plain, twice))
	unticked(t, r, progress.Validate, "by one eventId sent twice")

	// Duplicates written around the lab's APIs: nothing observed them.
	labtest.ProduceSeed(t, l, topic, 0, "plain-direct")
	labtest.ProduceSeed(t, l, topic, 0, "plain-direct")
	unticked(t, r, progress.Validate, "by duplicates that did not go through the lab's APIs")

	// An idempotent send with two copies: no.
	r.API(lostAck("franz", prodlab.Idempotent, twice))
	if tk := tickOf(r, progress.Validate); tk != nil {
		t.Fatalf("ticked: %s", tk.How)
	}
	// A plain send without the toxic is no window, even with copies.
	r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: "v", Removed: true})
	r.API(lostAck("franz", prodlab.Plain, twice))
	unticked(t, r, progress.Validate, "without a lost acknowledgement")
}

// TestExerciseTimeoutNeedsTheToxic: an error without a timeout toxic, or
// under another toxic, ticks nothing.
func TestExerciseTimeoutNeedsTheToxic(t *testing.T) {
	r, err := progress.New(progress.Engines("franz"), progress.Direct(directtest.Path(t, "127.0.0.1:1")))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	failed := api.Event{Kind: api.Sent, Engine: "franz", Code: 502, Mode: prodlab.Plain, SendMode: prodlab.Sync, EventID: "e", Elapsed: time.Second}
	r.API(failed)
	unticked(t, r, progress.ExTimeout, "by an error with no toxic")
	r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: "l", Type: "latency", Attributes: map[string]int64{"latency": 5000}})
	r.API(failed)
	unticked(t, r, progress.ExTimeout, "by an error under a latency toxic")
	r.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: "t", Type: "timeout", Attributes: map[string]int64{"timeout": 0}})
	r.API(failed) // it started a second before the toxic
	unticked(t, r, progress.ExTimeout, "by a send that started before the toxic")
	failed.Elapsed = 0
	r.API(failed)
	waitTick(t, r, progress.ExTimeout)
}

// TestPersistAndReset: ticks survive a new recorder on the same file, and
// a reset forgets them there too.
func TestPersistAndReset(t *testing.T) {
	path := t.TempDir() + "/progress.json"
	open := func() *progress.Recorder {
		r, err := progress.New(progress.File(path), progress.Engines("franz", "librdkafka"), progress.Direct(directtest.Path(t, "127.0.0.1:1")))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := open()
	r.API(api.Event{Kind: api.Health, Engine: "franz", Code: 200})
	r.API(api.Event{Kind: api.Health, Engine: "librdkafka", Code: 503})
	unticked(t, r, progress.Health, "with librdkafka NOT READY")
	r.API(api.Event{Kind: api.Health, Engine: "librdkafka", Code: 200})
	want := tickOf(r, progress.Health)
	if want == nil {
		t.Fatal("02.0 not ticked")
	}
	r.Close()

	r = open()
	got := tickOf(r, progress.Health)
	if got == nil || !got.At.Equal(want.At) || got.How != want.How {
		t.Fatalf("after a restart: %+v, want %+v", got, want)
	}
	if err := r.Reset(); err != nil {
		t.Fatal(err)
	}
	unticked(t, r, progress.Health, "after a reset")
	r.Close()
	r = open()
	defer r.Close()
	unticked(t, r, progress.Health, "after a reset and a restart")
}

// landedEvent is the event of a sync send s of key, as the lab reports it.
func landedEvent(key string, s labtest.Sent) api.Event {
	return api.Event{Kind: api.Sent, Engine: "franz", Code: 200, Mode: prodlab.Plain, SendMode: prodlab.Sync,
		Topic: s.Topic, Key: key, EventID: s.EventID, Partition: prodlab.AnyPartition,
		Delivery: &prodlab.Delivery{Topic: s.Topic, Partition: s.Partition, Offset: s.Offset}}
}

// TestCompactionReadsIncrementally: the compaction check of a key whose
// three versions follow 200 other records reads from its first version
// to its last, and the records written after them once; it ticks once
// the log keeps only the last.
func TestCompactionReadsIncrementally(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 1, compacted)
	r, err := progress.New(progress.Engines("franz"), progress.Direct(l.Direct()), progress.VerifyEvery(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := l.APIs()[0]
	fill := func(n int, prefix string) {
		for i := range n {
			labtest.Send(t, a, "topic", topic, "key", fmt.Sprintf("%s-%d", prefix, i), "eventId", fmt.Sprintf("%s-%d", prefix, i))
		}
	}
	fill(200, "before")
	for _, v := range []string{"V1", "V2", "V3"} {
		r.API(landedEvent("customer-42", labtest.Send(t, a, "topic", topic, "eventId", v, "key", "customer-42")))
	}
	verify := func(why string, most int64) {
		t.Helper()
		before := progress.CompactReads(r)
		r.Verify(t.Context())
		n := progress.CompactReads(r) - before
		t.Logf("%s: %d records read", why, n)
		if n > most {
			t.Errorf("%s: %d records read, want at most %d", why, n, most)
		}
	}
	verify("first check", 3)
	verify("second check", 3)
	fill(50, "after")
	verify("after 50 more records", 50+3)
	verify("with nothing new", 3)
	unticked(t, r, progress.Compaction, "before compaction happened")
	compactionCheck(t, l, topic)
	r.Verify(t.Context())
	if progress.Candidates(r) != 0 {
		t.Error("the key is still followed once compacted")
	}
	if tickOf(r, progress.Compaction) == nil {
		t.Fatalf("02.6 did not tick once compacted:\n%s", r.Report().Text("en"))
	}
}

// TestCompactionCandidatesExpire: three versions followed longer than
// CompactionAge are forgotten unread, and their compaction ticks nothing.
func TestCompactionCandidatesExpire(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 1, compacted)
	r, err := progress.New(progress.Engines("franz"), progress.Direct(l.Direct()),
		progress.VerifyEvery(time.Hour), progress.CompactionAge(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := l.APIs()[0]
	for _, v := range []string{"V1", "V2", "V3"} {
		r.API(landedEvent("customer-42", labtest.Send(t, a, "topic", topic, "eventId", v, "key", "customer-42")))
	}
	if progress.Candidates(r) != 1 {
		t.Fatalf("%d keys followed, want 1", progress.Candidates(r))
	}
	compactionCheck(t, l, topic)
	unticked(t, r, progress.Compaction, "by versions older than CompactionAge")
	if n := progress.Candidates(r); n != 0 || progress.CompactReads(r) != 0 {
		t.Errorf("after CompactionAge: %d keys followed, %d records read; want none", n, progress.CompactReads(r))
	}
}
