package progress

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/wait"
)

// loop runs Verify, pausing VerifyEvery after each, until ctx ends.
func (r *Recorder) loop(ctx context.Context) {
	for wait.For(ctx, r.cfg.every) == nil {
		r.Verify(ctx)
	}
}

// Verify runs the pending checks now: 02.4's copy counts, 02.6's compaction.
func (r *Recorder) Verify(ctx context.Context) {
	r.verifying.Lock() // one at a time: callers wait, then see its result
	defer r.verifying.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, c := range Checkpoints {
		if v, ok := c.rule.(verifier); ok {
			if err := v.verify(ctx, r); err != nil {
				r.logErr(err)
			}
		}
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

// errEnough stops a read that reached what it looks for.
var errEnough = errors.New("enough")

// read calls fn on the records of topic's partition p in [from, to); fn
// ends it early with errEnough.
func (r *Recorder) read(ctx context.Context, topic string, p int32, from, to int64, fn func(*kgo.Record) error) error {
	err := r.cfg.direct.Range(ctx, topic, map[int32]int64{p: from}, map[int32]int64{p: to}, fn)
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}
