package progress

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// Bounds of the evidence a Recorder keeps in memory.
const (
	maxToxics   = 64   // toxics on, and spans of toxics removed
	maxAccepted = 1024 // async requestIds awaiting a status poll
	maxKeys     = 1024 // (topic, key) pairs followed
	maxTopics   = 64   // topics followed for partitions
	maxWindows  = 32   // lost-ack sends awaiting their count
	maxCompact  = 8    // keys awaiting compaction
)

// proxyKafka is the proxy Lab 02.3 puts its latency on.
const proxyKafka = "kafka"

// slowShare is the share of a latency toxic's latency a send must take
// to count as slowed by it; minLatency is the least latency that counts.
const (
	slowShare  = 0.8
	minLatency = 100 * time.Millisecond
)

// Opt configures a Recorder.
type Opt func(*cfg)

type cfg struct {
	path           string
	engines        []string
	requestTimeout time.Duration
	tuned          string
	direct         *direct.Path
	every          time.Duration
	compactAge     time.Duration
	logger         *slog.Logger
}

// File persists the ticks at path (written atomically, read back by New);
// default none: the ticks live in memory.
func File(path string) Opt { return func(c *cfg) { c.path = path } }

// Engines names the lab's producer APIs; 02.0, 02.1, 02.4 and 02.5 need
// every one of them. Required.
func Engines(names ...string) Opt { return func(c *cfg) { c.engines = names } }

// RequestTimeout is the producers' request timeout: a send slower than it
// under a latency toxic longer than it lost its first acknowledgement.
// Default prodlab.DefaultConfig().RequestTimeout.
func RequestTimeout(d time.Duration) Opt { return func(c *cfg) { c.requestTimeout = d } }

// Tuned describes the producers' timeouts when they differ from the lab's
// defaults, such as "request.timeout.ms=3000"; default "" (the lab's
// defaults), which leaves exercise 1 unticked.
func Tuned(desc string) Opt { return func(c *cfg) { c.tuned = desc } }

// Direct gives the direct path around Toxiproxy: 02.4's copies and
// 02.6's compaction are read there. Required, with a bootstrap.
func Direct(p *direct.Path) Opt { return func(c *cfg) { c.direct = p } }

// VerifyEvery is how often pending copy counts and compaction checks run
// against the brokers, default 1s.
func VerifyEvery(d time.Duration) Opt { return func(c *cfg) { c.every = d } }

// CompactionAge is how long a key's three versions are followed, waiting
// for the log to keep only the last, default 30 minutes; then they are
// forgotten until a new version lands.
func CompactionAge(d time.Duration) Opt { return func(c *cfg) { c.compactAge = d } }

// Logger receives the recorder's logs, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// Recorder ticks the checkpoints from what the lab observes. Feed it with
// API (an api.Observe function) and Toxic (a toxi.Observe function).
type Recorder struct {
	cfg       cfg
	stop      context.CancelFunc
	wg        sync.WaitGroup
	verifying sync.Mutex

	mu      sync.Mutex
	ticks   map[ID]Tick
	health  map[string]bool
	synced  map[string]string       // engine → partition@offset
	accept  *fifo[bool]             // engine/requestId of accepted async sends
	on      *fifo[*toxic]           // proxy/name → the toxic on
	past    []*toxic                // toxics removed (or replaced), newest last
	windows []window                // lost-ack sends to count
	held    map[string]string       // engine/mode → the count that held
	explct  *fifo[map[int32]bool]   // topic → partitions reached explicitly
	sameKey i18n.Msg                // a key seen on one partition through two APIs
	keys    *fifo[*keyInfo]         // topic/key → what landed
	spread  *fifo[map[int32]bool]   // topic → partitions reached by chosen keys
	compact *fifo[compactCandidate] // topic/key → three versions to see compacted
	client  *kgo.Client             // direct path, lazily
	lastErr string                  // the last verification error logged
	// compactReads counts the records the compaction checks read.
	compactReads atomic.Int64
}

type toxic struct {
	proxy, name, typ string
	latency          time.Duration
	since, until     time.Time // until is zero while on
	slowed           i18n.Msg  // how a send was slowed by it (02.3)
}

func (t *toxic) covers(at time.Time) bool {
	return !t.since.After(at) && (t.until.IsZero() || t.until.After(at))
}

// window is a sync send whose first acknowledgement was lost.
type window struct {
	engine    string
	mode      prodlab.Mode
	topic     string
	eventID   string
	partition int32
	offset    int64
	seen      time.Time
}

type keyInfo struct {
	engines  map[string]int32 // engine → partition
	versions []landing        // the last three, oldest first
}

type landing struct {
	partition int32
	offset    int64
	eventID   string
}

