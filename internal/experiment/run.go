package experiment

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/wait"
)

// outcome is what the client learnt of one send: Jepsen's ok, fail and
// info.
type outcome string

const (
	acked         outcome = "acked"         // the API answered 200
	failed        outcome = "failed"        // the API answered an error
	indeterminate outcome = "indeterminate" // no answer (timeout or broken connection)
)

// request is one send and what became of it.
type request struct {
	outcome outcome // "" until sent
	err     string  // the API's error or the client's, if any
	took    time.Duration
	copies  int
}

// row is one API × mode while it runs.
type row struct {
	api        target.API
	c          *api.Client
	mode       prodlab.Mode
	reqs       [][]request // per key, per sequence number
	violations int         // Row.OrderViolations
}

func (r *row) name() string { return r.api.Name + "." + string(r.mode) }

// Run sends N messages per API and mode, every row at once, while the
// schedule injects faults; then it reads the log back and classifies every
// request. progress, if set, is called after every send with the sends done
// and the total; calls are serialised. The schedule's toxics are removed
// before Run returns, even when ctx is cancelled.
func (e *Experiment) Run(ctx context.Context, progress func(done, total int)) (Report, error) {
	cfg, t := e.cfg, e.t
	sched, _ := lookup(cfg.schedule)
	rep := Report{Schedule: sched.Name(), Description: sched.Describe(), Topic: t.Topic(),
		RunID: fmt.Sprintf("e%08x", rand.Uint32()), N: cfg.n, Keys: cfg.keys, Rate: cfg.rate,
		SendTimeoutMs: cfg.sendTimeout.Milliseconds(), RequestTimeoutMs: t.RequestTimeout().Milliseconds()}

	conn, err := t.Connect(ctx)
	if err != nil {
		return rep, err
	}
	defer conn.Close()
	f := &Faults{proxies: conn.Current, restarter: cfg.restarter, RequestTimeout: t.RequestTimeout(),
		Hold: t.Hold(), active: map[string]bool{}}
	if err := checkRestarter(sched, f); err != nil {
		return rep, err
	}
	from, err := direct.EndOffsets(ctx, conn.Admin, t.Topic())
	if err != nil {
		return rep, i18n.Errorf("exp.err.direct", "bootstrap", strings.Join(conn.Path.Bootstrap(), ","), "err", err)
	}
	hc := &http.Client{Timeout: cfg.sendTimeout}
	for _, a := range t.APIs() {
		err := t.Warm(ctx, a, []httpjson.ClientOpt{httpjson.WithHTTPClient(hc)}, prodlab.Modes, nil, func(prodlab.Mode) string { return rep.RunID + ".warm-up" })
		if err != nil {
			return rep, err
		}
	}

	var rows []*row
	for _, a := range t.APIs() {
		nf, err := conn.Faultable(ctx, a, t.Topic())
		if err != nil {
			return rep, err
		}
		if nf != nil {
			rep.NoFaults = append(rep.NoFaults, *nf)
			continue
		}
		c, err := api.NewClient(a.URL, httpjson.WithHTTPClient(hc))
		if err != nil {
			return rep, err
		}
		for _, m := range prodlab.Modes {
			rows = append(rows, &row{api: a, c: c, mode: m})
		}
	}
	if len(rows) == 0 {
		return rep, i18n.Errorf("exp.err.noFaultable")
	}
	total := len(rows) * cfg.n
	var progMu sync.Mutex
	done, pending := 0, false // pending: a send is indeterminate
	onSent := func(rq request) {
		progMu.Lock()
		defer progMu.Unlock()
		done++
		pending = pending || rq.outcome == indeterminate
		if progress != nil {
			progress(done, total)
		}
	}

	// The schedule runs while the rows send; one that fails stops them.
	f.start = time.Now()
	rep.Started = f.start
	sendCtx, stopRows := context.WithCancel(ctx)
	defer stopRows()
	schedCtx, stopSched := context.WithCancel(ctx)
	var serr error
	var schedDone, rowsDone sync.WaitGroup
	schedDone.Go(func() {
		if serr = sched.run(schedCtx, f); serr != nil {
			stopRows()
		}
	})
	defer func() { _ = f.clear() }()
	for _, r := range rows {
		rowsDone.Go(func() { e.sendRow(sendCtx, rep.RunID, r, onSent) })
	}
	rowsDone.Wait()
	stopSched()
	schedDone.Wait()
	if err := f.clear(); err != nil {
		return rep, err
	}
	rep.Duration = time.Since(f.start)
	rep.Events = f.events // the schedule has returned
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if serr != nil {
		return rep, fmt.Errorf("schedule %s: %w", sched.Name(), serr)
	}

	// A producer may still retry an indeterminate send.
	ends, err := settle(ctx, conn.Admin, t.Topic(), pending, 2*f.Hold)
	if err != nil {
		return rep, err
	}
	recs, err := conn.Path.ReadRange(ctx, t.Topic(), from, ends)
	if err != nil {
		return rep, err
	}
	rep.Rows, rep.Unknown = classify(rows, recs, rep.RunID)
	return rep, nil
}

