package progress

import (
	"strings"

	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/i18n"
)

// syncSend ticks 02.1 once a sync send landed through every API.
type syncSend struct{}

func (syncSend) observe(r *Recorder, a answer) {
	if a.Kind != api.Sent || a.landed == nil {
		return
	}
	r.syncParts[a.Engine] = i18n.M("ev.sync.part", "engine", a.Engine, "partition", a.landed.Partition, "offset", a.landed.Offset).In(i18n.EN)
	var parts []string
	for _, e := range r.cfg.engines {
		if r.syncParts[e] == "" {
			return
		}
		parts = append(parts, r.syncParts[e])
	}
	r.tick(SyncSend, i18n.M("ev.sync", "parts", strings.Join(parts, ", ")))
}
