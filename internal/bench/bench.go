// Package bench measures the producer APIs against the engines they wrap
// (sync sends through HTTP versus the engine itself, async acceptance, the
// memory after a million async sends) on embedded labs, through Toxiproxy.
package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/wait"
)

// The targets a Report is checked against (see Report.Targets).
const (
	TargetRatio     = 0.5
	TargetAsyncRate = 20000
	TargetRSS       = 200 << 20
)

// cfg is the configuration of Run and RunProcs; defaults live in newCfg.
type cfg struct {
	engines     []string
	concurrency []int
	duration    time.Duration
	warmup      time.Duration
	mode        prodlab.Mode
	asyncSends  int
	asyncConc   int
	backoff     time.Duration
	noProxy     bool
	relay       bool
	progress    io.Writer
	heapDir     string
	// RunProcs only.
	peers      []Peer
	reps       int
	conns      int
	serverCPUs string
	profileDir string
}

// Opt configures Run or RunProcs; each ignores the options it does not read.
type Opt func(*cfg)

// Engines sets the engines to measure, default every registered engine.
func Engines(names ...string) Opt { return func(c *cfg) { c.engines = names } }

// Concurrency sets the sync concurrency levels, default 1, 16 and 64.
func Concurrency(levels ...int) Opt { return func(c *cfg) { c.concurrency = levels } }

// Duration sets each sync phase's (RunProcs: cell's) length, default 5s (15s).
func Duration(d time.Duration) Opt { return func(c *cfg) { c.duration = d } }

// Warmup sets the load before each sync phase, default 500ms; RunProcs:
// the sync load each peer gets once before any measure, default 30s.
func Warmup(d time.Duration) Opt { return func(c *cfg) { c.warmup = d } }

// Mode sets the producer mode of every send, default prodlab.Idempotent.
func Mode(m prodlab.Mode) Opt { return func(c *cfg) { c.mode = m } }

// AsyncSends sets the async sends to get accepted, default 1,000,000; 0 skips.
func AsyncSends(n int) Opt { return func(c *cfg) { c.asyncSends = n } }

// AsyncConcurrency sets the async senders, default 64.
func AsyncConcurrency(n int) Opt { return func(c *cfg) { c.asyncConc = n } }

// Backoff sets the wait after a 503 before a retry, default 10ms.
func Backoff(d time.Duration) Opt { return func(c *cfg) { c.backoff = d } }

// NoProxy also measures each engine on a bare broker, default true.
func NoProxy(on bool) Opt { return func(c *cfg) { c.noProxy = on } }

// Relay runs each lab in relay mode (lab.Relayed), default false.
func Relay(on bool) Opt { return func(c *cfg) { c.relay = on } }

// Progress receives one line per phase (RunProcs: cell), default none.
func Progress(w io.Writer) Opt { return func(c *cfg) { c.progress = w } }

// HeapProfiles writes dir/heap-<engine>.pprof at the last 202, default none.
func HeapProfiles(dir string) Opt { return func(c *cfg) { c.heapDir = dir } }

// Peers sets the APIs RunProcs measures side by side; at least one.
func Peers(p ...Peer) Opt { return func(c *cfg) { c.peers = p } }

// Repetitions sets RunProcs's interleaved repetitions, default 3.
func Repetitions(n int) Opt { return func(c *cfg) { c.reps = n } }

// Connections sets RunProcs's senders, one connection each, default 64.
func Connections(n int) Opt { return func(c *cfg) { c.conns = n } }

// ServerCPUs pins RunProcs's peers with taskset -c list, default none.
func ServerCPUs(list string) Opt { return func(c *cfg) { c.serverCPUs = list } }

// ProfileDir writes each {pprof} peer's first cells' profiles to
// dir/<peer>-<cell>-{cpu,allocs}.pprof, creating dir, default none.
func ProfileDir(dir string) Opt { return func(c *cfg) { c.profileDir = dir } }

// Report holds every figure of one run.
type Report struct {
	Machine Machine
	Engines []EngineReport
	cfg     cfg // the run's settings
}

// EngineReport holds one engine's figures: per concurrency one sync row
// and one bare broker Result (if measured); the async phase (if run).
type EngineReport struct {
	Engine  string
	Sync    []SyncRow
	NoProxy []Result
	Async   *Async
}

// SyncRow compares sync sends through the API with direct produces.
type SyncRow struct {
	Concurrency int
	API, Direct Result
}

