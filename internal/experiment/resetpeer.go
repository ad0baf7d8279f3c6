package experiment

import (
	"context"
	"github.com/prodlab/prodlab/internal/i18n"
	"time"
)

// resetPeer resets connections as the brokers answer.
type resetPeer struct{}

func (resetPeer) NeedsRestarter() bool { return false }

func (resetPeer) Name() string { return "reset-peer" }

func (resetPeer) Describe() string {
	return i18n.T("exp.sched.resetPeer")
}

func (s resetPeer) Run(ctx context.Context, f *Faults) error {
	return cycle(ctx, 1500*time.Millisecond, func(ctx context.Context) (bool, error) { return s.step(ctx, f) })
}

func (resetPeer) step(ctx context.Context, f *Faults) (bool, error) {
	return window(ctx, f, "reset-peer", "reset_peer", "downstream", map[string]any{"timeout": 0}, 300*time.Millisecond)
}
