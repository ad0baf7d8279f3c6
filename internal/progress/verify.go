package progress

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
)

// scan is how many offsets around an acknowledged record a copy count
// reads: a retried batch lands next to its first copy.
const scan = 1000

// windowAge is how long a copy count waits for its record to become
// readable (a high watermark behind an acks=1 answer).
const windowAge = time.Minute

// loop runs the pending checks every VerifyEvery until ctx ends.
func (r *Recorder) loop(ctx context.Context) {
	defer r.wg.Done()
	tick := time.NewTicker(r.cfg.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.Verify(ctx)
	}
}

// Verify runs the pending checks now, as the background loop does every
// VerifyEvery: it counts the copies of the lost-ack sends and looks for
// compaction of the followed keys, on the direct path.
func (r *Recorder) Verify(ctx context.Context) {
	r.verifying.Lock() // one at a time: callers wait, then see its result
	defer r.verifying.Unlock()
	r.mu.Lock()
	windows := slices.Clone(r.windows)
	var cands []compactCandidate
	for _, k := range r.compact.order {
		cands = append(cands, r.compact.m[k])
	}
	r.mu.Unlock()
	if len(windows) == 0 && len(cands) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	adm, err := r.admin()
	if err != nil {
		r.logErr(err)
		return
	}
	for _, w := range windows {
		how, done, err := r.count(ctx, adm, w)
		if err != nil {
			r.logErr(err)
		}
		r.mu.Lock()
		if done || time.Since(w.seen) > windowAge {
			r.windows = slices.DeleteFunc(r.windows, func(x window) bool { return x == w })
		}
		if how != "" {
			r.held[w.engine+"/"+string(w.mode)] = how
			r.validated()
		}
		r.mu.Unlock()
	}
	for _, c := range cands {
		how, drop, err := r.compacted(ctx, adm, c)
		if err != nil {
			r.logErr(err)
		}
		r.mu.Lock()
		k := c.topic + "\x00" + c.key
		if cur, ok := r.compact.get(k); ok && slices.Equal(cur.versions, c.versions) && (drop || how.ID != "") {
			r.compact.del(k)
		}
		if how.ID != "" {
			r.tick(Compaction, how)
		}
		r.mu.Unlock()
	}
}

func (r *Recorder) logErr(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err.Error() != r.lastErr {
		r.lastErr = err.Error()
		r.cfg.logger.Warn("progress: cannot read the brokers", "err", err)
	}
}

func (r *Recorder) admin() (*kadm.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		cl, err := direct.NewClient(r.cfg.bootstrap, r.cfg.bypass, r.cfg.connect...)
		if err != nil {
			return nil, err
		}
		r.client = cl
	}
	return kadm.NewClient(r.client), nil
}

// validated ticks 02.4 once every engine held in both modes; r.mu is held.
func (r *Recorder) validated() {
	var parts []string
	for _, e := range r.cfg.engines {
		for _, m := range []prodlab.Mode{prodlab.Idempotent, prodlab.Plain} {
			how := r.held[e+"/"+string(m)]
			if how == "" {
				return
			}
			parts = append(parts, how)
		}
	}
	r.tick(Validate, i18n.M("ev.validate", "counts", strings.Join(parts, " ")))
}

// count reads the records around w's and returns how the demonstration
// held ("franz_plain=2"), or "" when it did not; done is false while the
// record is not readable yet.
func (r *Recorder) count(ctx context.Context, adm *kadm.Client, w window) (how string, done bool, err error) {
	ends, err := direct.EndOffsets(ctx, adm, w.topic)
	if err != nil {
		return "", false, err
	}
	end := ends[w.partition]
	if end <= w.offset {
		return "", false, nil
	}
	from, to := max(0, w.offset-scan), min(end, w.offset+scan+1)
	recs, err := direct.ReadRange(ctx, r.cfg.bootstrap, r.cfg.bypass, w.topic, map[int32]int64{w.partition: from}, map[int32]int64{w.partition: to}, r.cfg.connect...)
	if err != nil {
		return "", false, err
	}
	var acked *kgo.Record
	var copies []*kgo.Record
	for _, rec := range recs {
		if direct.EventID(rec) == w.eventID {
			copies = append(copies, rec)
			if rec.Offset == w.offset {
				acked = rec
			}
		}
	}
	if acked == nil {
		return "", true, nil
	}
	// A retry writes the same record again; a second HTTP send of the
	// same eventId writes a new value (its own ts).
	same := 0
	for _, c := range copies {
		if bytes.Equal(c.Value, acked.Value) && c.Timestamp.Equal(acked.Timestamp) {
			same++
		}
	}
	name := w.engine + "_" + string(w.mode)
	switch {
	case w.mode == prodlab.Plain && same >= 2:
		return fmt.Sprintf("%s=%d", name, same), true, nil
	case w.mode == prodlab.Idempotent && len(copies) == 1:
		return name + "=1", true, nil
	}
	return "", true, nil
}

// compacted reports how c's topic kept only its last version, no Msg while
// it has not yet; drop is set when c can never tick (not a compacted
// topic, or the versions are gone).
func (r *Recorder) compacted(ctx context.Context, adm *kadm.Client, c compactCandidate) (how i18n.Msg, drop bool, err error) {
	rcs, err := adm.DescribeTopicConfigs(ctx, c.topic)
	if err != nil {
		return i18n.Msg{}, false, err
	}
	rc, err := rcs.On(c.topic, nil)
	if err != nil || rc.Err != nil {
		return i18n.Msg{}, true, nil // deleted since
	}
	compact := false
	for _, cf := range rc.Configs {
		if cf.Key == "cleanup.policy" && cf.Value != nil && strings.Contains(*cf.Value, "compact") {
			compact = true
		}
	}
	if !compact {
		return i18n.Msg{}, true, nil
	}
	starts, err := adm.ListStartOffsets(ctx, c.topic)
	if err != nil {
		return i18n.Msg{}, false, err
	}
	ends, err := direct.EndOffsets(ctx, adm, c.topic)
	if err != nil {
		return i18n.Msg{}, false, err
	}
	from := int64(0)
	if o, ok := starts.Lookup(c.topic, c.partition); ok && o.Err == nil {
		from = o.Offset
	}
	last := c.versions[len(c.versions)-1]
	if ends[c.partition] <= last.offset {
		return i18n.Msg{}, false, nil
	}
	recs, err := direct.ReadRange(ctx, r.cfg.bootstrap, r.cfg.bypass, c.topic, map[int32]int64{c.partition: from}, map[int32]int64{c.partition: ends[c.partition]}, r.cfg.connect...)
	if err != nil {
		return i18n.Msg{}, false, err
	}
	var kept []int64
	for _, rec := range recs {
		if string(rec.Key) == c.key {
			kept = append(kept, rec.Offset)
		}
	}
	switch {
	case !slices.Contains(kept, last.offset):
		return i18n.Msg{}, true, nil // a newer version, or the topic was recreated
	case len(kept) == 1:
		return i18n.M("ev.compaction", "topic", c.topic, "key", c.key, "v1", c.versions[0].eventID,
			"v2", c.versions[1].eventID, "v3", last.eventID, "offset", last.offset), false, nil
	}
	return i18n.Msg{}, false, nil
}