// Ratio is the API's throughput over the direct producer's.
func (r SyncRow) Ratio() float64 {
	if r.Direct.Rate == 0 {
		return 0
	}
	return r.API.Rate / r.Direct.Rate
}

// Async is the outcome of the async phase.
type Async struct {
	// Result's Sent are the 202s, its Errors any other failure but a 503
	// (not retried); Rejected counts the 503s, each retried after the
	// backoff, and BurstRate the 202s per second until the first one.
	Result
	Rejected  int
	BurstRate float64
	// Drain is how long the accepted sends then took to get their outcome,
	// Written how much the topic's end offsets grew by.
	Drain   time.Duration
	Written int64
	// The memory before the phase, at the last 202, and once drained.
	Before, AtEnd, Drained Memory
}

// Run measures each engine in turn, each on its own embedded lab.
func Run(ctx context.Context, opts ...Opt) (*Report, error) {
	c, err := newCfg(opts, 500*time.Millisecond, 5*time.Second)
	if err != nil {
		return nil, err
	}
	rep := &Report{Machine: machine(), cfg: c}
	for _, name := range c.engines {
		er, err := runEngine(ctx, &c, name)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", name, err)
		}
		rep.Engines = append(rep.Engines, er)
		debug.FreeOSMemory() // the next engine starts from the same footing
	}
	rep.Machine.LoadEnd = loadavg()
	return rep, nil
}

// newCfg applies opts over the defaults and checks the result.
func newCfg(opts []Opt, warmup, duration time.Duration) (cfg, error) {
	c := cfg{engines: engine.Names(), concurrency: []int{1, 16, 64}, duration: duration, warmup: warmup,
		mode: prodlab.Idempotent, asyncSends: 1000000, asyncConc: 64, backoff: 10 * time.Millisecond,
		noProxy: true, progress: io.Discard, reps: 3, conns: 64}
	for _, o := range opts {
		o(&c)
	}
	var errs []error
	if len(c.engines) == 0 {
		errs = append(errs, errors.New("no engine to measure"))
	}
	for _, e := range c.engines {
		if !slices.Contains(engine.Names(), e) {
			errs = append(errs, fmt.Errorf("engine %q is not registered: %v", e, engine.Names()))
		}
	}
	if len(c.concurrency) == 0 {
		errs = append(errs, errors.New("no concurrency level"))
	}
	for _, n := range slices.Concat(c.concurrency, []int{c.asyncConc, c.conns}) {
		if n < 1 || n > 4096 {
			errs = append(errs, fmt.Errorf("concurrency %d is outside 1..4096", n))
		}
	}
	if c.duration <= 0 || c.warmup < 0 {
		errs = append(errs, errors.New("duration must be positive and warm-up not negative"))
	}
	if _, err := prodlab.ParseMode(string(c.mode)); err != nil {
		errs = append(errs, err)
	}
	if c.asyncSends < 0 {
		errs = append(errs, fmt.Errorf("async sends %d is negative", c.asyncSends))
	}
	if c.backoff < 0 {
		errs = append(errs, errors.New("backoff is negative"))
	}
	if c.reps < 1 {
		errs = append(errs, fmt.Errorf("repetitions %d: want at least 1", c.reps))
	}
	return c, errors.Join(errs...)
}

// benchTopicConfigs keeps the bench topic's log small, so that the memory
// measured is the API's: kfake drops only whole (100 MiB) segments.
var benchTopicConfigs = map[string]*string{"retention.bytes": new("1048576"), "segment.bytes": new("1048576")}

