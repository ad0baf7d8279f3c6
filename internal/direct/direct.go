// Package direct reads what the brokers hold on the lab's one direct path
// around Toxiproxy (Path), so that a toxic never blinds the lab's
// counters: topics (Reader, Range, ReadRange, ReadAll), offsets, leaders
// (WaitLeaders) and a record's eventId (EventID).
package direct

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/wait"
)

// EndOffsets returns the end offset of every partition of topic; a topic
// with no partition is prodlab.ErrUnknownTopic.
func EndOffsets(ctx context.Context, adm *kadm.Client, topic string) (map[int32]int64, error) {
	return offsets(ctx, "end", adm.ListEndOffsets, topic)
}

// StartOffsets is EndOffsets for the start offsets.
func StartOffsets(ctx context.Context, adm *kadm.Client, topic string) (map[int32]int64, error) {
	return offsets(ctx, "start", adm.ListStartOffsets, topic)
}

func offsets(ctx context.Context, which string, list func(context.Context, ...string) (kadm.ListedOffsets, error), topic string) (map[int32]int64, error) {
	listed, err := list(ctx, topic)
	if err == nil {
		err = listed.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("%s offsets of %s: %w", which, topic, err)
	}
	out := map[int32]int64{}
	listed.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	if len(out) == 0 {
		return nil, fmt.Errorf("topic %s does not exist: %w", topic, prodlab.ErrUnknownTopic)
	}
	return out, nil
}

// WaitLeaders waits until topic has partitions partitions (any number if
// 0), each with a leader, and returns how many it has.
func WaitLeaders(ctx context.Context, adm *kadm.Client, topic string, partitions int) (int, error) {
	n := 0
	err := wait.Until(ctx, func() bool {
		td, err := adm.ListTopics(ctx, topic)
		ps := td[topic].Partitions.Sorted()
		n = len(ps)
		return err == nil && td[topic].Err == nil && n > 0 && (partitions == 0 || n == partitions) &&
			!slices.ContainsFunc(ps, func(p kadm.PartitionDetail) bool { return p.Leader < 0 })
	})
	return n, err
}

// Reader reads one topic on the direct path, without a consumer group,
// handing each record once, in offset order within a partition.
type Reader struct {
	cl    *kgo.Client
	topic string
	next  map[int32]int64 // per partition, the next offset to hand
	to    map[int32]int64 // per partition still to read, its end; nil: no end
}

// NewReader returns a reader of topic from the offsets in from, up to
// the offsets in to (excluded) or, with to nil, without end. opts come
// after the reader's own (a 100ms FetchMaxWait).
func (p *Path) NewReader(topic string, from, to map[int32]int64, opts ...kgo.Opt) (*Reader, error) {
	offs := map[int32]kgo.Offset{}
	for part, o := range from {
		offs[part] = kgo.NewOffset().At(o)
	}
	left := maps.Clone(to)
	maps.DeleteFunc(left, func(part int32, end int64) bool { o, ok := from[part]; return !ok || end <= o })
	cl, err := p.Client(append([]kgo.Opt{
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}),
		kgo.FetchMaxWait(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return &Reader{cl: cl, topic: topic, next: maps.Clone(from), to: left}, nil
}

// Done reports whether a reader with an end has read every partition to it.
func (r *Reader) Done() bool { return r.to != nil && len(r.to) == 0 }

// Poll waits for records until some come or ctx ends, and calls fn for
// each new one. It returns fn's first error or a fetch error, but not
// ctx's end: the caller checks its ctx.
func (r *Reader) Poll(ctx context.Context, fn func(*kgo.Record) error) error {
	fs := r.cl.PollFetches(ctx)
	for _, fe := range fs.Errors() {
		if !errors.Is(fe.Err, context.DeadlineExceeded) && !errors.Is(fe.Err, context.Canceled) {
			return fmt.Errorf("reading %s: %w", r.topic, fe.Err)
		}
	}
	for rec := range fs.RecordsAll() {
		next, ok := r.next[rec.Partition]
		end, bounded := r.to[rec.Partition]
		if !ok || rec.Offset < next || r.to != nil && (!bounded || rec.Offset >= end) {
			continue
		}
		r.next[rec.Partition] = rec.Offset + 1
		// The last offset below an end always holds a record: compaction
		// keeps the newest record of each key.
		if bounded && rec.Offset+1 >= end {
			delete(r.to, rec.Partition)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) Close() { r.cl.Close() }

// Range calls fn for every record of topic from offsets from to offsets to
// (excluded), in offset order within a partition, until all are read, ctx
// ends or fn fails.
func (p *Path) Range(ctx context.Context, topic string, from, to map[int32]int64, fn func(*kgo.Record) error) error {
	empty := true
	for part, o := range from {
		empty = empty && to[part] <= o
	}
	if empty { // no client for nothing to read
		return nil
	}
	r, err := p.NewReader(topic, from, to)
	if err != nil {
		return err
	}
	defer r.Close()
	for !r.Done() {
		if err := r.Poll(ctx, fn); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reading %s: %w", topic, err)
		}
	}
	return nil
}

// ReadRange returns every record of topic from offsets from to offsets to,
// in partition and offset order, within 2 minutes.
func (p *Path) ReadRange(ctx context.Context, topic string, from, to map[int32]int64) ([]*kgo.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var recs []*kgo.Record
	err := p.Range(ctx, topic, from, to, func(r *kgo.Record) error { recs = append(recs, r); return nil })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b *kgo.Record) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	return recs, nil
}

// ReadAll is ReadRange from offset 0 to the end offsets of now.
func (p *Path) ReadAll(ctx context.Context, topic string) ([]*kgo.Record, error) {
	adm, err := p.Client()
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	to, err := EndOffsets(ctx, kadm.NewClient(adm), topic)
	if err != nil {
		return nil, err
	}
	from := map[int32]int64{}
	for part := range to {
		from[part] = 0
	}
	return p.ReadRange(ctx, topic, from, to)
}