// compactCandidate is a key whose last three versions landed on one
// partition of topic, followed until the log keeps only the last.
type compactCandidate struct {
	topic, key string
	partition  int32
	versions   []landing
	since      time.Time // when the third version landed; see CompactionAge
	// What the checks read so far: older holds the offsets of the key's
	// records from versions[0] up to the last version that were still in
	// the log (nil before the first read); the tail up to reached held no
	// newer version.
	read    bool
	older   []int64
	reached int64
}

// New returns a recorder holding the ticks saved in its File, and starts
// the background checks; Close stops them.
func New(opts ...Opt) (*Recorder, error) {
	c := cfg{requestTimeout: prodlab.DefaultConfig().RequestTimeout, every: time.Second, compactAge: 30 * time.Minute, logger: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case len(c.engines) == 0:
		return nil, fmt.Errorf("progress: Engines must name at least one engine")
	case c.direct == nil || len(c.direct.Bootstrap()) == 0:
		return nil, fmt.Errorf("progress: Direct must give a bootstrap address")
	case c.requestTimeout <= 0:
		return nil, fmt.Errorf("progress: RequestTimeout must be > 0, got %v", c.requestTimeout)
	case c.every <= 0:
		return nil, fmt.Errorf("progress: VerifyEvery must be > 0, got %v", c.every)
	case c.compactAge <= 0:
		return nil, fmt.Errorf("progress: CompactionAge must be > 0, got %v", c.compactAge)
	}
	r := &Recorder{cfg: c}
	r.clear()
	if c.path != "" {
		ticks, err := Load(c.path)
		if err != nil {
			return nil, err
		}
		r.ticks = ticks
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	r.wg.Add(1)
	go r.loop(ctx)
	return r, nil
}

// clear forgets every tick and every piece of evidence; r.mu is held or r
// is new.
func (r *Recorder) clear() {
	r.ticks = map[ID]Tick{}
	r.health, r.synced, r.held = map[string]bool{}, map[string]string{}, map[string]string{}
	r.accept, r.on = newFIFO[bool](maxAccepted), newFIFO[*toxic](maxToxics)
	r.past, r.windows, r.sameKey = nil, nil, i18n.Msg{}
	r.explct, r.spread = newFIFO[map[int32]bool](maxTopics), newFIFO[map[int32]bool](maxTopics)
	r.keys, r.compact = newFIFO[*keyInfo](maxKeys), newFIFO[compactCandidate](maxCompact)
}

// Close stops the background checks.
func (r *Recorder) Close() {
	r.stop()
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		r.client.Close()
		r.client = nil
	}
}

// Report returns the table as it stands.
func (r *Recorder) Report() Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return NewReport(maps.Clone(r.ticks))
}

// Reset forgets every tick and the evidence gathered so far, in memory
// and in the File.
func (r *Recorder) Reset() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
	if r.cfg.path == "" {
		return nil
	}
	return save(r.cfg.path, r.ticks)
}

// tick records id as seen now, how, once; r.mu is held.
func (r *Recorder) tick(id ID, m i18n.Msg) {
	if _, done := r.ticks[id]; done {
		return
	}
	how := m.In(i18n.EN)
	r.ticks[id] = Tick{At: time.Now().UTC().Truncate(time.Second), How: how, Msg: &m}
	r.cfg.logger.Info(i18n.T("progress.log.ticked"), "checkpoint", string(id), "how", m.String())
	if r.cfg.path != "" {
		if err := save(r.cfg.path, r.ticks); err != nil {
			r.cfg.logger.Error("cannot save the progress", "file", r.cfg.path, "err", err)
		}
	}
}

// API observes one answer of a producer API; pass it to api.Observe. An
// answer to a page of another origin (ev.Foreign) is no evidence, nor is a
// warm-up send (see warmUp).
func (r *Recorder) API(ev api.Event) {
	if ev.Foreign || warmUp(ev.EventID) {
		return
	}
	now := time.Now()
	start := now.Add(-ev.Elapsed)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev.Kind {
	case api.Health:
		if ev.Code == 200 {
			r.health[ev.Engine] = true
			if r.all(func(e string) bool { return r.health[e] }) {
				r.tick(Health, i18n.M("ev.health", "engines", strings.Join(r.cfg.engines, ", ")))
			}
		}
	case api.Sent:
		switch {
		case ev.Code == 202 && ev.SendMode == prodlab.Async:
			r.accept.put(ev.Engine+"/"+ev.RequestID, true)
		case ev.Code == 200 && ev.Delivery != nil && ev.Delivery.Err == nil:
			r.synced[ev.Engine] = fmt.Sprintf("partition %d offset %d", ev.Delivery.Partition, ev.Delivery.Offset)
			if r.all(func(e string) bool { return r.synced[e] != "" }) {
				var parts []string
				for _, e := range r.cfg.engines {
					parts = append(parts, e+" "+r.synced[e])
				}
				r.tick(SyncSend, i18n.M("ev.sync", "parts", strings.Join(parts, "; ")))
			}
			r.slowed(ev, start)
			r.lostAck(ev, start)
			r.tunedOK(ev, start)
			r.landed(ev, *ev.Delivery)
		case ev.Code == 502 || ev.Code == 504:
			r.timedOut(ev, start)
		}
	case api.Delivered:
		switch {
		case ev.Delivery == nil:
		case ev.Delivery.Err == nil:
			r.tunedOK(ev, start)
			r.landed(ev, *ev.Delivery)
		default:
			r.timedOut(ev, start)
		}
	case api.Polled:
		if ev.Code == 200 && ev.State != prodlab.Pending {
			if _, ok := r.accept.get(ev.Engine + "/" + ev.RequestID); ok {
				r.tick(AsyncStatus, i18n.M("ev.async", "engine", ev.Engine, "eventId", ev.EventID, "state", ev.State))
			}
		}
	}
}

