package console

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/httpjson"
)

// Limits of the messages and duplicates views.
const (
	DefaultLimit = 100  // records or duplicate groups per page
	MaxLimit     = 500  // the largest page
	MaxQueryLen  = 256  // characters of a filter
	maxValueLen  = 2048 // bytes of a key, value, header key or header value shown
	maxHeaders   = 32   // headers shown per record

	maxCachedTopics = 16        // topics the message cache holds
	maxCacheBytes   = 256 << 20 // the message cache in all, each topic its share
	recordOverhead  = 256       // what a cached record costs beyond its bytes
	headerOverhead  = 32        // and a cached header
)

// record is one Kafka record as the page shows it.
type record struct {
	copyInfo
	Key        string       `json:"key"`
	Headers    []header     `json:"headers"`
	Value      string       `json:"value"`
	Truncated  bool         `json:"truncated,omitempty"`  // value cut at maxValueLen
	HeadersCut int          `json:"headersCut,omitempty"` // headers left out beyond maxHeaders
	EventID    string       `json:"eventId,omitempty"`
	send       prodlab.Send // the send it is a copy of (prodlab.SendOf)
	size       int          // bytes it holds, for the cache's count
	seq        uint64       // the order in which the cache took it
}

// copyInfo is where a copy landed and which producer wrote it.
type copyInfo struct {
	Partition     int32  `json:"partition"`
	Offset        int64  `json:"offset"`
	Timestamp     int64  `json:"timestamp"` // Unix ms
	Mode          string `json:"mode,omitempty"`
	API           string `json:"api,omitempty"`
	ProducerID    int64  `json:"producerId,string"` // a string: JavaScript numbers lose its digits
	ProducerEpoch int16  `json:"producerEpoch"`
}

type header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func clip(b []byte) (string, bool) {
	if len(b) <= maxValueLen {
		return string(b), false
	}
	cut := maxValueLen
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]), true
}

func newRecord(r *kgo.Record) record {
	rec := record{copyInfo: copyInfo{Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UnixMilli(),
		ProducerID: r.ProducerID, ProducerEpoch: r.ProducerEpoch}, Headers: []header{}, send: direct.SendOf(r)}
	rec.Key, _ = clip(r.Key)
	rec.Value, rec.Truncated = clip(r.Value)
	for i, h := range r.Headers {
		v, _ := clip(h.Value)
		if h.Key == prodlab.HeaderMode && rec.Mode == "" {
			rec.Mode = v
		}
		if i >= maxHeaders {
			rec.HeadersCut++
			continue
		}
		k, _ := clip([]byte(h.Key))
		rec.Headers = append(rec.Headers, header{k, v})
		rec.size += headerOverhead + len(k) + len(v)
	}
	rec.EventID, _ = clip([]byte(rec.send.EventID))
	var v prodlab.Value
	if json.Unmarshal(r.Value, &v) == nil {
		rec.Mode = cmp.Or(rec.Mode, string(v.Mode))
		rec.API, _ = clip([]byte(v.API))
	}
	rec.size += recordOverhead + len(rec.Key) + len(rec.Value) + len(rec.EventID) + len(rec.Mode) + len(rec.API) + len(rec.send.EventID)
	return rec
}

// logCache keeps the newest records of at most maxTopics topics and
// maxBytes in all; each refresh fetches only what was appended.
type logCache struct {
	mu        sync.Mutex
	topics    map[string]*topicLog
	maxTopics int
	maxBytes  int
}

type topicLog struct {
	mu       sync.Mutex
	parts    map[int32]*partLog
	lastUsed time.Time
	bytes    int    // what its records hold (record.size)
	maxBytes int    // its share of the cache's bytes
	seq      uint64 // records cached so far: the order of eviction
}

type partLog struct {
	start, end int64 // the broker's offsets at the last refresh
	next       int64 // the next offset to read
	recs       []record
}

