package progress

import (
	"fmt"
	"time"

	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/i18n"
)

// exTimeout ticks exercise 2 when a send that started under a timeout
// toxic failed.
type exTimeout struct{}

func (exTimeout) observe(r *Recorder, a answer) {
	if !a.failed {
		return
	}
	t := r.toxicAt(a.start, "", "timeout", func(*toxic) bool { return true })
	if t == nil {
		return
	}
	what := fmt.Sprintf("HTTP %d", a.Code)
	if a.Kind == api.Delivered {
		what = "ERROR"
	}
	r.tick(ExTimeout, i18n.M("ev.exTimeout", "engine", a.Engine, "mode", a.Mode, "what", what,
		"took", a.Elapsed.Round(time.Second), "toxic", t.name, "proxy", t.proxy))
}
