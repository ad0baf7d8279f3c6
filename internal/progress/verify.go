package progress

import (
	"context"
	"errors"
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
		var how i18n.Msg
		drop := time.Since(c.since) > r.cfg.compactAge
		if !drop {
			how, drop, err = r.compacted(ctx, adm, &c)
			if err != nil {
				r.logErr(err)
			}
		}
		r.mu.Lock()
		k := c.topic + "\x00" + c.key
		if cur, ok := r.compact.get(k); ok && slices.Equal(cur.versions, c.versions) {
			if drop || how.ID != "" {
				r.compact.del(k)
			} else {
				r.compact.m[k] = c // what was read, in place: the order stays
			}
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
		cl, err := r.cfg.direct.Client()
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
	recs, err := r.cfg.direct.ReadRange(ctx, w.topic, map[int32]int64{w.partition: from}, map[int32]int64{w.partition: to})
	if err != nil {
		return "", false, err
	}
	// The copy rule (prodlab.CopyRule): a plain send held when its lost
	// acknowledgement made retries, SameSend, so that a trainee's manual
	// resend of the eventId is no duplicate; an idempotent one when the log
	// holds no other record of the eventId at all, EveryCopy.
	sends := make([]prodlab.Send, len(recs))
	acked := -1
	for i, rec := range recs {
		sends[i] = direct.SendOf(rec)
		if rec.Offset == w.offset && sends[i].EventID == w.eventID {
			acked = i
		}
	}
	if acked < 0 {
		return "", true, nil
	}
	same := prodlab.SameSend.Count(sends[acked], sends)
	all := prodlab.EveryCopy.Count(sends[acked], sends)
	name := w.engine + "_" + string(w.mode)
	switch {
	case w.mode == prodlab.Plain && same >= 2:
		return fmt.Sprintf("%s=%d", name, same), true, nil
	case w.mode == prodlab.Idempotent && all == 1:
		return name + "=1", true, nil
	}
	return "", true, nil
}

// errEnough stops a read that reached what it looks for.
var errEnough = errors.New("enough")

// compacted reports how c's topic kept only its last version, no Msg
// while it has not yet; drop is set when c can never tick (not a compacted
// topic, the versions gone, or a newer version). It reads incrementally,
// recording in c what it read: once, the records from the first version to
// the last; then only from the oldest earlier copy of the key still in the
// log to the last version (the cleaner removes records, it never adds
// any), and the tail past what it read before.
func (r *Recorder) compacted(ctx context.Context, adm *kadm.Client, c *compactCandidate) (how i18n.Msg, drop bool, err error) {
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
	start, end := int64(0), ends[c.partition]
	if o, ok := starts.Lookup(c.topic, c.partition); ok && o.Err == nil {
		start = o.Offset
	}
	last := c.versions[len(c.versions)-1]
	switch {
	case end <= last.offset:
		return i18n.Msg{}, false, nil // not readable yet
	case start > last.offset:
		return i18n.Msg{}, true, nil // the versions are gone
	}
	read := func(from int64, fn func(*kgo.Record) error) error {
		p := c.partition
		err := r.cfg.direct.Range(ctx, c.topic, map[int32]int64{p: from}, map[int32]int64{p: end}, func(rec *kgo.Record) error {
			r.compactReads.Add(1)
			return fn(rec)
		})
		if errors.Is(err, errEnough) {
			err = nil
		}
		return err
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
	if c.read {
		if i := slices.IndexFunc(c.older, func(o int64) bool { return o >= start }); i >= 0 {
			from = c.older[i]
		} else {
			from = last.offset
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
	c.read, c.older = true, older
	if len(older) > 0 {
		return i18n.Msg{}, false, nil
	}
	return i18n.M("ev.compaction", "topic", c.topic, "key", c.key, "v1", c.versions[0].eventID,
		"v2", c.versions[1].eventID, "v3", last.eventID, "offset", last.offset), false, nil
}
