package progress

import (
	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/i18n"
)

// exKeys ticks exercise 3 once keys the trainee chose (not the eventIds)
// reached three partitions of a topic.
type exKeys struct{}

func (exKeys) observe(r *Recorder, a answer) {
	if a.landed == nil || a.Partition != prodlab.AnyPartition || a.Key == a.EventID {
		return
	}
	ps := inner(r.chosenKeys, a.topic)
	ps[a.landed.Partition] = true
	if len(ps) >= 3 {
		r.tick(ExKeys, i18n.M("ev.exKeys", "partitions", list(ps), "topic", a.topic))
	}
}
