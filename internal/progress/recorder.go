package progress

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

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
	maxLostAcks = 32   // lost-ack sends awaiting their count
	maxCompact  = 8    // keys awaiting compaction
)

// A send is slowed by a latency toxic of at least minLatency when it
// takes slowShare of its latency; Lab 02.3 puts its toxic on proxyKafka.
const (
	slowShare  = 0.8
	minLatency = 100 * time.Millisecond
	proxyKafka = "kafka"
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
	compactAge     time.Duration // how long a key's versions are followed for 02.6
	logger         *slog.Logger
}

// File persists the ticks at path (written atomically, read back by New);
// default none: the ticks live in memory.
func File(path string) Opt { return func(c *cfg) { c.path = path } }

// Engines names the lab's producer APIs; 02.0, 02.1, 02.4 and 02.5 need
// every one of them. Required.
func Engines(names ...string) Opt { return func(c *cfg) { c.engines = names } }

// RequestTimeout is the producers' request timeout, default
// prodlab.DefaultConfig().RequestTimeout.
func RequestTimeout(d time.Duration) Opt { return func(c *cfg) { c.requestTimeout = d } }

// Tuned describes the producers' timeouts when not the lab's, such as
// "request.timeout.ms=3000"; default "", which leaves exercise 1 unticked.
func Tuned(desc string) Opt { return func(c *cfg) { c.tuned = desc } }

// Direct is the path 02.4's copies and 02.6's compaction are read on.
// Required, with a bootstrap.
func Direct(p *direct.Path) Opt { return func(c *cfg) { c.direct = p } }

// VerifyEvery is the pause between background Verify runs, default 1s.
func VerifyEvery(d time.Duration) Opt { return func(c *cfg) { c.every = d } }

// Logger receives the recorder's logs, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// Recorder ticks the checkpoints from what the lab observes through API
// (for api.Observe) and Toxic (for toxi.Observe).
type Recorder struct {
	cfg       cfg
	stop      context.CancelFunc
	wg        sync.WaitGroup
	verifying sync.Mutex // one Verify at a time

	mu    sync.Mutex
	ticks map[ID]Tick
	// The toxics, as Toxic reports them.
	toxicsOn  *fifo[*toxic] // proxy/name → the toxic on now
	toxicsOff []*toxic      // toxics removed or replaced, newest last
	// What each rule gathers, in the seed's order; clear resets it.
	healthy     map[string]bool         // 02.0: engines whose /health answered 200
	syncParts   map[string]string       // 02.1: engine → where its sync send landed (ev.sync.part)
	accepted    *fifo[bool]             // 02.2: engine/requestId of async sends answered 202
	lostAcks    []lostAck               // 02.4: sync sends whose first ack was lost, to count
	heldCounts  map[string]string       // 02.4: engine/mode → the copy count that held
	explicit    *fifo[map[int32]bool]   // 02.5: topic → partitions reached by explicit sends
	keyEngines  *fifo[map[string]int32] // 02.5: topic\x00key → engine → partition it landed on
	sameKey     i18n.Msg                // 02.5: a key landed on one partition through two APIs
	keyVersions *fifo[[]landing]        // 02.6: topic\x00key → its last three versions, oldest first
	compactions *fifo[compactCandidate] // 02.6: topic\x00key → three versions to see compacted
	chosenKeys  *fifo[map[int32]bool]   // ex3: topic → partitions reached by chosen keys

	adm          *kadm.Client // on the direct path
	lastErr      string       // the last verification error logged
	compactReads atomic.Int64 // records the compaction checks read
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

type landing struct {
	partition int32
	offset    int64
	eventID   string
}

// New returns a recorder holding the ticks saved in its File and starts
// its Verify loop; Close stops it.
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
	cl, err := c.direct.Client()
	if err != nil {
		return nil, fmt.Errorf("progress: Direct: %w", err)
	}
	r.adm = kadm.NewClient(cl)
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	r.wg.Go(func() { r.loop(ctx) })
	return r, nil
}

// clear forgets every tick and all evidence; r.mu is held or r is new.
func (r *Recorder) clear() {
	r.ticks = map[ID]Tick{}
	r.toxicsOn, r.toxicsOff = newFIFO[*toxic](maxToxics), nil
	r.healthy, r.syncParts, r.heldCounts = map[string]bool{}, map[string]string{}, map[string]string{}
	r.accepted, r.lostAcks = newFIFO[bool](maxAccepted), nil
	r.explicit, r.keyEngines, r.sameKey = newFIFO[map[int32]bool](maxTopics), newFIFO[map[string]int32](maxKeys), i18n.Msg{}
	r.keyVersions, r.compactions = newFIFO[[]landing](maxKeys), newFIFO[compactCandidate](maxCompact)
	r.chosenKeys = newFIFO[map[int32]bool](maxTopics)
}

