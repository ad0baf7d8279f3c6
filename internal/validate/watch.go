package validate

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
)

// watch follows a topic from given offsets on the direct path and keeps
// the copies of one eventId, so that the window can wait on what the
// broker holds.
type watch struct {
	r       *direct.Reader
	eventID string
	cancel  context.CancelFunc
	done    chan struct{}

	mu     sync.Mutex
	copies []Copy
	next   map[int32]int64 // next offset to read, per partition
	err    error
}

// startWatch reads topic from the offsets in from and collects the copies
// of eventID's send (Copies) on the direct path p.
func startWatch(p *direct.Path, topic, eventID string, from map[int32]int64) (*watch, error) {
	offs := map[int32]kgo.Offset{}
	next := map[int32]int64{}
	for part, o := range from {
		offs[part] = kgo.NewOffset().At(o)
		next[part] = o
	}
	r, err := p.NewReader(topic, offs, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &watch{r: r, eventID: eventID, cancel: cancel, done: make(chan struct{}), next: next}
	go w.run(ctx)
	return w, nil
}

func (w *watch) run(ctx context.Context) {
	defer close(w.done)
	for ctx.Err() == nil {
		var batch []*kgo.Record
		err := w.r.Poll(ctx, func(r *kgo.Record) error { batch = append(batch, r); return nil })
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		if err != nil && w.err == nil {
			w.err = err
		}
		for _, r := range batch {
			w.next[r.Partition] = r.Offset + 1
		}
		w.copies = append(w.copies, Copies(w.eventID, batch)...)
		w.mu.Unlock()
	}
}

// count returns how many copies the watch has seen, and its error if the
// consumer failed.
func (w *watch) count() (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.copies), w.err
}

// reached reports whether the watch has read every partition up to ends.
func (w *watch) reached(ends map[int32]int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p, end := range ends {
		if w.next[p] < end {
			return false
		}
	}
	return true
}

// result returns the copies seen so far.
func (w *watch) result() []Copy {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Copy(nil), w.copies...)
}

func (w *watch) close() {
	w.cancel()
	<-w.done
	w.r.Close()
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
