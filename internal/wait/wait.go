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

// Until checks cond every 20ms until it holds, or until ctx ends: then it
// returns ctx.Err().
func Until(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
