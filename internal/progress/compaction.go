package progress

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
)

// compaction ticks 02.6 once a compacted topic's log keeps only the last
// of a key's three versions, which landed on one partition.
type compaction struct{}

// compactCandidate is a key whose last three versions landed on one
// partition, followed until the log keeps only the last.
type compactCandidate struct {
	topic, key string
	partition  int32
	versions   []landing
	since      time.Time // when the third version landed; see CompactionAge
	older      []int64   // offsets of earlier copies of the key still in the log; none before the first read
	reached    int64     // the tail up to here held no newer version
}

// observe follows the versions of a key the API chose no partition for.
func (compaction) observe(r *Recorder, a answer) {
	if a.landed == nil || a.Partition != prodlab.AnyPartition {
		return
	}
	k := a.topic + "\x00" + a.Key
	v := append(r.keyVersions.m[k], landing{a.landed.Partition, a.landed.Offset, a.EventID})
	if len(v) > 3 {
		v = v[len(v)-3:]
	}
	r.keyVersions.put(k, v)
	if len(v) == 3 && v[0].partition == v[2].partition && v[1].partition == v[2].partition {
		r.compactions.put(k, compactCandidate{topic: a.topic, key: a.Key, partition: v[2].partition, versions: slices.Clone(v), since: time.Now()})
	}
}

// verify checks the followed keys, forgetting those older than
// compactAge.
func (compaction) verify(ctx context.Context, r *Recorder) error {
	r.mu.Lock()
	var cands []compactCandidate
	for _, k := range r.compactions.order {
		cands = append(cands, r.compactions.m[k])
	}
	r.mu.Unlock()
	var errs []error
	for _, c := range cands {
		var how i18n.Msg
		var err error
		drop := time.Since(c.since) > r.cfg.compactAge
		if !drop {
			how, drop, err = c.compacted(ctx, r)
			errs = append(errs, err)
		}
		r.mu.Lock()
		k := c.topic + "\x00" + c.key
		if cur, ok := r.compactions.m[k]; ok && slices.Equal(cur.versions, c.versions) {
			if drop || how.ID != "" {
				r.compactions.del(k)
			} else {
				r.compactions.m[k] = c // what was read, in place: the order stays
			}
		}
		if how.ID != "" {
			r.tick(Compaction, how)
		}
		r.mu.Unlock()
	}
	return errors.Join(errs...)
}

// compacted reports how c's topic kept only its last version, no Msg
// while it has not; drop: c can never tick. The cleaner only removes
// records, so after the first read it rereads from the oldest earlier
// copy still there, and the tail past what it read.
func (c *compactCandidate) compacted(ctx context.Context, r *Recorder) (how i18n.Msg, drop bool, err error) {
	rcs, err := r.adm.DescribeTopicConfigs(ctx, c.topic)
	if err != nil {
		return i18n.Msg{}, false, err
	}
	rc, err := rcs.On(c.topic, nil)
	if err != nil || rc.Err != nil {
		return i18n.Msg{}, true, nil // deleted since
	}
	if !slices.ContainsFunc(rc.Configs, func(cf kadm.Config) bool {
		return cf.Key == "cleanup.policy" && cf.Value != nil && strings.Contains(*cf.Value, "compact")
	}) {
		return i18n.Msg{}, true, nil
	}
	starts, err := direct.StartOffsets(ctx, r.adm, c.topic)
	if err != nil {
		return i18n.Msg{}, false, err
	}
	ends, err := direct.EndOffsets(ctx, r.adm, c.topic)
	if err != nil {
		return i18n.Msg{}, false, err
	}
	start, end := starts[c.partition], ends[c.partition]
	last := c.versions[len(c.versions)-1]
	switch {
	case end <= last.offset:
		return i18n.Msg{}, false, nil // not readable yet
	case start > last.offset:
		return i18n.Msg{}, true, nil // the versions are gone
	}
	read := func(from int64, fn func(*kgo.Record) error) error {
		return r.read(ctx, c.topic, c.partition, from, end, func(rec *kgo.Record) error {
			r.compactReads.Add(1)
			return fn(rec)
		})
	}
	// The tail: a newer version of the key means the last will go.
	newer := false
	if from := max(c.reached, last.offset+1, start); from < end {
		if err := read(from, func(rec *kgo.Record) error {
			if string(rec.Key) == c.key {
				newer = true
				return errEnough
			}
			return nil
		}); err != nil {
			return i18n.Msg{}, false, err
		}
		if newer {
			return i18n.Msg{}, true, nil
		}
	}
	c.reached = max(c.reached, end)
	// The versions: from the oldest earlier copy still there to the last.
	from := c.versions[0].offset
	if len(c.older) > 0 { // read before, and an earlier copy was left
		from = last.offset
		if i := slices.IndexFunc(c.older, func(o int64) bool { return o >= start }); i >= 0 {
			from = c.older[i]
		}
	}
	from = max(from, start)
	var older []int64
	kept := false
	if err := read(from, func(rec *kgo.Record) error {
		if rec.Offset >= last.offset {
			kept = rec.Offset == last.offset && string(rec.Key) == c.key
			return errEnough
		}
		if string(rec.Key) == c.key {
			older = append(older, rec.Offset)
		}
		return nil
	}); err != nil {
		return i18n.Msg{}, false, err
	}
	if !kept {
		return i18n.Msg{}, true, nil // removed: a newer version, or the topic was recreated
	}
	c.older = older
	if len(older) > 0 {
		return i18n.Msg{}, false, nil
	}
	return i18n.M("ev.compaction", "topic", c.topic, "key", c.key, "v1", c.versions[0].eventID,
		"v2", c.versions[1].eventID, "v3", last.eventID, "offset", last.offset), false, nil
}