func runEngine(ctx context.Context, c *cfg, name string) (EngineReport, error) {
	er := EngineReport{Engine: name}
	lc := lab.EphemeralConfig()
	lc.APIPorts[name] = 0
	var own *broker.Cluster // the relay's cluster, which the lab does not run
	if c.relay {
		var err error
		if own, err = broker.Start(); err != nil {
			return er, err
		}
		defer own.Close()
		lc.External, lc.Faults = own.DirectAddrs(), lab.Relayed
	}
	b, err := openLab(ctx, lc, own)
	if err != nil {
		return er, err
	}
	defer b.close()
	a := b.APIs()[0]
	hc := httpClient(max(c.asyncConc, slices.Max(c.concurrency)))
	defer hc.CloseIdleConnections()
	viaAPI := c.apiSend(hc, a.URL, b.topic, prodlab.Sync, "api")
	viaEngine := directSend(a.Engine, b.topic, c.mode, "direct")
	for _, n := range c.concurrency {
		row := SyncRow{Concurrency: n, API: c.phase(ctx, n, viaAPI), Direct: c.phase(ctx, n, viaEngine)}
		if err := ctx.Err(); err != nil {
			return er, err
		}
		fmt.Fprintf(c.progress, "%s sync c=%d: api %.0f/s p50 %v p99 %v cpu %v/msg (%d errors) | direct %.0f/s p50 %v p99 %v cpu %v/msg (%d errors) | ratio %.2f\n",
			name, n, row.API.Rate, row.API.P50, row.API.P99, row.API.CPUPerSend(), row.API.Errors,
			row.Direct.Rate, row.Direct.P50, row.Direct.P99, row.Direct.CPUPerSend(), row.Direct.Errors, row.Ratio())
		er.Sync = append(er.Sync, row)
	}
	if c.noProxy {
		if er.NoProxy, err = runNoProxy(ctx, c, name); err != nil {
			return er, fmt.Errorf("without toxiproxy: %w", err)
		}
	}
	if c.asyncSends > 0 {
		as, err := runAsync(ctx, c, hc, a, b.adm, b.topic)
		if err != nil {
			return er, err
		}
		er.Async = as
		fmt.Fprintf(c.progress, "%s async: %d accepted in %v = %.0f/s (burst %.0f/s), %d 503s, %d errors, drained in %v; RSS %s at end, %s drained, heap %s\n",
			name, as.Sent, as.Elapsed.Round(time.Millisecond), as.Rate, as.BurstRate, as.Rejected, as.Errors,
			as.Drain.Round(time.Millisecond), mib(as.AtEnd.RSS), mib(as.Drained.RSS), mib(as.Drained.HeapInuse))
	}
	return er, nil
}

// benchLab is a lab open for a run, with a fresh topic on its cluster.
type benchLab struct {
	*lab.Lab
	topic string
	adm   *kadm.Client // on the direct path
	stop  func()       // ends the topic's trimming and closes adm
}

// openLab opens a lab on cfg, waits until its APIs are ready and creates
// the run's topic; own is the cluster to trim when the lab runs none.
func openLab(ctx context.Context, cfg lab.Config, own *broker.Cluster) (*benchLab, error) {
	l, err := lab.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b := &benchLab{Lab: l, topic: fmt.Sprintf("prodlab-bench-%d", time.Now().UnixNano())}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err = l.WaitReady(ctx); err == nil {
		b.adm, b.stop, err = newTopic(ctx, l.Direct(), cmp.Or(own, l.Cluster()), b.topic)
	}
	if err != nil {
		b.stop = func() {}
		b.close()
		return nil, err
	}
	return b, nil
}

// close ends the topic's trimming and closes its admin client, then the lab.
func (b *benchLab) close() {
	b.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b.Close(ctx)
}

// runNoProxy measures the engine producing to a bare embedded broker that
// advertises its own address, so no byte crosses Toxiproxy.
func runNoProxy(ctx context.Context, c *cfg, name string) ([]Result, error) {
	cl, err := broker.Start()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	path, err := direct.New(direct.Bootstrap(cl.DirectAddrs()...))
	if err != nil {
		return nil, err
	}
	_, stop, err := newTopic(ctx, path, cl, "prodlab-bench")
	if err != nil {
		return nil, err
	}
	defer stop()
	pc := prodlab.DefaultConfig()
	pc.Bootstrap = cl.DirectAddrs()
	eng, err := engine.New(name, pc)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if wait.Until(readyCtx, func() bool {
		try, cancel := context.WithTimeout(readyCtx, 5*time.Second)
		defer cancel()
		err = eng.Ready(try)
		return err == nil
	}) != nil {
		return nil, err
	}
	send := directSend(eng, "prodlab-bench", c.mode, "noproxy")
	var out []Result
	for _, n := range c.concurrency {
		r := c.phase(ctx, n, send)
		fmt.Fprintf(c.progress, "%s direct without toxiproxy c=%d: %.0f/s p50 %v p99 %v (%d errors)\n", name, n, r.Rate, r.P50, r.P99, r.Errors)
		out = append(out, r)
	}
	return out, ctx.Err()
}

