package progress

import (
	"slices"
	"strings"

	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/i18n"
)

// health ticks 02.0 once every API's /health answered 200.
type health struct{}

func (health) observe(r *Recorder, a answer) {
	if a.Kind != api.Health || a.Code != 200 {
		return
	}
	r.healthy[a.Engine] = true
	if !slices.ContainsFunc(r.cfg.engines, func(e string) bool { return !r.healthy[e] }) {
		r.tick(Health, i18n.M("ev.health", "engines", strings.Join(r.cfg.engines, ", ")))
	}
}
