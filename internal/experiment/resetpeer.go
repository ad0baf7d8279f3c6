package experiment

import (
	"context"
	"time"
)

// resetPeer resets connections as the brokers answer.
type resetPeer struct{}

func (resetPeer) NeedsRestarter() bool { return false }

func (resetPeer) Name() string { return "reset-peer" }

func (resetPeer) Describe() string {
	return "every 1.5 s, for 300 ms, resets each connection (TCP RST) as soon as a broker answers: the request was written, the acknowledgement never arrives"
}

func (s resetPeer) Run(ctx context.Context, f *Faults) error {
	return cycle(ctx, 1500*time.Millisecond, func(ctx context.Context) (bool, error) { return s.step(ctx, f) })
}

func (resetPeer) step(ctx context.Context, f *Faults) (bool, error) {
	return window(ctx, f, "reset-peer", "reset_peer", "downstream", map[string]any{"timeout": 0}, 300*time.Millisecond)
}
