package admin_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/direct/directtest"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// SeedCompactConfigs are the configs Lab 02.6 creates bhf-compact-demo with.
var seedCompactConfigs = map[string]string{
	"cleanup.policy":            "compact",
	"segment.ms":                "1000",
	"min.cleanable.dirty.ratio": "0.01",
}

func seedConfigPtrs() map[string]*string {
	m := map[string]*string{}
	for k, v := range seedCompactConfigs {
		m[k] = &v
	}
	return m
}

func client(t testing.TB, l *lab.Lab, opts ...admin.Opt) *admin.Client {
	t.Helper()
	c, err := admin.New(l.Direct(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func ctx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

// readAll returns every record of topic.
func readAll(t testing.TB, c *admin.Client, spec admin.ConsumeSpec) ([]admin.Record, admin.ConsumeResult) {
	t.Helper()
	spec.FromBeginning = true
	var recs []admin.Record
	res, err := c.Consume(ctx(t, 30*time.Second), spec, func(r admin.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("consume %s: %v", spec.Topic, err)
	}
	return recs, res
}

func TestTopicLifecycle(t *testing.T) {
	l := labtest.Start(t)
	c := client(t, l)
	name := "lifecycle-" + time.Now().Format("150405.000000")
	spec := admin.TopicSpec{Name: name, Partitions: 2, ReplicationFactor: -1, Configs: seedCompactConfigs}
	created, err := c.CreateTopic(ctx(t, 30*time.Second), spec)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !created.Created || created.Partitions != 2 {
		t.Fatalf("create = %+v, want created with 2 partitions", created)
	}
	if _, err := c.CreateTopic(ctx(t, 30*time.Second), spec); !errors.Is(err, admin.ErrTopicExists) {
		t.Fatalf("second create: err = %v, want ErrTopicExists", err)
	}
	spec.IfNotExists = true
	again, err := c.CreateTopic(ctx(t, 30*time.Second), spec)
	if err != nil || again.Created || again.Partitions != 2 {
		t.Fatalf("create --if-not-exists = %+v, %v; want existing topic, 2 partitions", again, err)
	}

	ts, err := c.ListTopics(ctx(t, 30*time.Second), false)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ts, func(s admin.TopicSummary) bool { return s.Name == name })
	if i < 0 || ts[i].Partitions != 2 || ts[i].ReplicationFactor < 1 {
		t.Fatalf("list = %+v, want %s with 2 partitions", ts, name)
	}

	labtest.Send(t, l.APIs()[0], "topic", name, "eventId", "d1", "key", "k", "partition", "1")
	d, err := c.DescribeTopic(ctx(t, 30*time.Second), name)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Partitions) != 2 || d.ReplicationFactor < 1 || d.ID == "" {
		t.Fatalf("describe = %+v", d)
	}
	for _, p := range d.Partitions {
		if p.Leader < 0 || len(p.Replicas) == 0 || len(p.ISR) == 0 {
			t.Errorf("partition %d: leader %d replicas %v isr %v", p.Partition, p.Leader, p.Replicas, p.ISR)
		}
		want := int64(0)
		if p.Partition == 1 {
			want = 1
		}
		if p.StartOffset != 0 || p.EndOffset != want {
			t.Errorf("partition %d: offsets %d..%d, want 0..%d", p.Partition, p.StartOffset, p.EndOffset, want)
		}
	}
	for k, v := range seedCompactConfigs {
		got, ok := d.Config(k)
		if !ok || got != v {
			t.Errorf("config %s = %q (described %v), want %q", k, got, ok, v)
		}
	}

	if err := c.DeleteTopic(ctx(t, 30*time.Second), name); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.DescribeTopic(ctx(t, 30*time.Second), name); !errors.Is(err, prodlab.ErrUnknownTopic) {
		t.Fatalf("describe after delete: err = %v, want ErrUnknownTopic", err)
	}
	if err := c.DeleteTopic(ctx(t, 30*time.Second), name); !errors.Is(err, prodlab.ErrUnknownTopic) {
		t.Fatalf("delete again: err = %v, want ErrUnknownTopic", err)
	}
	if _, err := c.Consume(ctx(t, 30*time.Second), admin.ConsumeSpec{Topic: name}, nil); !errors.Is(err, prodlab.ErrUnknownTopic) {
		t.Fatalf("consume deleted topic: err = %v, want ErrUnknownTopic", err)
	}
}

func TestCreateRejectsBadInput(t *testing.T) {
	l := labtest.Start(t)
	c := client(t, l)
	for _, tc := range []struct {
		name string
		spec admin.TopicSpec
	}{
		{"bad value", admin.TopicSpec{Name: "bad-value", Partitions: 1, ReplicationFactor: -1, Configs: map[string]string{"segment.ms": "soon"}}},
		{"unknown config", admin.TopicSpec{Name: "bad-name", Partitions: 1, ReplicationFactor: -1, Configs: map[string]string{"no.such.config": "1"}}},
		{"bad policy", admin.TopicSpec{Name: "bad-policy", Partitions: 1, ReplicationFactor: -1, Configs: map[string]string{"cleanup.policy": "shred"}}},
		{"too many replicas", admin.TopicSpec{Name: "bad-rf", Partitions: 1, ReplicationFactor: 7}},
		{"zero partitions", admin.TopicSpec{Name: "bad-parts", Partitions: 0, ReplicationFactor: -1}},
		{"illegal name", admin.TopicSpec{Name: "a/b", Partitions: 1, ReplicationFactor: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateTopic(ctx(t, 30*time.Second), tc.spec)
			if !errors.Is(err, admin.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			t.Logf("error line: %v", err)
			if _, err := c.DescribeTopic(ctx(t, 30*time.Second), tc.spec.Name); !errors.Is(err, prodlab.ErrUnknownTopic) && !errors.Is(err, admin.ErrInvalid) {
				t.Fatalf("rejected topic exists anyway: %v", err)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	c, err := admin.New(directtest.Path(t, labtest.ClosedAddr(t)), admin.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.ListTopics(context.Background(), false)
	if !errors.Is(err, admin.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s with a 1s timeout", d)
	}
	_, err = c.Consume(context.Background(), admin.ConsumeSpec{Topic: "x", FromBeginning: true}, nil)
	if !errors.Is(err, admin.ErrUnreachable) {
		t.Fatalf("consume: err = %v, want ErrUnreachable", err)
	}
}

// TestLab025Partitions is Lab 02.5: a send to each partition shows records
// on all three, and a key always lands on one partition, the same one
// through every engine.
func TestLab025Partitions(t *testing.T) {
	l := labtest.Start(t)
	c := client(t, l)
	topic := labtest.Topic(t, l, 3, nil)
	keyPart := map[string]int32{}
	for _, a := range l.APIs() {
		t.Run(a.Engine.Name(), func(t *testing.T) {
			for p := range 3 {
				id := a.Engine.Name() + "-P" + string(rune('0'+p))
				s := labtest.Send(t, a, "topic", topic, "eventId", id, "partition", string(rune('0'+p)))
				if s.Partition != int32(p) {
					t.Fatalf("send to partition %d landed on %d", p, s.Partition)
				}
			}
			recs, res := readAll(t, c, admin.ConsumeSpec{Topic: topic, Grep: a.Engine.Name() + "-P"})
			if got := res.Partitions(); !slices.Equal(got, []int32{0, 1, 2}) {
				t.Fatalf("records on partitions %v, want [0 1 2]: %+v", got, recs)
			}
			for _, r := range recs {
				if want := a.Engine.Name() + "-P" + string(rune('0'+r.Partition)); r.EventID != want {
					t.Errorf("partition %d offset %d holds %s, want %s", r.Partition, r.Offset, r.EventID, want)
				}
			}
			key := "customer-42"
			first := labtest.Send(t, a, "topic", topic, "eventId", a.Engine.Name()+"-K1", "key", key)
			second := labtest.Send(t, a, "topic", topic, "eventId", a.Engine.Name()+"-K2", "key", key)
			if first.Partition != second.Partition {
				t.Fatalf("key %s went to partitions %d then %d", key, first.Partition, second.Partition)
			}
			keyPart[a.Engine.Name()] = first.Partition
			keyed, _ := readAll(t, c, admin.ConsumeSpec{Topic: topic, Key: &key})
			for _, r := range keyed {
				if r.Partition != first.Partition {
					t.Errorf("a record with key %s is on partition %d, not %d", key, r.Partition, first.Partition)
				}
			}
		})
	}
	var parts []int32
	for _, p := range keyPart {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	if len(slices.Compact(parts)) != 1 {
		t.Fatalf("engines put key customer-42 on different partitions: %v", keyPart)
	}
}

func TestConsumeFilters(t *testing.T) {
	l := labtest.Start(t)
	c := client(t, l)
	topic := labtest.Topic(t, l, 3, nil)
	a := l.APIs()[0]
	labtest.Send(t, a, "topic", topic, "eventId", "alpha", "key", "a", "partition", "0")
	labtest.Send(t, a, "topic", topic, "eventId", "beta", "key", "b", "partition", "1")
	labtest.Send(t, a, "topic", topic, "eventId", "gamma", "key", "a", "partition", "0")

	all, res := readAll(t, c, admin.ConsumeSpec{Topic: topic})
	if len(all) != 3 || res.Stop != admin.StopEnd || res.Read != 3 {
		t.Fatalf("all: %d records, %+v", len(all), res)
	}
	one, _ := readAll(t, c, admin.ConsumeSpec{Topic: topic, Partitions: []int32{1}})
	if len(one) != 1 || one[0].EventID != "beta" {
		t.Fatalf("partition 1: %+v", one)
	}
	key := "a"
	keyed, _ := readAll(t, c, admin.ConsumeSpec{Topic: topic, Key: &key})
	if len(keyed) != 2 || keyed[0].EventID != "alpha" || keyed[1].EventID != "gamma" {
		t.Fatalf("key a: %+v", keyed)
	}
	grep, _ := readAll(t, c, admin.ConsumeSpec{Topic: topic, Grep: "mma"})
	if len(grep) != 1 || grep[0].EventID != "gamma" {
		t.Fatalf("grep mma: %+v", grep)
	}
	// The seed's API carries the eventId in the JSON value only.
	labtest.ProduceSeed(t, l, topic, 2, "delta")
	for _, id := range []string{"beta", "delta"} {
		byID, _ := readAll(t, c, admin.ConsumeSpec{Topic: topic, EventID: id})
		if len(byID) != 1 || byID[0].EventID != id {
			t.Fatalf("eventId %s: %+v", id, byID)
		}
	}
	max, res := readAll(t, c, admin.ConsumeSpec{Topic: topic, Max: 2})
	if len(max) != 2 || res.Stop != admin.StopMax {
		t.Fatalf("max 2: %d records, %+v", len(max), res)
	}
	if _, err := c.Consume(ctx(t, 30*time.Second), admin.ConsumeSpec{Topic: topic, Partitions: []int32{3}}, nil); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("partition 3 of 3: err = %v, want ErrInvalid", err)
	}
	empty := labtest.Topic(t, l, 1, nil)
	if recs, res := readAll(t, c, admin.ConsumeSpec{Topic: empty}); len(recs) != 0 || res.Stop != admin.StopEnd {
		t.Fatalf("empty topic from the beginning: %d records, %+v", len(recs), res)
	}
}

// TestConsumeNewRecords reads from the end: it sees a record written after
// it starts, then stops on its own after the idle timeout.
func TestConsumeNewRecords(t *testing.T) {
	l := labtest.Start(t)
	c := client(t, l)
	topic := labtest.Topic(t, l, 1, nil)
	labtest.Send(t, l.APIs()[0], "topic", topic, "eventId", "old")
	got := make(chan admin.Record, 100)
	done := make(chan error, 1)
	go func() {
		_, err := c.Consume(ctx(t, 60*time.Second), admin.ConsumeSpec{Topic: topic, Idle: 2 * time.Second}, func(r admin.Record) error {
			got <- r
			return nil
		})
		done <- err
	}()
	// The read starts at the end offset it lists first: send until it
	// sees a new record.
	var first admin.Record
	err := wait.Until(ctx(t, 30*time.Second), func() bool {
		select {
		case first = <-got:
			return true
		default:
			labtest.Send(t, l.APIs()[0], "topic", topic, "eventId", "new")
			return false
		}
	})
	if err != nil {
		t.Fatal("no new record read")
	}
	if first.EventID != "new" {
		t.Fatalf("read %s first, want only records written after the start", first.EventID)
	}
	start := time.Now()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("consume ran %s past the last record with a 2s idle timeout", d)
	}
}

// compactDemo creates a topic with the seed's configs and sends V1, V2, V3
// with key customer-42 through the first API, then a control key.
func compactDemo(t *testing.T, l *lab.Lab) string {
	t.Helper()
	name := labtest.Topic(t, l, 1, seedConfigPtrs())
	a := l.APIs()[0]
	for _, v := range []string{"V1", "V2", "V3"} {
		labtest.Send(t, a, "topic", name, "eventId", v, "key", "customer-42")
	}
	labtest.Send(t, a, "topic", name, "eventId", "C1", "key", "customer-7")
	return name
}

// TestCompaction is Lab 02.6 on the target in PRODLAB_KAFKA: the check sees
// V1, V2 and V3, then only V3 plus the control key.
func TestCompaction(t *testing.T) {
	l := labtest.Start(t)
	c := client(t, l)
	topic := compactDemo(t, l)
	var states []admin.CompactionState
	rep, err := c.CompactionCheck(ctx(t, 90*time.Second), admin.CompactionSpec{
		Topic: topic, Key: "customer-42", Expect: "V3", Wait: 60 * time.Second, Roll: true,
		Progress: func(s admin.CompactionState) { states = append(states, s) },
	})
	if err != nil {
		t.Fatalf("check: %v (report %+v)", err, rep)
	}
	var before []string
	for _, r := range rep.Before.Versions {
		before = append(before, r.EventID)
	}
	// On real Kafka the check may start after a first compaction; it must
	// at least see V3 last, with earlier versions before it. The embedded
	// broker cleans only when the check rolls the segment: all three.
	if len(before) == 0 || before[len(before)-1] != "V3" {
		t.Fatalf("before: %v, want ... V3", before)
	}
	if !slices.Equal(before, []string{"V1", "V2", "V3"}) {
		if !labtest.Local() {
			t.Fatalf("before: %v; the embedded broker must keep V1, V2 and V3 until the check rolls the segment", before)
		}
		t.Logf("before compaction the check saw %v", before)
	}
	if !rep.OK || !rep.Compacted || len(rep.After.Versions) != 1 || rep.After.Versions[0].EventID != "V3" {
		t.Fatalf("after: %+v", rep.After.Versions)
	}
	if rep.After.Versions[0].Offset != 2 {
		t.Fatalf("V3 kept at offset %d, want 2 (offsets never change)", rep.After.Versions[0].Offset)
	}
	i := slices.IndexFunc(rep.After.Others, func(r admin.Record) bool { return r.KeyString() == "customer-7" })
	if i < 0 || rep.After.Others[i].EventID != "C1" {
		t.Fatalf("other keys after compaction: %+v, want customer-7=C1", rep.After.Others)
	}
	t.Logf("%s: compacted in %s (rolled: %v, %d observations)", labtest.Target(), rep.Elapsed, rep.Rolled != nil, len(states))
}

// TestEmbeddedCleanerWaitsForTheCheck: at a person's pace, V1, V2 and V3
// stay in the embedded broker's log until compaction-check asks.
func TestEmbeddedCleanerWaitsForTheCheck(t *testing.T) {
	labtest.EmbeddedOnly(t, "real Kafka cleans on its own schedule (segment.ms, log.cleaner.backoff.ms)")
	l := labtest.Start(t)
	c := client(t, l)
	topic := compactDemo(t, l)
	versions := func() int {
		n := 0
		for _, r := range readAllQuiet(t, c, topic) {
			if r.KeyString() == "customer-42" {
				n++
			}
		}
		return n
	}
	// Watch the log for 3 s, three times longer than the cleaner's old
	// 1 s period: every read must still hold the three versions.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		if n := versions(); n != 3 {
			t.Fatalf("the log holds %d versions of customer-42 before any check, want 3", n)
		}
	}
	rep, err := c.CompactionCheck(ctx(t, 60*time.Second), admin.CompactionSpec{Topic: topic, Key: "customer-42", Expect: "V3", Wait: 30 * time.Second, Roll: true})
	if err != nil || rep.Rolled == nil || len(rep.Before.Versions) != 3 {
		t.Fatalf("check: %v, rolled %v, before %d versions", err, rep.Rolled != nil, len(rep.Before.Versions))
	}
	t.Logf("compacted %s after the check started (rolled at segment.ms=%d)", rep.Elapsed.Round(time.Millisecond), rep.SegmentMs)
}

// readAllQuiet reads topic from the beginning.
func readAllQuiet(t *testing.T, c *admin.Client, topic string) []admin.Record {
	t.Helper()
	rs, _ := readAll(t, c, admin.ConsumeSpec{Topic: topic, FromBeginning: true, Idle: time.Second})
	return rs
}

func TestCompactionFailures(t *testing.T) {
	l := labtest.Start(t)
	c := client(t, l)
	t.Run("unexpected", func(t *testing.T) {
		topic := compactDemo(t, l)
		_, err := c.CompactionCheck(ctx(t, 90*time.Second), admin.CompactionSpec{Topic: topic, Key: "customer-42", Expect: "V2", Wait: 60 * time.Second, Roll: true})
		if !errors.Is(err, admin.ErrUnexpected) {
			t.Fatalf("err = %v, want ErrUnexpected", err)
		}
	})
	t.Run("active segment", func(t *testing.T) {
		// V3 is the newest record and nothing rolls its segment: no
		// broker cleans it, so V2 stays next to it.
		topic := labtest.Topic(t, l, 1, seedConfigPtrs())
		for _, v := range []string{"V1", "V2", "V3"} {
			labtest.Send(t, l.APIs()[0], "topic", topic, "eventId", v, "key", "customer-42")
		}
		rep, err := c.CompactionCheck(ctx(t, 90*time.Second), admin.CompactionSpec{Topic: topic, Key: "customer-42", Expect: "V3", Wait: 4 * time.Second})
		if !errors.Is(err, admin.ErrNotCompacted) {
			t.Fatalf("err = %v, want ErrNotCompacted", err)
		}
		if len(rep.After.Versions) < 2 {
			t.Fatalf("after: %+v", rep.After.Versions)
		}
	})
	t.Run("not compacted topic", func(t *testing.T) {
		topic := labtest.Topic(t, l, 1, nil)
		_, err := c.CompactionCheck(ctx(t, 30*time.Second), admin.CompactionSpec{Topic: topic, Key: "k", Expect: "V3", Wait: 5 * time.Second})
		if !errors.Is(err, admin.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("unknown topic", func(t *testing.T) {
		_, err := c.CompactionCheck(ctx(t, 30*time.Second), admin.CompactionSpec{Topic: "no-such-topic", Key: "k", Expect: "V3", Wait: 5 * time.Second})
		if !errors.Is(err, prodlab.ErrUnknownTopic) {
			t.Fatalf("err = %v, want ErrUnknownTopic", err)
		}
	})
}

func TestParseFields(t *testing.T) {
	f, err := admin.ParseFields("offset, partition,value")
	if err != nil {
		t.Fatal(err)
	}
	k := "k"
	v := `{"eventId":"P1"}`
	r := admin.Record{Partition: 1, Offset: 42, Key: &k, Value: &v, Timestamp: time.UnixMilli(1718000000000),
		Headers: []admin.Header{{"eventId", "P1"}, {"mode", "plain"}}}
	if got, want := f.Format(r), "Partition:1\tOffset:42\t"+v; got != want {
		t.Fatalf("Format = %q, want %q", got, want)
	}
	all, _ := admin.ParseFields("value,key,headers,offset,partition,timestamp")
	if got, want := all.Format(r), "CreateTime:1718000000000\tPartition:1\tOffset:42\teventId:P1,mode:plain\tk\t"+v; got != want {
		t.Fatalf("Format = %q, want %q", got, want)
	}
	if got := all.Format(admin.Record{}); got != "CreateTime:-62135596800000\tPartition:0\tOffset:0\tNO_HEADERS\tnull\tnull" {
		t.Fatalf("Format(null record) = %q", got)
	}
	if _, err := admin.ParseFields("partition,size"); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("unknown field: err = %v", err)
	}
}