func newLogCache(maxTopics, maxBytes int) *logCache {
	return &logCache{topics: map[string]*topicLog{}, maxTopics: maxTopics, maxBytes: maxBytes}
}

// push caches rec at the end of pl, evicting the topic's oldest records
// first while it holds more than its share; t.mu is held.
func (t *topicLog) push(pl *partLog, rec record) {
	t.seq++
	rec.seq = t.seq
	pl.recs = append(pl.recs, rec)
	t.bytes += rec.size
	for t.bytes > t.maxBytes {
		var oldest *partLog
		for _, p := range t.parts {
			if len(p.recs) > 0 && (oldest == nil || p.recs[0].seq < oldest.recs[0].seq) {
				oldest = p
			}
		}
		if oldest == nil {
			return
		}
		t.drop(oldest, 1)
	}
}

// drop forgets the first n records of pl; t.mu is held.
func (t *topicLog) drop(pl *partLog, n int) {
	for _, r := range pl.recs[:n] {
		t.bytes -= r.size
	}
	clear(pl.recs[:n]) // their strings go now, the array when append outgrows it
	pl.recs = pl.recs[n:]
}

// get returns the log of topic, evicting the least recently used one when
// full; reread drops what was cached.
func (c *logCache) get(topic string, reread bool) *topicLog {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.topics[topic]
	if !ok || reread {
		if !ok && len(c.topics) >= c.maxTopics {
			delete(c.topics, slices.MinFunc(slices.Collect(maps.Keys(c.topics)), func(a, b string) int {
				return c.topics[a].lastUsed.Compare(c.topics[b].lastUsed)
			}))
		}
		t = &topicLog{parts: map[int32]*partLog{}, maxBytes: c.maxBytes / max(1, c.maxTopics)}
		c.topics[topic] = t
	}
	t.lastUsed = time.Now()
	return t
}

// refresh reads what topic appended since the last refresh; t.mu is held.
func (t *topicLog) refresh(ctx context.Context, adm *kadm.Client, path *direct.Path, topic string, perPartition int) error {
	ends, err := direct.EndOffsets(ctx, adm, topic)
	if err != nil {
		return err // ErrUnknownTopic and UnknownTopicOrPartition: answered 404
	}
	starts, err := direct.StartOffsets(ctx, adm, topic)
	if err != nil && !errors.Is(err, prodlab.ErrUnknownTopic) {
		return err
	}
	from := map[int32]int64{}
	for p, end := range ends {
		start, ok := starts[p]
		if !ok {
			start = end
		}
		pl, ok := t.parts[p]
		if !ok {
			pl = &partLog{}
			t.parts[p] = pl
		} else if end < pl.next { // the log went back: deleted and recreated
			t.drop(pl, len(pl.recs))
			pl.next = 0
		}
		pl.next = max(pl.next, start)
		if end-pl.next > int64(perPartition) {
			// Only the last perPartition records are kept: skip the others.
			pl.next = end - int64(perPartition)
			t.drop(pl, len(pl.recs))
		}
		t.drop(pl, sort.Search(len(pl.recs), func(i int) bool { return pl.recs[i].Offset >= start }))
		pl.start, pl.end = start, end
		from[p] = pl.next
	}
	for p, pl := range t.parts {
		if _, ok := ends[p]; !ok {
			t.drop(pl, len(pl.recs))
			delete(t.parts, p)
		}
	}
	return path.Range(ctx, topic, from, ends, func(r *kgo.Record) error {
		pl := t.parts[r.Partition]
		t.push(pl, newRecord(r))
		if over := len(pl.recs) - perPartition; over > 0 {
			t.drop(pl, over)
		}
		pl.next = r.Offset + 1
		return nil
	})
}

// page is what the messages and duplicates views say of the topic read.
type page struct {
	Topic      string           `json:"topic"`
	Partitions []partitionRange `json:"partitions"`
	Cached     int              `json:"cached"`
	Limit      int              `json:"limit"`
}

