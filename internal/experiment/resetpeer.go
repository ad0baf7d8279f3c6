package experiment

import (
	"context"
	"time"
)

// resetPeer resets connections as the brokers answer.
func resetPeer(ctx context.Context, f *Faults, _ int) error {
	return window(ctx, f, 300*time.Millisecond, toxic{"reset-peer", "reset_peer", "downstream", map[string]any{"timeout": 0}})
}
