package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/validate"
)

// ValidateFunc runs Lab 02.4's validation, calling progress with a line
// per step; it returns the report even with the error of a failed one.
type ValidateFunc func(ctx context.Context, progress func(line string)) (validate.Report, error)

// ExperimentFunc runs an experiment of n messages per engine and mode under
// schedule, calling progress as sends complete.
type ExperimentFunc func(ctx context.Context, schedule string, n int, progress func(done, total int)) (experiment.Report, error)

// Validate lets the page run Lab 02.4's validation through fn.
func Validate(fn ValidateFunc) Opt { return func(c *cfg) { c.validate = fn } }

// Experiment lets the page run experiments through fn under the given
// schedules (default ack-loss).
func Experiment(fn ExperimentFunc, schedules ...string) Opt {
	return func(c *cfg) {
		c.experiment = fn
		if len(schedules) > 0 {
			c.schedules = schedules
		}
	}
}

// Bounds of the runs started from the page.
const (
	MaxExperimentN = 2000        // messages per engine × mode of an experiment
	maxLogLines    = 50          // progress lines a run keeps
	cancelWait     = time.Minute // how long Close waits for a run to end
)

// run is one validation or experiment started from the page.
type run struct {
	ID         int                `json:"id"`
	Kind       string             `json:"kind"` // validate or experiment
	Schedule   string             `json:"schedule,omitempty"`
	N          int                `json:"n,omitempty"`
	State      string             `json:"state"` // running, ok or failed
	Done       int                `json:"done"`
	Total      int                `json:"total"`
	Started    time.Time          `json:"started"`
	Finished   *time.Time         `json:"finished,omitempty"`
	Error      string             `json:"error,omitempty"`
	Log        []string           `json:"log"` // the last maxLogLines progress lines
	Validate   *validate.Report   `json:"validate,omitempty"`
	Experiment *experiment.Report `json:"experiment,omitempty"`
}

// runner runs one validation or experiment at a time: both put toxics on
// the same proxies.
type runner struct {
	mu   sync.Mutex
	cur  *run
	last int
	stop context.CancelFunc
	done chan struct{} // closed when the current run has ended
}

func (rn *runner) snapshot() *run {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.cur == nil {
		return nil
	}
	c := *rn.cur
	c.Log = append([]string{}, c.Log...)
	return &c
}

// runFunc runs a validation or an experiment, reporting lines or sends
// done, and returns its outcome.
type runFunc func(ctx context.Context, line func(string), count func(done, total int)) (*validate.Report, *experiment.Report, error)

// start begins a run unless one is running.
func (rn *runner) start(kind, schedule string, n int, fn runFunc) (run, bool) {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.cur != nil && rn.cur.State == "running" {
		return *rn.cur, false
	}
	rn.last++
	r := &run{ID: rn.last, Kind: kind, Schedule: schedule, N: n, State: "running", Started: time.Now(), Log: []string{}}
	rn.cur = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	rn.stop, rn.done = cancel, done
	go func() {
		defer close(done)
		defer cancel()
		v, e, err := fn(ctx, func(line string) {
			rn.mu.Lock()
			r.Log = append(r.Log, line)
			if len(r.Log) > maxLogLines {
				r.Log = append(r.Log[:0:0], r.Log[len(r.Log)-maxLogLines:]...)
			}
			rn.mu.Unlock()
		}, func(done, total int) {
			rn.mu.Lock()
			r.Done, r.Total = done, total
			rn.mu.Unlock()
		})
		rn.mu.Lock()
		defer rn.mu.Unlock()
		now := time.Now()
		r.Finished, r.Validate, r.Experiment = &now, v, e
		r.State = "ok"
		if err != nil {
			r.State, r.Error = "failed", err.Error()
		}
	}()
	return *r, true
}

// cancel stops the current run and waits for it to end, its toxics
// removed.
func (rn *runner) cancel() {
	rn.mu.Lock()
	stop, done := rn.stop, rn.done
	rn.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	select {
	case <-done:
	case <-time.After(cancelWait):
	}
}

// RunCreate starts a validation (kind=validate) or an experiment
// (kind=experiment, schedule, n) and answers 202 with the run; 409 if one
// is already running.
func (s *Server) RunCreate(w http.ResponseWriter, r *http.Request) {
	q, ok := query(w, r, "kind", "schedule", "n")
	if !ok {
		return
	}
	var (
		fn       runFunc
		schedule string
		n        int
	)
	switch kind := q.Get("kind"); kind {
	case "validate":
		if q.Has("schedule") || q.Has("n") {
			fail(w, r, http.StatusBadRequest, "kind", "console.err.validateArgs")
			return
		}
		if s.cfg.validate == nil {
			fail(w, r, http.StatusServiceUnavailable, "", "console.err.noValidate")
			return
		}
		fn = func(ctx context.Context, line func(string), _ func(int, int)) (*validate.Report, *experiment.Report, error) {
			rep, err := s.cfg.validate(ctx, line)
			return &rep, nil, err
		}
	case "experiment":
		if s.cfg.experiment == nil {
			fail(w, r, http.StatusServiceUnavailable, "", "console.err.noExperiment")
			return
		}
		schedule = q.Get("schedule")
		if !slices.Contains(s.cfg.schedules, schedule) {
			fail(w, r, http.StatusBadRequest, "schedule", "console.err.schedule", "schedule", strconv.Quote(schedule), "schedules", strings.Join(s.cfg.schedules, ", "))
			return
		}
		if n, ok = intParam(w, r, q, "n", 50, 1, MaxExperimentN); !ok {
			return
		}
		fn = func(ctx context.Context, _ func(string), count func(int, int)) (*validate.Report, *experiment.Report, error) {
			rep, err := s.cfg.experiment(ctx, schedule, n, count)
			return nil, &rep, err
		}
	case "":
		fail(w, r, http.StatusBadRequest, "kind", "console.err.kindRequired")
		return
	default:
		fail(w, r, http.StatusBadRequest, "kind", "console.err.kind", "kind", strconv.Quote(kind))
		return
	}
	cur, started := s.runs.start(q.Get("kind"), schedule, n, fn)
	if !started {
		fail(w, r, http.StatusConflict, "", "console.err.running", "kind", cur.Kind, "run", cur.ID)
		return
	}
	httpjson.Write(w, http.StatusAccepted, cur)
}

// RunShow reports the current or last run, 204 if none.
func (s *Server) RunShow(w http.ResponseWriter, r *http.Request) {
	if _, ok := query(w, r); !ok {
		return
	}
	cur := s.runs.snapshot()
	if cur == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	httpjson.Write(w, http.StatusOK, cur)
}