// loadTopic checks the topic and limit parameters, refreshes the topic's
// log and returns its records, newest first, and its page.
func (s *Server) loadTopic(w http.ResponseWriter, r *http.Request, q url.Values) (recs []record, pg page, ok bool) {
	pg.Topic = prodlab.DefaultTopic
	if q.Has("topic") {
		pg.Topic = q.Get("topic")
		if msg := prodlab.ValidTopic(pg.Topic); msg != "" {
			httpjson.Error(w, http.StatusBadRequest, "topic", msg)
			return
		}
	}
	if pg.Limit, ok = intParam(w, r, q, "limit", DefaultLimit, 1, MaxLimit); !ok {
		return
	}
	if s.adm == nil {
		fail(w, r, http.StatusServiceUnavailable, "", "console.err.noKafka")
		return nil, pg, false
	}
	t := s.logs.get(pg.Topic, q.Get("reread") == "true")
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.timeout)
	defer cancel()
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.refresh(ctx, s.adm, s.cfg.direct, pg.Topic, s.cfg.perPartition)
	if errors.Is(err, prodlab.ErrUnknownTopic) || errors.Is(err, kerr.UnknownTopicOrPartition) {
		fail(w, r, http.StatusNotFound, "topic", "console.err.noTopic", "topic", pg.Topic)
		return nil, pg, false
	} else if err != nil {
		s.kafkaUnavailable(w, r, err, "console.err.what.topic", "topic", pg.Topic)
		return nil, pg, false
	}
	recs, pg.Partitions = t.all()
	pg.Cached = len(recs)
	return recs, pg, true
}

// query parses r's query, refusing parameters not allowed (any, with
// none allowed) or repeated.
func query(w http.ResponseWriter, r *http.Request, allowed ...string) (url.Values, bool) {
	q, ok := httpjson.Query(w, r)
	if !ok {
		return nil, false
	}
	for k, vs := range q {
		switch {
		case len(allowed) == 0:
			fail(w, r, http.StatusBadRequest, k, "console.err.noParams", "param", k)
		case !slices.Contains(allowed, k):
			fail(w, r, http.StatusBadRequest, k, "console.err.unknownParam", "param", k, "allowed", strings.Join(allowed, ", "))
		case len(vs) > 1:
			fail(w, r, http.StatusBadRequest, k, "console.err.repeated", "param", k)
		default:
			continue
		}
		return nil, false
	}
	if q.Has("reread") && q.Get("reread") != "true" && q.Get("reread") != "false" {
		fail(w, r, http.StatusBadRequest, "reread", "console.err.reread")
		return nil, false
	}
	return q, true
}

// intParam parses q[name] within [lo, hi], or returns def when absent.
func intParam(w http.ResponseWriter, r *http.Request, q url.Values, name string, def, lo, hi int) (int, bool) {
	if !q.Has(name) {
		return def, true
	}
	n, err := strconv.Atoi(q.Get(name))
	if err != nil {
		fail(w, r, http.StatusBadRequest, name, "console.err.notInt", "param", name, "value", strconv.Quote(q.Get(name)))
		return 0, false
	}
	if n < lo || n > hi {
		fail(w, r, http.StatusBadRequest, name, "console.err.range", "param", name, "value", n, "lo", lo, "hi", hi)
		return 0, false
	}
	return n, true
}

type partitionRange struct {
	Partition  int32 `json:"partition"`
	Start      int64 `json:"start"`
	End        int64 `json:"end"`
	CachedFrom int64 `json:"cachedFrom"` // older offsets are not shown
}

type messagesResponse struct {
	page
	Matched int      `json:"matched"`
	Skip    int      `json:"skip"`
	Records []record `json:"records"`
}

