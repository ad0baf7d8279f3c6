package validate

import (
	"cmp"
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
)

// watch follows a topic from given offsets on the direct path and counts
// the copies of one eventId, so that the window can wait on what the
// broker holds.
type watch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	n   int
	err error
}

// startWatch counts the copies of eventID's send (Copies) in topic from
// the offsets in from, on the direct path p.
func startWatch(p *direct.Path, topic, eventID string, from map[int32]int64) (*watch, error) {
	r, err := p.NewReader(topic, from, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &watch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer r.Close()
		for ctx.Err() == nil {
			var batch []*kgo.Record
			err := r.Poll(ctx, func(r *kgo.Record) error { batch = append(batch, r); return nil })
			if ctx.Err() != nil {
				return
			}
			w.mu.Lock()
			w.n += len(Copies(eventID, batch))
			w.err = cmp.Or(w.err, err)
			w.mu.Unlock()
		}
	}()
	return w, nil
}

// count returns how many copies the watch has seen, and its error if the
// consumer failed.
func (w *watch) count() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n, w.err
}

func (w *watch) close() {
	w.cancel()
	<-w.done
}

// Copies returns the records of recs that are copies of eventID's send by
// prodlab.EveryCopy: validate mints a fresh eventId for each window, so
// every record that carries it is its producer's.
func Copies(eventID string, recs []*kgo.Record) []Copy {
	send := prodlab.Send{EventID: eventID}
	var out []Copy
	for _, r := range recs {
		if prodlab.EveryCopy.Counts(send, prodlab.Send{EventID: direct.EventID(r)}) {
			out = append(out, Copy{Partition: r.Partition, Offset: r.Offset,
				ProducerID: r.ProducerID, ProducerEpoch: r.ProducerEpoch, Timestamp: r.Timestamp})
		}
	}
	return out
}
