package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/direct/directtest"
)

// TestRecordClipsHeaders: a record's header keys are clipped like its
// values, and its headers past maxHeaders are counted, not kept.
func TestRecordClipsHeaders(t *testing.T) {
	r := &kgo.Record{Key: []byte("k"), Value: []byte("v")}
	long := strings.Repeat("é", maxValueLen) // 2 bytes a rune: cut on a rune
	for i := range 3 * maxHeaders {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: fmt.Sprint(i, long), Value: []byte(long)})
	}
	rec := newRecord(r)
	if len(rec.Headers) != maxHeaders || rec.HeadersCut != 2*maxHeaders {
		t.Fatalf("%d headers kept, %d cut; want %d and %d", len(rec.Headers), rec.HeadersCut, maxHeaders, 2*maxHeaders)
	}
	for i, h := range rec.Headers {
		if len(h.Key) > maxValueLen || len(h.Value) > maxValueLen || !strings.HasPrefix(h.Key, fmt.Sprint(i)) {
			t.Fatalf("header %d: key of %d bytes (%.8q), value of %d", i, len(h.Key), h.Key, len(h.Value))
		}
	}
	if most := recordOverhead + 4*maxValueLen + maxHeaders*(headerOverhead+2*maxValueLen); rec.size > most {
		t.Fatalf("size %d above the most a record can hold, %d", rec.size, most)
	}
}

// TestCacheByteCap: a topic's records past its share of the cache's bytes
// are evicted oldest first, across its partitions.
func TestCacheByteCap(t *testing.T) {
	c := newLogCache(2, 2*10*recordOverhead) // a share of 10 bare records
	tl := c.get("t", false)
	p0, p1 := &partLog{}, &partLog{}
	tl.parts[0], tl.parts[1] = p0, p1
	for i := range 25 {
		pl := []*partLog{p0, p1}[i%2]
		tl.push(pl, record{copyInfo: copyInfo{Partition: int32(i % 2), Offset: int64(i / 2)}, size: recordOverhead})
	}
	sum := 0
	for _, pl := range tl.parts {
		for _, r := range pl.recs {
			sum += r.size
		}
	}
	if tl.bytes != sum || tl.bytes > tl.maxBytes || len(p0.recs)+len(p1.recs) != 10 {
		t.Fatalf("bytes %d (records hold %d, share %d), %d+%d records", tl.bytes, sum, tl.maxBytes, len(p0.recs), len(p1.recs))
	}
	// Pushes 15..24 are kept: p0 has offsets 8..12, p1 7..11.
	if p0.recs[0].Offset != 8 || p1.recs[0].Offset != 7 || p0.recs[len(p0.recs)-1].Offset != 12 {
		t.Fatalf("kept p0 from %d to %d, p1 from %d", p0.recs[0].Offset, p0.recs[len(p0.recs)-1].Offset, p1.recs[0].Offset)
	}
	tl.drop(p0, len(p0.recs))
	if tl.bytes != len(p1.recs)*recordOverhead {
		t.Fatalf("bytes %d after dropping p0, want %d", tl.bytes, len(p1.recs)*recordOverhead)
	}
}

// TestMessagesByteCap reads, through the messages view, a topic whose
// records hold more than the cache's share: the view shows the newest that
// fit, each with at most maxHeaders clipped headers.
func TestMessagesByteCap(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "big"))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.DefaultProduceTopic("big"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var hs []kgo.RecordHeader
	for i := range 2 * maxHeaders {
		hs = append(hs, kgo.RecordHeader{Key: fmt.Sprint(i, strings.Repeat("h", 3000)), Value: []byte(strings.Repeat("v", 3000))})
	}
	const n = 20
	for i := range n {
		r := &kgo.Record{Key: []byte(fmt.Sprint("k", i)), Value: []byte(strings.Repeat("x", 10_000)), Headers: hs}
		if err := cl.ProduceSync(t.Context(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(Direct(directtest.Path(t, kc.ListenAddrs()...)), Timeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	one := newRecord(&kgo.Record{Key: []byte("k0"), Value: []byte(strings.Repeat("x", 10_000)), Headers: hs}).size
	const keep = 7
	s.logs = newLogCache(1, keep*one+one/2)
	srv := httptest.NewServer(s.Routes())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/messages?topic=big&limit=500")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m messagesResponse
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("messages: %d %v", resp.StatusCode, err)
	}
	if m.Cached != keep || len(m.Records) != keep || m.Partitions[0].CachedFrom != n-keep {
		t.Fatalf("cached %d, shown %d from offset %d; want the newest %d of %d", m.Cached, len(m.Records), m.Partitions[0].CachedFrom, keep, n)
	}
	for _, r := range m.Records {
		if len(r.Headers) != maxHeaders || r.HeadersCut != maxHeaders || len(r.Headers[0].Key) != maxValueLen || !r.Truncated {
			t.Fatalf("record %d: %d headers, %d cut, first key %d bytes, truncated %v", r.Offset, len(r.Headers), r.HeadersCut, len(r.Headers[0].Key), r.Truncated)
		}
	}
	if tl := s.logs.get("big", false); tl.bytes > tl.maxBytes {
		t.Fatalf("the topic holds %d bytes, above its share %d", tl.bytes, tl.maxBytes)
	}
}
