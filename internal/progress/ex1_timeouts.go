package progress

import (
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
)

// exTimeouts ticks exercise 1 when, under timeouts other than the lab's,
// a send came back OK although a latency toxic on proxy kafka, shorter
// than the request timeout, slowed it: its ack came in time, with no
// retry. A send without the toxic is no evidence.
type exTimeouts struct{}

func (exTimeouts) observe(r *Recorder, a answer) {
	if r.cfg.tuned == "" || a.landed == nil {
		return
	}
	t := r.toxicAt(a.start, proxyKafka, "latency", func(t *toxic) bool {
		return t.latency < r.cfg.requestTimeout && slowedBy(t, a.Elapsed)
	})
	if t != nil {
		r.tick(ExTimeouts, i18n.M("ev.exTimeouts", "engine", a.Engine, "sendMode", a.SendMode,
			"took", a.Elapsed.Round(time.Millisecond), "latency", t.latency, "tuned", r.cfg.tuned))
	}
}
