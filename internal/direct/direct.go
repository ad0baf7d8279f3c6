// Package direct reads what the brokers hold through a direct path that
// bypasses Toxiproxy, so that a toxic never blinds the lab's counters. It
// is the lab's one reader of a topic (Reader, Range, ReadRange, ReadAll),
// of start and end offsets (StartOffsets, EndOffsets), of partition leaders (WaitLeaders) and of a
// record's eventId (EventID).
package direct

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/wait"
)

// Bypass maps a proxy's listen address to its upstream. A client whose
// Metadata names a proxy address dials the upstream instead.
type Bypass map[string]string

// Dialer returns a dial function that applies b.
func (b Bypass) Dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if up, ok := b[addr]; ok {
			addr = up
		}
		return d.DialContext(ctx, network, addr)
	}
}

// NewClient returns a kgo client bootstrapped on the direct listeners that
// bypasses every proxy in b.
func NewClient(bootstrap []string, b Bypass, opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(bootstrap...),
		kgo.Dialer(b.Dialer()),
	}, opts...)...)
}

// EndOffsets returns the end offset of every partition of topic; a topic
// with no partition is prodlab.ErrUnknownTopic.
func EndOffsets(ctx context.Context, adm *kadm.Client, topic string) (map[int32]int64, error) {
	return offsets(ctx, "end", adm.ListEndOffsets, topic)
}

// StartOffsets returns the start offset of every partition of topic, as
// EndOffsets does the end offsets.
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
// from given offsets. It hands each record once, in offset order within a
// partition. Close releases it.
type Reader struct {
	cl    *kgo.Client
	topic string
	next  map[int32]int64 // the next offset to hand, per partition
	to    map[int32]int64 // nil: no end
}

// NewReader returns a reader of topic from the offsets in from. With to
// set, a partition is done once its records below to[p] are read, and
// records at or past to[p] are skipped; with to nil the read has no end.
// opts go to its kgo client after the reader's own (a 100ms FetchMaxWait).
func NewReader(bootstrap []string, b Bypass, topic string, from map[int32]kgo.Offset, to map[int32]int64, opts ...kgo.Opt) (*Reader, error) {
	next := map[int32]int64{}
	for p, o := range from {
		next[p] = max(o.EpochOffset().Offset, 0)
	}
	var left map[int32]int64
	if to != nil {
		left = map[int32]int64{}
		for p := range from {
			if to[p] > next[p] {
				left[p] = to[p]
			}
		}
	}
	cl, err := NewClient(bootstrap, b, append([]kgo.Opt{
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}),
		kgo.FetchMaxWait(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return &Reader{cl: cl, topic: topic, next: next, to: left}, nil
}

// Done reports whether a reader with an end has read every partition to it.
func (r *Reader) Done() bool { return r.to != nil && len(r.to) == 0 }

// Poll waits for records until some come or ctx ends, and calls fn for
// each new one. It returns fn's first error, or a fetch error other than
// ctx's end as "reading <topic>: ...". A poll that ctx ended returns nil:
// the caller checks its ctx.
func (r *Reader) Poll(ctx context.Context, fn func(*kgo.Record) error) error {
	fs := r.cl.PollFetches(ctx)
	var ferr error
	fs.EachError(func(_ string, _ int32, err error) {
		if ferr == nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			ferr = err
		}
	})
	if ferr != nil {
		return fmt.Errorf("reading %s: %w", r.topic, ferr)
	}
	for it := fs.RecordIter(); !it.Done(); {
		rec := it.Next()
		next, ok := r.next[rec.Partition]
		if !ok || rec.Offset < next {
			continue
		}
		end, bounded := r.to[rec.Partition]
		if r.to != nil && (!bounded || rec.Offset >= end) {
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

// Close closes the reader's client.
func (r *Reader) Close() { r.cl.Close() }

// Range calls fn for every record of topic from offsets from to offsets to
// (excluded), in offset order within a partition, until every partition is
// read, ctx ends or fn returns an error; opts go to its client.
func Range(ctx context.Context, bootstrap []string, b Bypass, topic string, from, to map[int32]int64, fn func(*kgo.Record) error, opts ...kgo.Opt) error {
	offs := map[int32]kgo.Offset{}
	for p, o := range from {
		if to[p] > o {
			offs[p] = kgo.NewOffset().At(o)
		}
	}
	if len(offs) == 0 {
		return nil
	}
	r, err := NewReader(bootstrap, b, topic, offs, to, opts...)
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
// in partition and offset order, within 2 minutes; opts go to its client.
func ReadRange(ctx context.Context, bootstrap []string, b Bypass, topic string, from, to map[int32]int64, opts ...kgo.Opt) ([]*kgo.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var recs []*kgo.Record
	err := Range(ctx, bootstrap, b, topic, from, to, func(r *kgo.Record) error { recs = append(recs, r); return nil }, opts...)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(recs, func(a, b *kgo.Record) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	return recs, nil
}

// ReadAll returns every record of topic from the start offsets to the end
// offsets as they stand when it is called, as ReadRange does.
func ReadAll(ctx context.Context, bootstrap []string, b Bypass, topic string) ([]*kgo.Record, error) {
	adm, err := NewClient(bootstrap, b)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	to, err := EndOffsets(ctx, kadm.NewClient(adm), topic)
	if err != nil {
		return nil, err
	}
	from := map[int32]int64{}
	for p := range to {
		from[p] = 0
	}
	return ReadRange(ctx, bootstrap, b, topic, from, to)
}
