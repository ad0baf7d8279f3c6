package main

import (
	"context"
	"errors"
	"flag"
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

func init() {
	register("bench", "cmd.bench", runBench)
}

// benchConfig is the parsed configuration of 'prodlab bench'.
type benchConfig struct {
	opts       []bench.Opt
	out        string
	cpuProfile string
}

func benchFlags(args []string, stderr io.Writer) (benchConfig, error) {
	var c benchConfig
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
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
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	m, err := prodlab.ParseMode(*mode)
	if err != nil {
		return c, fmt.Errorf("-mode: %w", err)
	}
	var levels []int
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return c, fmt.Errorf("-concurrency: %q is not a whole number", s)
		}
		levels = append(levels, n)
	}
	names := prodlab.SplitList(*engines)
	if len(names) == 0 {
		return c, errors.New("-engines: name at least one engine")
	}
	c.opts = []bench.Opt{bench.Engines(names...), bench.Concurrency(levels...), bench.Duration(*dur), bench.Warmup(*warm),
		bench.Mode(m), bench.AsyncSends(*async), bench.AsyncConcurrency(*asyncConc), bench.Backoff(*backoff), bench.NoProxy(*noProxy), bench.Relay(*relay)}
	if *heapDir != "" {
		c.opts = append(c.opts, bench.HeapProfiles(*heapDir))
	}
	return c, nil
}

func runBench(ctx context.Context, args []string) error {
	c, err := benchFlags(args, os.Stderr)
	if err != nil {
		return err
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
	var b strings.Builder
	rep.Markdown(&b)
	fmt.Print(b.String())
	if c.out != "" {
		if err := os.WriteFile(c.out, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	for _, t := range rep.Targets() {
		if !t.Met {
			return &exitError{3, fmt.Errorf("%s: target %s %s missed: %s", t.Engine, t.Name, t.Want, t.Got)}
		}
	}
	return nil
}
