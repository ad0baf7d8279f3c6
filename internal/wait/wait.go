// Package wait pauses a goroutine until a duration passes or its context
// ends, the one pause of the lab's loops.
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
