package bench

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
)

// Markdown writes the side-by-side table: one column per peer, each cell
// the range (min–max) over the repetitions.
func (r *ProcsReport) Markdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "Measured %s on %s/%s, %s (%d CPUs), %s. Load average %s at the start, %s at the end.\n\n",
		m.Date.UTC().Format("2006-01-02 15:04 MST"), m.OS, m.Arch, m.CPU, m.NumCPU, m.GoVersion, m.Load, m.LoadEnd)
	pin := "not pinned"
	if r.cfg.serverCPUs != "" {
		pin = "APIs pinned to CPU " + r.cfg.serverCPUs
	}
	fmt.Fprintf(w, "Mode %s, %d connections, unique eventIds; %v warm-up per API, %d interleaved repetitions of %v per cell; %s. "+
		"CPU per request is the API process's own utime+stime (/proc/<pid>/stat) over the requests it answered with success.\n\n",
		r.cfg.mode, r.cfg.conns, r.cfg.warmup, r.cfg.reps, r.cfg.duration, pin)
	fmt.Fprintf(w, "| | %s |\n|---|%s\n", strings.Join(r.Peers, " | "), strings.Repeat("---|", len(r.Peers)))
	row := func(label string, cell prodlab.SendMode, f func(Result) float64, format string) {
		fmt.Fprintf(w, "| %s, %s |", cell, label)
		for _, p := range r.Peers {
			cs := r.Cells[cell][p]
			if len(cs) == 0 {
				fmt.Fprint(w, " – |")
				continue
			}
			lo, hi := f(cs[0]), f(cs[0])
			for _, c := range cs[1:] {
				lo, hi = min(lo, f(c)), max(hi, f(c))
			}
			if fmt.Sprintf(format, lo) == fmt.Sprintf(format, hi) {
				fmt.Fprintf(w, " "+format+" |", lo)
			} else {
				fmt.Fprintf(w, " "+format+"–"+format+" |", lo, hi)
			}
		}
		fmt.Fprintln(w)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, cell := range []prodlab.SendMode{prodlab.Sync, prodlab.Async} {
		rate := "req/s"
		if cell == prodlab.Async {
			rate = "202/s"
		}
		row(rate, cell, func(c Result) float64 { return c.Rate }, "%.0f")
		row("CPU µs per request", cell, func(c Result) float64 { return float64(c.CPUPerSend()) / 1e3 }, "%.0f")
		row("p50 ms", cell, func(c Result) float64 { return ms(c.P50) }, "%.1f")
		row("p99 ms", cell, func(c Result) float64 { return ms(c.P99) }, "%.1f")
		row("errors", cell, func(c Result) float64 { return float64(c.Errors) }, "%.0f")
	}
	fmt.Fprintf(w, "| RSS after the run |")
	for _, p := range r.Peers {
		if rss, ok := r.RSS[p]; ok {
			fmt.Fprintf(w, " %s |", mib(rss))
		} else {
			fmt.Fprint(w, " – |")
		}
	}
	fmt.Fprintln(w)
}
