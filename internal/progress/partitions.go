package progress

import (
	"maps"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/i18n"
)

// partitions ticks 02.5 once explicit sends reached two partitions of a
// topic and one key, not an eventId, landed on one partition through two
// APIs.
type partitions struct{}

func (partitions) observe(r *Recorder, a answer) {
	d := a.landed
	switch {
	case d == nil:
		return
	case a.Partition != prodlab.AnyPartition:
		if a.Partition == d.Partition {
			inner(r.explicit, a.topic)[d.Partition] = true
		}
	default:
		engines := inner(r.keyEngines, a.topic+"\x00"+a.Key)
		engines[a.Engine] = d.Partition
		if r.sameKey.ID == "" && a.Key != a.EventID {
			for e, p := range engines {
				if e != a.Engine && p == d.Partition {
					r.sameKey = i18n.M("ev.partitions", "key", a.Key, "keyPartition", p, "keyTopic", a.topic, "engine1", e, "engine2", a.Engine)
				}
			}
		}
	}
	for topic, ps := range r.explicit.m {
		if len(ps) >= 2 && r.sameKey.ID != "" {
			m := r.sameKey
			m.Args = maps.Clone(m.Args)
			m.Args["partitions"], m.Args["topic"] = list(ps), topic
			r.tick(Partitions, m)
		}
	}
}
