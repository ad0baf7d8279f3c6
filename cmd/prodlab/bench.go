package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/bench"
	"github.com/prodlab/prodlab/internal/engine"
)

type benchConfig struct {
	opts       []bench.Opt
	out        string
	cpuProfile string
	// procs runs the side-by-side benchmark instead.
	procs bool
}

func benchFlags(args []string, stderr io.Writer) (benchConfig, error) {
	var c benchConfig
	fs := newFlagSet("bench", stderr, "")
	engines := fs.String("engines", strings.Join(engine.Names(), ","), "engines to measure, comma-separated")
	conc := fs.String("concurrency", "1,16,64", "sync concurrency levels, comma-separated")
	dur := fs.Duration("duration", 5*time.Second, "measured time of each sync phase")
	warm := fs.Duration("warmup", 500*time.Millisecond, "unmeasured load before each sync phase")
	mode := fs.String("mode", string(prodlab.Idempotent), "producer mode: plain or idempotent")
	async := fs.Int("async", 1000000, "async sends to get accepted (0 skips the async phase)")
	asyncConc := fs.Int("async-concurrency", 64, "concurrent async senders")
	backoff := fs.Duration("backoff", 10*time.Millisecond, "wait after a 503 before an async sender retries")
	noProxy := fs.Bool("no-proxy", true, "also measure the direct producer without Toxiproxy")
	relay := fs.Bool("relay", false, "run the lab in relay mode: Toxiproxy and the relay, which rewrites broker addresses, in front of a broker that advertises its own address")
	fs.StringVar(&c.out, "out", "", "also write the Markdown report to this file")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a pprof CPU profile of the whole run to this file")
	heapDir := fs.String("heapprofile-dir", "", "write heap-<engine>.pprof, taken after the last async 202, to this directory")
	procs := fs.Bool("procs", false, "instead: run each engine's API (and each --peer) in its own process against one lab, side by side")
	var peers []bench.Peer
	fs.Func("peer", "with --procs: another API, as name=shell command ({addr} {port} {bootstrap} {pprof} are filled in; SERVER_PORT and KAFKA_BOOTSTRAP_SERVERS are set), repeatable", func(v string) error {
		p, err := bench.ParsePeer(v)
		if err == nil {
			peers = append(peers, p)
		}
		return err
	})
	peerWarm := fs.Duration("peer-warmup", 30*time.Second, "with --procs: sync load each API gets before any measure")
	cell := fs.Duration("cell", 15*time.Second, "with --procs: measured time of each cell")
	reps := fs.Int("reps", 3, "with --procs: interleaved repetitions")
	conns := fs.Int("connections", 64, "with --procs: concurrent senders")
	serverCPUs := fs.String("server-cpus", "", "with --procs: pin the APIs to these CPUs with taskset, e.g. 1 (run the bench itself under taskset -c 0)")
	profDir := fs.String("profile-dir", "", "with --procs: write CPU and allocation profiles of each API's first sync and async cells here")
	quick := fs.Bool("quick", false, "with --procs: 5s warm-up, 5s cells, 1 repetition")
	if err := parseNoArgs(fs, args); err != nil {
		return c, err
	}
	m, err := prodlab.ParseMode(*mode)
	if err != nil {
		return c, usageError("api.mode.bad", "value", strconv.Quote(*mode))
	}
	names := prodlab.SplitList(*engines)
	for _, e := range names {
		if err := engine.Check(e); err != nil {
			return c, err
		}
	}
	if *procs {
		if *quick {
			*peerWarm, *cell, *reps = 5*time.Second, 5*time.Second, 1
		}
		exe, err := os.Executable()
		if err != nil {
			return c, err
		}
		var all []bench.Peer
		for _, e := range names {
			all = append(all, bench.GoPeer(exe, e))
		}
		all = append(all, peers...)
		c.procs, c.opts = true, []bench.Opt{bench.Peers(all...), bench.Warmup(*peerWarm), bench.Duration(*cell),
			bench.Repetitions(*reps), bench.Connections(*conns), bench.Mode(m), bench.ServerCPUs(*serverCPUs), bench.ProfileDir(*profDir)}
		return c, nil
	}
	var levels []int
	for _, s := range prodlab.SplitList(*conc) {
		n, err := strconv.Atoi(s)
		if err != nil {
			return c, usageError("cfg.notInt", "env", "--concurrency", "value", strconv.Quote(s))
		}
		levels = append(levels, n)
	}
	c.opts = []bench.Opt{bench.Engines(names...), bench.Concurrency(levels...), bench.Duration(*dur), bench.Warmup(*warm),
		bench.Mode(m), bench.AsyncSends(*async), bench.AsyncConcurrency(*asyncConc), bench.Backoff(*backoff), bench.NoProxy(*noProxy),
		bench.Relay(*relay), bench.HeapProfiles(*heapDir)}
	return c, nil
}

func benchRun(ctx context.Context, c benchConfig, stdout io.Writer) error {
	if c.procs {
		rep, err := bench.RunProcs(ctx, append(c.opts, bench.Progress(os.Stderr))...)
		if rep == nil {
			return err
		}
		return cmp.Or(err, c.report(stdout, rep.Markdown))
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := bench.Run(ctx, append(c.opts, bench.Progress(os.Stderr))...)
	if err != nil {
		return err
	}
	if err := c.report(stdout, rep.Markdown); err != nil {
		return err
	}
	for _, t := range rep.Targets() {
		if !t.Met {
			return &exitError{3, fmt.Errorf("%s: target %s %s missed: %s", t.Engine, t.Name, t.Want, t.Got)}
		}
	}
	return nil
}

// report prints a Markdown report, and writes it to --out if given.
func (c benchConfig) report(stdout io.Writer, markdown func(io.Writer)) error {
	var b strings.Builder
	markdown(&b)
	io.WriteString(stdout, b.String())
	if c.out == "" {
		return nil
	}
	return os.WriteFile(c.out, []byte(b.String()), 0o644)
}
