package validate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

// ToxicName names the toxic a validate run puts on every proxy.
const ToxicName = "prodlab-validate-latency"

// Run warms every API up, then opens one lost-acknowledgement window per
// API and mode, in order, each after one more warm-up of its API and mode:
//
//  1. a downstream latency toxic on every proxy holds the brokers' answers;
//  2. one sync send with a fresh eventId starts;
//  3. once the broker holds the record, the window stays open until a
//     second copy appears or the send is older than target.Target.Hold;
//  4. the toxic goes; the run waits for the API's answer and counts the
//     copies of the eventId.
//
// It returns the report and Report.Err. It removes its toxic before
// returning, even when ctx is cancelled.
func (v *Validator) Run(ctx context.Context) (Report, error) {
	rep := Report{Topic: v.t.Topic()}
	conn, err := v.t.Connect(ctx)
	if err != nil {
		return rep, err
	}
	defer conn.Close()
	ends, err := direct.EndOffsets(ctx, conn.Admin, v.t.Topic())
	if err != nil {
		return rep, i18n.Errorf("validate.err.direct", "bootstrap", strings.Join(conn.Path.Bootstrap(), ","), "err", err)
	}
	partitions := slices.Sorted(maps.Keys(ends))
	for _, a := range v.t.APIs() {
		if err := v.warm(ctx, a, partitions); err != nil {
			return rep, err
		}
	}
	var faultable []target.API
	for _, a := range v.t.APIs() {
		switch nf, err := conn.Faultable(ctx, a, v.t.Topic()); {
		case err != nil:
			return rep, err
		case nf != nil:
			rep.NoFaults = append(rep.NoFaults, *nf)
			v.cfg.progress("%s: %s", nf.API, nf.Reason)
		default:
			faultable = append(faultable, a)
		}
	}
	if len(faultable) == 0 {
		return rep, i18n.Errorf("validate.err.noFaultable")
	}
	for _, a := range faultable {
		for _, m := range v.cfg.modes {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			r := v.window(ctx, conn, a, m, partitions)
			rep.Runs = append(rep.Runs, r)
			if ctx.Err() != nil {
				return rep, i18n.Errorf("validate.err.interrupted", "name", r.Name(), "err", ctx.Err())
			}
		}
	}
	return rep, rep.Err()
}

// sent is an API's answer to one send.
type sent struct {
	status int
	body   string
	err    error
	took   time.Duration
}

func (v *Validator) send(ctx context.Context, a target.API, mode prodlab.Mode, eventID string) sent {
	c, err := api.NewClient(a.URL)
	if err != nil {
		return sent{err: err}
	}
	start := time.Now()
	r, err := c.Send(ctx, api.SendParams{Mode: mode, SendMode: prodlab.Sync, EventID: eventID, Topic: v.t.Topic()})
	var ae *api.Error
	switch {
	case errors.As(err, &ae):
		return sent{status: ae.Status, body: ae.Body, took: time.Since(start)}
	case err != nil:
		return sent{err: i18n.Errorf("validate.err.send", "api", a.Name, "url", a.URL, "err", err), took: time.Since(start)}
	}
	return sent{status: http.StatusOK, body: r.Body, took: time.Since(start)}
}

// warm checks an API's health and warms it up on every partition
// (target.Target.Warm).
func (v *Validator) warm(ctx context.Context, a target.API, partitions []int32) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := api.NewClient(a.URL)
	if err != nil {
		return err
	}
	var ae *api.Error
	if err := c.Health(ctx); errors.As(err, &ae) {
		return i18n.Errorf("validate.err.unhealthy", "api", a.Name, "url", a.URL, "status", fmt.Sprintf("%d %s", ae.Status, http.StatusText(ae.Status)))
	} else if err != nil {
		return target.Unreachable(a, err)
	}
	if err := v.warmUp(ctx, a, v.cfg.modes, partitions); err != nil {
		return err
	}
	v.cfg.progress("%s", i18n.T("validate.step.warm", "api", a.Name, "url", a.URL))
	return nil
}

// warmUp sends one sync record per mode through a to every partition.
func (v *Validator) warmUp(ctx context.Context, a target.API, modes []prodlab.Mode, partitions []int32) error {
	return v.t.Warm(ctx, a, nil, modes, partitions, func(m prodlab.Mode) string {
		return fmt.Sprintf("validate-warm-up-%s-%s-%012x", a.Name, m, rand.Int64N(1<<48))
	})
}

