package progress

import (
	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/i18n"
)

// latency ticks 02.3 when someone removes a latency toxic on proxy kafka
// that slowed a sync send while it was on.
type latency struct{}

func (latency) observe(r *Recorder, a answer) {
	if a.Kind != api.Sent || a.landed == nil || a.SendMode != prodlab.Sync {
		return
	}
	for _, t := range r.toxicsOn.m {
		if t.proxy == proxyKafka && t.typ == "latency" && t.slowed.ID == "" && t.covers(a.start) && slowedBy(t, a.Elapsed) {
			t.slowed = i18n.M("ev.latency", "engine", a.Engine, "took", a.Elapsed, "latency", t.latency)
		}
	}
}

func (latency) removed(r *Recorder, t *toxic) {
	if t.slowed.ID != "" {
		r.tick(Latency, t.slowed)
	}
}
