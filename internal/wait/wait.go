// Package wait holds the lab's one pause (For) and one poll of observed
// state (Until), both ended by their context.
package wait

import (
	"context"
	"time"
)

// For waits d, or until ctx ends: then it returns ctx.Err().
func For(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Until checks cond, 20ms apart, until it holds, or until ctx ends: then
// it returns ctx.Err().
func Until(ctx context.Context, cond func() bool) error {
	for !cond() {
		if err := For(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}