// all reports whether ok holds for every engine; r.mu is held.
func (r *Recorder) all(ok func(string) bool) bool {
	for _, e := range r.cfg.engines {
		if !ok(e) {
			return false
		}
	}
	return true
}

// toxicAt returns a toxic of type typ (on proxy, unless empty) that was on
// at the instant at and satisfies ok; r.mu is held.
func (r *Recorder) toxicAt(at time.Time, proxy, typ string, ok func(*toxic) bool) *toxic {
	for _, t := range slices.Concat(slices.Collect(maps.Values(r.on.m)), r.past) {
		if t.typ == typ && (proxy == "" || t.proxy == proxy) && t.covers(at) && ok(t) {
			return t
		}
	}
	return nil
}

// slowed marks the latency toxic on proxy kafka that slowed the sync send
// ev, if one did (02.3); r.mu is held.
func (r *Recorder) slowed(ev api.Event, start time.Time) {
	if ev.SendMode != prodlab.Sync {
		return
	}
	for _, t := range r.on.m {
		if t.proxy == proxyKafka && t.typ == "latency" && t.latency >= minLatency && t.slowed.ID == "" && t.covers(start) &&
			float64(ev.Elapsed) >= slowShare*float64(t.latency) {
			t.slowed = i18n.M("ev.latency", "engine", ev.Engine, "took", ev.Elapsed, "latency", t.latency)
		}
	}
}

// lostAck queues the sync send ev for a copy count when it started under
// a latency toxic longer than the request timeout and took longer than
// that timeout: its first acknowledgement was lost (02.4); r.mu is held.
func (r *Recorder) lostAck(ev api.Event, start time.Time) {
	if ev.SendMode != prodlab.Sync || ev.Elapsed <= r.cfg.requestTimeout {
		return
	}
	if r.toxicAt(start, "", "latency", func(t *toxic) bool { return t.latency > r.cfg.requestTimeout }) == nil {
		return
	}
	if len(r.windows) >= maxWindows {
		r.windows = r.windows[1:]
	}
	r.windows = append(r.windows, window{engine: ev.Engine, mode: ev.Mode, topic: ev.Topic, eventID: ev.EventID,
		partition: ev.Delivery.Partition, offset: ev.Delivery.Offset, seen: time.Now()})
}

// timedOut ticks exercise 2 when the failed send ev started under a
// timeout toxic; r.mu is held.
func (r *Recorder) timedOut(ev api.Event, start time.Time) {
	t := r.toxicAt(start, "", "timeout", func(*toxic) bool { return true })
	if t == nil {
		return
	}
	what := fmt.Sprintf("HTTP %d", ev.Code)
	if ev.Kind == api.Delivered {
		what = "ERROR"
	}
	r.tick(ExTimeout, i18n.M("ev.exTimeout", "engine", ev.Engine, "mode", ev.Mode, "what", what,
		"took", ev.Elapsed.Round(time.Second), "toxic", t.name, "proxy", t.proxy))
}

// warmUp reports whether eventID names a warm-up send, which opens the
// producers' connections before a step: the guide's (EX1-WARM-…,
// WARM-…), validate's (validate-warm-up-…) and experiment's (….warm-up).
// It is no step's evidence.
func warmUp(eventID string) bool {
	return strings.Contains(strings.ToLower(eventID), "warm-")
}

