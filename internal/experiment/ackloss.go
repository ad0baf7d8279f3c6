package experiment

import (
	"context"
	"github.com/prodlab/prodlab/internal/i18n"
	"time"
)

// ackLoss loses acknowledgements: requests reach the brokers, their
// answers are held until every producer timed out, then released. It holds
// (latency) rather than drops (a timeout toxic): under dropped answers
// franz-go fails its reconnections' ApiVersions instead of retrying the
// produce.
type ackLoss struct{}

func (ackLoss) NeedsRestarter() bool { return false }

func (ackLoss) Name() string { return "ack-loss" }

func (ackLoss) Describe() string {
	return i18n.T("exp.sched.ackLoss")
}

func (s ackLoss) Run(ctx context.Context, f *Faults) error {
	return cycle(ctx, time.Second, func(ctx context.Context) (bool, error) { return s.step(ctx, f) })
}

// step runs one lost-acknowledgement window.
func (ackLoss) step(ctx context.Context, f *Faults) (bool, error) {
	hold := f.Hold()
	return window(ctx, f, "ack-loss", "latency", "downstream",
		map[string]any{"latency": (10 * hold).Milliseconds(), "jitter": 0}, hold)
}