// runAsync posts async sends, as sendAsync does, until c.asyncSends are
// accepted.
func runAsync(ctx context.Context, c *cfg, hc *http.Client, a *lab.API, adm *kadm.Client, topic string) (*Async, error) {
	as := &Async{}
	before, err := endOffsets(ctx, adm, topic)
	if err != nil {
		return nil, err
	}
	debug.FreeOSMemory()
	if as.Before, err = readMemory(); err != nil {
		return nil, err
	}
	cl, err := api.NewClient(a.URL, httpjson.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	var accepted, rejected atomic.Int64
	var burstOnce sync.Once
	start := time.Now()
	res := load(ctx, c.asyncConc, 0, forCount(int64(c.asyncSends)), func(ctx context.Context, w, seq int) error {
		p := api.SendParams{Mode: c.mode, SendMode: prodlab.Async, Topic: topic, EventID: fmt.Sprintf("async-%d-%d", w, seq)}
		r, err := sendAsync(ctx, cl, p, c.backoff, func() {
			burstOnce.Do(func() { as.BurstRate = float64(accepted.Load()) / time.Since(start).Seconds() })
			rejected.Add(1)
		})
		if err == nil && r.Status != "ACCEPTED" {
			err = fmt.Errorf("async send answered %s: %s", r.Status, r.Body)
		}
		if err == nil {
			accepted.Add(1)
		}
		return err
	})
	as.Result, as.Rejected = res, int(rejected.Load())
	if as.BurstRate == 0 {
		as.BurstRate = as.Rate
	}
	if as.AtEnd, err = readMemory(); err != nil {
		return nil, err
	}
	if c.heapDir != "" {
		f, err := os.Create(filepath.Join(c.heapDir, "heap-"+a.Engine.Name()+".pprof"))
		if err == nil {
			err = cmp.Or(pprof.WriteHeapProfile(f), f.Close())
		}
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Drained: every accepted send has its outcome in the status store.
	flushCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := a.Engine.Flush(flushCtx); err != nil {
		return nil, fmt.Errorf("flush after async sends: %w", err)
	}
	if err := wait.Until(flushCtx, func() bool { pending, _ := a.Store.Counts(); return pending == 0 }); err != nil {
		return nil, fmt.Errorf("async sends still pending: %w", err)
	}
	as.Drain = time.Since(start) - as.Elapsed
	after, err := endOffsets(ctx, adm, topic)
	if err != nil {
		return nil, err
	}
	as.Written = after - before
	if as.Drained, err = readMemory(); err != nil {
		return nil, err
	}
	return as, nil
}

// endOffsets returns the sum of topic's end offsets.
func endOffsets(ctx context.Context, adm *kadm.Client, topic string) (int64, error) {
	ends, err := direct.EndOffsets(ctx, adm, topic)
	var sum int64
	for _, o := range ends {
		sum += o
	}
	return sum, err
}

// trimEvery applies the topics' retention on cl, if any, now and every
// 500ms until stop.
func trimEvery(cl *broker.Cluster) (stop func()) {
	if cl == nil {
		return func() {}
	}
	cl.Kfake().ApplyRetention()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for wait.For(ctx, 500*time.Millisecond) == nil {
			cl.Kfake().ApplyRetention()
		}
	})
	return func() { cancel(); wg.Wait() }
}

// newTopic creates topic (3 partitions, benchTopicConfigs) on path's
// cluster, waits for its leaders and trims cl every 500ms; stop ends the
// trimming and closes the admin client it returns.
func newTopic(ctx context.Context, path *direct.Path, cl *broker.Cluster, topic string) (_ *kadm.Client, stop func(), _ error) {
	kc, err := path.Client()
	if err != nil {
		return nil, nil, err
	}
	adm := kadm.NewClient(kc)
	resp, err := adm.CreateTopic(ctx, prodlab.DefaultPartitions, -1, benchTopicConfigs, topic)
	if err = cmp.Or(err, resp.Err); err != nil {
		kc.Close()
		return nil, nil, fmt.Errorf("create topic %s: %w", topic, err)
	}
	if _, err := direct.WaitLeaders(ctx, adm, topic, prodlab.DefaultPartitions); err != nil {
		kc.Close()
		return nil, nil, fmt.Errorf("topic %s has no leaders: %w", topic, err)
	}
	stopTrim := trimEvery(cl)
	return adm, func() { stopTrim(); kc.Close() }, nil
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