// tunedOK ticks exercise 1 when, under timeouts other than the lab's, the
// send ev came back OK although a latency toxic on proxy kafka, shorter
// than the request timeout, slowed it: its ack came in time, with no
// retry. A send without the toxic (the exercise's warm-up) is no evidence;
// r.mu is held.
func (r *Recorder) tunedOK(ev api.Event, start time.Time) {
	if r.cfg.tuned == "" {
		return
	}
	t := r.toxicAt(start, proxyKafka, "latency", func(t *toxic) bool {
		return t.latency >= minLatency && t.latency < r.cfg.requestTimeout && float64(ev.Elapsed) >= slowShare*float64(t.latency)
	})
	if t == nil {
		return
	}
	r.tick(ExTimeouts, i18n.M("ev.exTimeouts", "engine", ev.Engine, "sendMode", ev.SendMode,
		"took", ev.Elapsed.Round(time.Millisecond), "latency", t.latency, "tuned", r.cfg.tuned))
}

// landed follows a record the broker acknowledged: partitions, keys and
// versions; r.mu is held.
func (r *Recorder) landed(ev api.Event, d prodlab.Delivery) {
	topic := d.Topic
	if topic == "" {
		topic = ev.Topic
	}
	if ev.Partition != prodlab.AnyPartition {
		if ev.Partition == d.Partition {
			ps, _ := r.explct.get(topic)
			if ps == nil {
				ps = map[int32]bool{}
			}
			ps[d.Partition] = true
			r.explct.put(topic, ps)
			r.partitions(topic, ps)
		}
		return
	}
	k := topic + "\x00" + ev.Key
	ki, _ := r.keys.get(k)
	if ki == nil {
		ki = &keyInfo{engines: map[string]int32{}}
	}
	ki.engines[ev.Engine] = d.Partition
	ki.versions = append(ki.versions, landing{d.Partition, d.Offset, ev.EventID})
	if len(ki.versions) > 3 {
		ki.versions = ki.versions[len(ki.versions)-3:]
	}
	r.keys.put(k, ki)
	if r.sameKey.ID == "" && ev.Key != ev.EventID {
		for e, p := range ki.engines {
			if e != ev.Engine && p == d.Partition {
				r.sameKey = i18n.M("ev.partitions", "key", ev.Key, "keyPartition", p, "keyTopic", topic, "engine1", e, "engine2", ev.Engine)
			}
		}
	}
	for t, ps := range r.explct.m {
		r.partitions(t, ps)
	}
	if ev.Key != ev.EventID {
		ps, _ := r.spread.get(topic)
		if ps == nil {
			ps = map[int32]bool{}
		}
		ps[d.Partition] = true
		r.spread.put(topic, ps)
		if len(ps) >= 3 {
			r.tick(ExKeys, i18n.M("ev.exKeys", "partitions", list(ps), "topic", topic))
		}
	}
	if v := ki.versions; len(v) == 3 && v[0].partition == v[2].partition && v[1].partition == v[2].partition {
		r.compact.put(k, compactCandidate{topic: topic, key: ev.Key, partition: d.Partition, versions: slices.Clone(v), since: time.Now()})
	}
}

// partitions ticks 02.5 once explicit sends reached two partitions of
// topic and one key landed alike through two APIs; r.mu is held.
func (r *Recorder) partitions(topic string, ps map[int32]bool) {
	if len(ps) >= 2 && r.sameKey.ID != "" {
		m := r.sameKey
		m.Args = maps.Clone(m.Args)
		m.Args["partitions"], m.Args["topic"] = list(ps), topic
		r.tick(Partitions, m)
	}
}

func list(ps map[int32]bool) string {
	keys := slices.Sorted(maps.Keys(ps))
	s := make([]string, len(keys))
	for i, p := range keys {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}

// Toxic observes one toxic change; pass it to toxi.Observe.
func (r *Recorder) Toxic(c toxiclient.Change) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.Reset {
		for _, k := range slices.Clone(r.on.order) {
			r.off(k, now, !c.Lost)
		}
		return
	}
	k := c.Proxy + "/" + c.Toxic
	if c.Removed {
		r.off(k, now, true)
		return
	}
	t := &toxic{proxy: c.Proxy, name: c.Toxic, typ: c.Type, since: now,
		latency: time.Duration(c.Attributes["latency"]) * time.Millisecond}
	if old, ok := r.on.get(k); ok {
		t.slowed = old.slowed // an update keeps what the toxic did
		old.until = now
		r.retire(old)
	}
	r.on.put(k, t)
}

// off ends the toxic k; a latency toxic on proxy kafka that slowed a send
// ticks 02.3 when removed is set (someone removed it); r.mu is held.
func (r *Recorder) off(k string, now time.Time, removed bool) {
	t, ok := r.on.get(k)
	if !ok {
		return
	}
	r.on.del(k)
	t.until = now
	r.retire(t)
	if removed && t.slowed.ID != "" {
		r.tick(Latency, t.slowed)
	}
}

func (r *Recorder) retire(t *toxic) {
	r.past = append(r.past, t)
	if len(r.past) > maxToxics {
		r.past = r.past[len(r.past)-maxToxics:]
	}
}