// window runs one lost-acknowledgement window; see Run.
func (v *Validator) window(ctx context.Context, conn *target.Conn, a target.API, mode prodlab.Mode, partitions []int32) (res Result) {
	res = Result{API: a.Name, Mode: mode, EventID: fmt.Sprintf("validate-%s-%s-%012x", a.Name, mode, rand.Int64N(1<<48))}
	fail := func(format string, args ...any) Result {
		res.Err = res.Name() + ": " + fmt.Sprintf(format, args...)
		return res
	}
	// Step 0: the producer's connections are up again, whatever an earlier
	// window or another client's fault did to them: a connection opened
	// under the toxic cannot pass its version handshake.
	warmCtx, cancelWarm := context.WithTimeout(ctx, 30*time.Second)
	err := v.warmUp(warmCtx, a, []prodlab.Mode{mode}, partitions)
	cancelWarm()
	if err != nil {
		return fail("%v", err)
	}
	from, err := direct.EndOffsets(ctx, conn.Admin, v.t.Topic())
	if err != nil {
		return fail("%v", err)
	}
	rd, err := conn.Path.NewReader(v.t.Topic(), from, nil) // counts copies as they are written
	if err != nil {
		return fail("%v", err)
	}
	defer rd.Close()

	// Step 1: the toxic on every proxy there is now.
	ps, err := conn.Current(ctx)
	if err == nil {
		err = ps.AddToxic(ToxicName, "latency", "downstream", toxiclient.Attributes{"latency": v.latency().Milliseconds(), "jitter": 0})
	}
	if err != nil { // on no proxy
		return fail("%v", err)
	}
	remove := sync.OnceValue(func() error { return ps.RemoveToxic(ToxicName) })
	defer func() {
		if err := remove(); err != nil && res.Err == "" {
			res.Err = res.Name() + ": " + err.Error()
		}
	}()

	hold := v.t.Hold()
	v.cfg.progress("%s", i18n.T("validate.step.on", "name", res.Name(), "id", res.EventID))
	start := time.Now()
	answers := make(chan sent, 1)
	sendCtx, cancelSend := context.WithTimeout(ctx, 60*time.Second)
	defer cancelSend()
	go func() { answers <- v.send(sendCtx, a, mode, res.EventID) }()

	// Step 3: the broker holds the record, and the request timed out.
	var early *sent
	var werr error
	n := 0
	wctx, cancel := context.WithTimeout(ctx, hold+15*time.Second)
	err = wait.Until(wctx, func() bool {
		select {
		case s := <-answers:
			early = &s
			return true
		default:
		}
		pctx, cancel := context.WithTimeout(wctx, 100*time.Millisecond)
		defer cancel()
		if werr = rd.Poll(pctx, countCopies(res.EventID, &n)); werr != nil {
			return true
		}
		return n >= 1 && (n >= 2 || time.Since(start) >= hold)
	})
	cancel()
	switch {
	case ctx.Err() != nil:
		return fail("%s", i18n.T("validate.err.stopped"))
	case werr != nil:
		return fail("%s", i18n.T("validate.err.count", "err", werr))
	case early != nil && early.err != nil:
		return fail("%v", early.err)
	case early != nil && early.status != http.StatusOK:
		res.Status, res.Answer = early.status, early.body
		return fail("%s", i18n.T("validate.err.early", "status", early.status, "body", early.body))
	case early != nil:
		res.Status, res.Answer, res.Took = early.status, early.body, early.took
		// It answered while its responses were held: its traffic does not cross Toxiproxy.
		return fail("%s: %s", i18n.T("validate.bypass"), i18n.T("validate.err.bypassed", "took", early.took, "latency", v.latency()))
	case err != nil:
		return fail("%s", i18n.T("validate.err.neverReached", "took", time.Since(start)))
	}
	res.Window = time.Since(start)
	if err := remove(); err != nil {
		return fail("%v", err)
	}
	off := "validate.step.off"
	if n == 1 {
		off = "validate.step.off1"
	}
	v.cfg.progress("%s", i18n.T(off, "name", res.Name(), "window", res.Window, "n", n))

	// Step 4: the answer, then every record up to the end offsets.
	var s sent
	select {
	case s = <-answers:
	case <-ctx.Done():
		return fail("%s", i18n.T("validate.err.stopped"))
	}
	res.Status, res.Answer, res.Took = s.status, s.body, s.took
	if s.err != nil {
		return fail("%v", s.err)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ends, err := direct.EndOffsets(cctx, conn.Admin, v.t.Topic())
	if err != nil {
		return fail("%v", err)
	}
	recs, err := conn.Path.ReadRange(cctx, v.t.Topic(), from, ends)
	if err != nil {
		return fail("counting through the direct listener did not reach the end offsets: %v", err)
	}
	res.Copies = Copies(res.EventID, recs)
	return res
}
