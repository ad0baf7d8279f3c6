package progress

import (
	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/i18n"
)

// asyncStatus ticks 02.2 once the status of an async send the lab
// accepted was polled past PENDING.
type asyncStatus struct{}

func (asyncStatus) observe(r *Recorder, a answer) {
	k := a.Engine + "/" + a.RequestID
	switch {
	case a.Kind == api.Sent && a.Code == 202 && a.SendMode == prodlab.Async:
		r.accepted.put(k, true)
	case a.Kind == api.Polled && a.Code == 200 && a.State != prodlab.Pending:
		if r.accepted.m[k] {
			r.tick(AsyncStatus, i18n.M("ev.async", "engine", a.Engine, "eventId", a.EventID, "state", a.State))
		}
	}
}