// eventID carries the ground truth: run, row, key and sequence number.
func eventID(run string, r *row, key, seq int) string {
	return fmt.Sprintf("%s.%s.k%03d.%07d", run, r.name(), key, seq)
}

// sendRow sends the row's messages: one goroutine per key, each key's in
// order, all keys sharing the row's rate.
func (e *Experiment) sendRow(ctx context.Context, run string, r *row, onSent func(request)) {
	cfg := e.cfg
	r.reqs = make([][]request, cfg.keys)
	for k := range r.reqs { // the keys share n, the first n%keys one request more
		r.reqs[k] = make([]request, (cfg.n-k+cfg.keys-1)/cfg.keys)
	}
	var tokens <-chan time.Time
	if cfg.rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(cfg.rate))
		defer t.Stop()
		tokens = t.C
	}
	var wg sync.WaitGroup
	for k := range r.reqs {
		wg.Go(func() {
			for seq := range r.reqs[k] {
				if tokens != nil {
					select {
					case <-tokens:
					case <-ctx.Done():
						return
					}
				}
				if ctx.Err() != nil {
					return
				}
				start := time.Now()
				_, err := r.c.Send(ctx, api.SendParams{Mode: r.mode, SendMode: prodlab.Sync,
					EventID: eventID(run, r, k, seq), Key: fmt.Sprintf("%s-k%03d", run, k), Topic: e.t.Topic()})
				rq := request{outcome: acked, took: time.Since(start)}
				var ae *api.Error
				switch {
				case errors.As(err, &ae):
					rq.outcome, rq.err = failed, ae.Error()
				case err != nil:
					rq.outcome, rq.err = indeterminate, errorText(err)
				}
				r.reqs[k][seq] = rq
				onSent(rq)
			}
		})
	}
	wg.Wait()
}

// settle returns the end offsets: at once unless a send is pending
// (indeterminate), else once they stay still for quiet (at most 60 s).
func settle(ctx context.Context, adm *kadm.Client, topic string, pending bool, quiet time.Duration) (map[int32]int64, error) {
	ends, err := direct.EndOffsets(ctx, adm, topic)
	if err != nil || !pending {
		return ends, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for still := time.Now(); time.Since(still) < quiet && time.Now().Before(deadline); {
		if err := wait.For(ctx, 200*time.Millisecond); err != nil {
			return nil, err
		}
		now, err := direct.EndOffsets(ctx, adm, topic)
		if err != nil {
			return nil, err
		}
		if !maps.Equal(now, ends) {
			ends, still = now, time.Now()
		}
	}
	return ends, nil
}

// parseEventID splits an experiment's eventId into its row name, key and
// sequence number.
func parseEventID(id, run string) (rowName string, key, seq int, ok bool) {
	parts := strings.Split(id, ".")
	if len(parts) != 5 || parts[0] != run || !strings.HasPrefix(parts[3], "k") {
		return "", 0, 0, false
	}
	k, err1 := strconv.Atoi(parts[3][1:])
	s, err2 := strconv.Atoi(parts[4])
	return parts[1] + "." + parts[2], k, s, err1 == nil && err2 == nil
}

// classify counts the copies of every request in recs and returns one
// Row per row, plus the number of this run's records that match no request.
func classify(rows []*row, recs []*kgo.Record, run string) ([]Row, int) {
	byName := map[string]*row{}
	for _, r := range rows {
		byName[r.name()] = r
	}
	type rk struct {
		row string
		key int
	}
	maxSeq := map[rk]int{}
	unknown := 0
	copies := Copies(recs)
	for _, rec := range recs {
		id := direct.EventID(rec)
		if !strings.HasPrefix(id, run+".") || id == run+".warm-up" {
			continue
		}
		name, k, s, ok := parseEventID(id, run)
		r := byName[name]
		if !ok || r == nil || k >= len(r.reqs) || s >= len(r.reqs[k]) {
			unknown++
			continue
		}
		r.reqs[k][s].copies = copies[id]
		// A copy of the highest sequence number so far is a duplicate,
		// not a reordering.
		if m, seen := maxSeq[rk{name, k}]; seen && s < m {
			r.violations++
		} else {
			maxSeq[rk{name, k}] = s
		}
	}
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		out = append(out, summarize(r))
	}
	return out, unknown
}

// Copies returns how many copies recs hold of each eventId, by
// prodlab.EveryCopy: an experiment mints one eventId per request.
func Copies(recs []*kgo.Record) map[string]int {
	sends := make([]prodlab.Send, len(recs))
	for i, r := range recs {
		sends[i] = prodlab.Send{EventID: direct.EventID(r)}
	}
	out := map[string]int{}
	for s, n := range prodlab.EveryCopy.Tally(sends) {
		out[s.EventID] = n
	}
	return out
}

// errorText strips the URL from a client error, so that equal errors
// count together.
func errorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
