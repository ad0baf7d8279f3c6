package bench

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"
)

// Target is one target checked against a report.
type Target struct {
	Engine string
	Name   string
	Want   string
	Got    string
	Met    bool
}

// Targets checks every engine's figures against the lab's targets: the
// API/direct ratio at the highest concurrency measured, the async rate and
// the RSS after the async sends (at the last 202 and once drained).
func (r *Report) Targets() []Target {
	var ts []Target
	for _, e := range r.Engines {
		if n := len(e.Sync); n > 0 {
			row := e.Sync[n-1]
			ts = append(ts, Target{e.Engine, fmt.Sprintf("API/direct throughput at concurrency %d", row.Concurrency),
				fmt.Sprintf("≥ %.0f%%", TargetRatio*100), fmt.Sprintf("%.0f%%", row.Ratio()*100), row.Ratio() >= TargetRatio})
		}
		if a := e.Async; a != nil {
			ts = append(ts, Target{e.Engine, "async accepted/s", fmt.Sprintf("≥ %d", TargetAsyncRate),
				fmt.Sprintf("%.0f", a.Rate), a.Rate >= TargetAsyncRate})
			peak := max(a.AtEnd.RSS, a.Drained.RSS)
			ts = append(ts, Target{e.Engine, fmt.Sprintf("RSS after %s async sends", count(r.cfg.asyncSends)),
				fmt.Sprintf("< %s", mib(TargetRSS)), fmt.Sprintf("%s at the last 202, %s drained", mib(a.AtEnd.RSS), mib(a.Drained.RSS)),
				peak < TargetRSS})
		}
	}
	return ts
}

// Markdown writes the report as the tables of docs/performance.md.
func (r *Report) Markdown(w io.Writer) {
	m := r.Machine
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("Measured %s on %s/%s, %s (%d CPUs, GOMAXPROCS %d), %s. Load average %s at the start, %s at the end.\n\n",
		m.Date.Format("2006-01-02 15:04 MST"), m.OS, m.Arch, cmp.Or(m.CPU, "unknown CPU"), m.NumCPU, m.MaxProcs, m.GoVersion, m.Load, m.LoadEnd)
	if r.cfg.relay {
		p("Relay mode: the APIs reach a broker that advertises its own address through Toxiproxy and the relay, which rewrites broker addresses.\n\n")
	}
	p("Mode %s; each sync figure is %v of closed-loop load after a warm-up; every ratio compares two phases of the same run on the same lab.\n\n", r.cfg.mode, r.cfg.duration)
	for _, e := range r.Engines {
		p("### %s\n\n", e.Engine)
		p("| concurrency | API msg/s | API p50 | API p99 | direct msg/s | direct p50 | direct p99 | API/direct | CPU/msg API | CPU/msg direct |\n")
		p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, row := range e.Sync {
			p("| %d | %s | %s | %s | %s | %s | %s | %.0f%% | %s | %s |\n", row.Concurrency,
				rate(row.API), ms(row.API.P50), ms(row.API.P99), rate(row.Direct), ms(row.Direct.P50), ms(row.Direct.P99), row.Ratio()*100,
				us(row.API.CPUPerSend()), us(row.Direct.CPUPerSend()))
		}
		p("\n")
		if errs := syncErrors(e); errs != "" {
			p("Errors: %s\n\n", errs)
		}
		if len(e.NoProxy) > 0 {
			p("Direct producer without Toxiproxy (bare embedded broker): ")
			var parts []string
			for i, res := range e.NoProxy {
				parts = append(parts, fmt.Sprintf("c=%d %s msg/s (p50 %s, p99 %s)", e.Sync[i].Concurrency, rate(res), ms(res.P50), ms(res.P99)))
			}
			p("%s.\n\n", strings.Join(parts, "; "))
		}
		if a := e.Async; a != nil {
			p("Async, %d senders, %s sends accepted: **%.0f accepted/s** over %v (%.0f/s until the first 503). ",
				r.cfg.asyncConc, count(a.Sent), a.Rate, a.Elapsed.Round(time.Millisecond), a.BurstRate)
			if a.Sent > 0 {
				p("CPU %s per accepted send. ", us(a.CPUPerSend()))
			}
			p("%s 503 answers (each retried after %v), %d other errors; the last accepted sends finished %v later; the topic grew by %s records.\n\n",
				count(a.Rejected), r.cfg.backoff, a.Errors, a.Drain.Round(time.Millisecond), count(int(a.Written)))
			if a.FirstErr != nil {
				p("First error: `%v`\n\n", a.FirstErr)
			}
			p("| memory | before | at the last 202 | drained |\n|---|---:|---:|---:|\n")
			p("| RSS (VmRSS) | %s | %s | %s |\n", mib(a.Before.RSS), mib(a.AtEnd.RSS), mib(a.Drained.RSS))
			p("| peak RSS so far (VmHWM) | %s | %s | %s |\n", mib(a.Before.PeakRSS), mib(a.AtEnd.PeakRSS), mib(a.Drained.PeakRSS))
			p("| Go heap in use (after GC) | %s | %s | %s |\n\n", mib(a.Before.HeapInuse), mib(a.AtEnd.HeapInuse), mib(a.Drained.HeapInuse))
		}
	}
	p("### Targets\n\n| engine | target | wanted | measured | met |\n|---|---|---|---|---|\n")
	for _, t := range r.Targets() {
		met := "**no**"
		if t.Met {
			met = "yes"
		}
		p("| %s | %s | %s | %s | %s |\n", t.Engine, t.Name, t.Want, t.Got, met)
	}
}

func syncErrors(e EngineReport) string {
	var parts []string
	for _, row := range e.Sync {
		for _, x := range []struct {
			path string
			r    Result
		}{{"API", row.API}, {"direct", row.Direct}} {
			if x.r.Errors > 0 {
				parts = append(parts, fmt.Sprintf("%s c=%d: %d (first: %v)", x.path, row.Concurrency, x.r.Errors, x.r.FirstErr))
			}
		}
	}
	return strings.Join(parts, "; ")
}

func rate(r Result) string { return count(int(r.Rate + 0.5)) }

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// us formats d in microseconds.
func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)) }

// count formats n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