// all returns every cached record, newest first, and the partition ranges.
func (t *topicLog) all() ([]record, []partitionRange) {
	var recs []record
	ranges := []partitionRange{}
	for p, pl := range t.parts {
		from := pl.next
		if len(pl.recs) > 0 {
			from = pl.recs[0].Offset
		}
		ranges = append(ranges, partitionRange{Partition: p, Start: pl.start, End: pl.end, CachedFrom: max(from, pl.start)})
		recs = append(recs, pl.recs...)
	}
	slices.SortFunc(ranges, func(a, b partitionRange) int { return cmp.Compare(a.Partition, b.Partition) })
	slices.SortFunc(recs, func(a, b record) int {
		return cmp.Or(cmp.Compare(b.Timestamp, a.Timestamp), cmp.Compare(a.Partition, b.Partition), cmp.Compare(b.Offset, a.Offset))
	})
	return recs, ranges
}

// MessageIndex lists a topic's records, newest first, filtered by q (in
// the eventId or the key) and paged by skip and limit.
func (s *Server) MessageIndex(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "topic", "q", "skip", "limit", "reread")
	if !ok {
		return
	}
	filter := q.Get("q")
	if n := utf8.RuneCountInString(filter); !utf8.ValidString(filter) || n > MaxQueryLen {
		fail(w, r, http.StatusBadRequest, "q", "console.err.q", "max", MaxQueryLen)
		return
	}
	skip, ok := intParam(w, r, q, "skip", 0, 0, 1<<30)
	if !ok {
		return
	}
	recs, pg, ok := s.loadTopic(w, r, q)
	if !ok {
		return
	}
	matched := slices.DeleteFunc(recs, func(rec record) bool {
		return !strings.Contains(rec.EventID, filter) && !strings.Contains(rec.Key, filter)
	})
	shown := matched[min(skip, len(matched)):min(len(matched), skip+pg.Limit)]
	httpjson.Write(w, http.StatusOK, messagesResponse{page: pg, Matched: len(matched), Skip: skip, Records: append([]record{}, shown...)})
}

type duplicate struct {
	EventID   string     `json:"eventId"`
	Sends     int        `json:"sends"`     // prodlab.Sends: 1 when every copy is a retry
	Producers int        `json:"producers"` // distinct (engine, mode, producer id, epoch)
	Copies    []copyInfo `json:"copies"`
}

type duplicatesResponse struct {
	page
	EventIDs   int         `json:"eventIds"`   // distinct eventIds seen
	Duplicated int         `json:"duplicated"` // eventIds with more than one copy
	Duplicates []duplicate `json:"duplicates"`
}

// DuplicateIndex lists, newest first, a topic's eventIds with more than
// one copy (prodlab.EveryCopy), where each copy is and how many sends.
func (s *Server) DuplicateIndex(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "topic", "limit", "reread")
	if !ok {
		return
	}
	recs, pg, ok := s.loadTopic(w, r, q)
	if !ok {
		return
	}
	resp := duplicatesResponse{page: pg, Duplicates: []duplicate{}}
	groups := map[prodlab.Send][]record{}
	var order []prodlab.Send // newest copy first
	for _, rec := range recs {
		if rec.send.EventID == "" {
			continue
		}
		k := prodlab.EveryCopy.Key(rec.send)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], rec)
	}
	resp.EventIDs = len(groups)
	for _, k := range order {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		resp.Duplicated++
		if len(resp.Duplicates) >= pg.Limit {
			continue
		}
		slices.SortFunc(g, func(a, b record) int {
			return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
		})
		d := duplicate{EventID: g[0].EventID}
		var sends []prodlab.Send
		producers := map[copyInfo]bool{}
		for _, rec := range g {
			d.Copies = append(d.Copies, rec.copyInfo)
			sends = append(sends, rec.send)
			producers[copyInfo{Mode: rec.Mode, API: rec.API, ProducerID: rec.ProducerID, ProducerEpoch: rec.ProducerEpoch}] = true
		}
		d.Sends, d.Producers = prodlab.Sends(sends), len(producers)
		resp.Duplicates = append(resp.Duplicates, d)
	}
	httpjson.Write(w, http.StatusOK, resp)
}