// Close stops the background checks.
func (r *Recorder) Close() {
	r.stop()
	r.wg.Wait()
	r.adm.Close()
}

// Report returns the table as it stands.
func (r *Recorder) Report() Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	return NewReport(maps.Clone(r.ticks))
}

// Reset forgets every tick and all evidence, in memory and in the File.
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
	r.ticks[id] = Tick{At: time.Now().UTC().Truncate(time.Second), How: m.In(i18n.EN), Msg: &m}
	r.cfg.logger.Info(i18n.T("progress.log.ticked"), "checkpoint", string(id), "how", m.String())
	if r.cfg.path != "" {
		if err := save(r.cfg.path, r.ticks); err != nil {
			r.cfg.logger.Error("cannot save the progress", "file", r.cfg.path, "err", err)
		}
	}
}

// answer is one answer of a producer API, as the rules read it.
type answer struct {
	api.Event
	start  time.Time         // when the request came in
	landed *prodlab.Delivery // what a sync 200 or an async delivery wrote, on topic
	topic  string
	failed bool // a sync 502 or 504, or a failed async delivery
}

// API observes one answer of a producer API; pass it to api.Observe. An
// answer to another origin's page (ev.Foreign) or to a warm-up send (the
// guide's WARM-…, validate's and experiment's …warm-up…) is no evidence.
func (r *Recorder) API(ev api.Event) {
	if ev.Foreign || strings.Contains(strings.ToLower(ev.EventID), "warm-") {
		return
	}
	a := answer{Event: ev, start: time.Now().Add(-ev.Elapsed)}
	d := ev.Delivery
	switch {
	case ev.Kind == api.Sent && (ev.Code == 502 || ev.Code == 504), ev.Kind == api.Delivered && d != nil && d.Err != nil:
		a.failed = true
	case (ev.Kind == api.Sent && ev.Code == 200 || ev.Kind == api.Delivered) && d != nil && d.Err == nil:
		a.landed, a.topic = d, cmp.Or(d.Topic, ev.Topic)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range Checkpoints {
		c.rule.observe(r, a)
	}
}

// Toxic observes one toxic change; pass it to toxi.Observe.
func (r *Recorder) Toxic(c toxiclient.Change) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.Reset {
		for _, k := range slices.Clone(r.toxicsOn.order) {
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
	if old, ok := r.toxicsOn.m[k]; ok {
		t.slowed = old.slowed // an update keeps what the toxic did
		r.retire(old, now)
	}
	r.toxicsOn.put(k, t)
}

// off ends the toxic k; removed: not lost with the proxies; r.mu is held.
func (r *Recorder) off(k string, now time.Time, removed bool) {
	t, ok := r.toxicsOn.m[k]
	if !ok {
		return
	}
	r.toxicsOn.del(k)
	r.retire(t, now)
	if !removed {
		return
	}
	for _, c := range Checkpoints {
		if tr, ok := c.rule.(toxicRule); ok {
			tr.removed(r, t)
		}
	}
}

// retire moves t, ended at now, to the toxics off; r.mu is held.
func (r *Recorder) retire(t *toxic, now time.Time) {
	t.until = now
	r.toxicsOff = append(r.toxicsOff, t)
	if len(r.toxicsOff) > maxToxics {
		r.toxicsOff = r.toxicsOff[len(r.toxicsOff)-maxToxics:]
	}
}

// toxicAt returns a toxic of type typ (on proxy, unless "") on at at
// that satisfies ok; r.mu is held.
func (r *Recorder) toxicAt(at time.Time, proxy, typ string, ok func(*toxic) bool) *toxic {
	for _, t := range slices.Concat(slices.Collect(maps.Values(r.toxicsOn.m)), r.toxicsOff) {
		if t.typ == typ && (proxy == "" || t.proxy == proxy) && t.covers(at) && ok(t) {
			return t
		}
	}
	return nil
}

func slowedBy(t *toxic, took time.Duration) bool {
	return t.latency >= minLatency && float64(took) >= slowShare*float64(t.latency)
}
