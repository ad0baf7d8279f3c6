package experiment

import (
	"context"
	"github.com/prodlab/prodlab/internal/i18n"
	"time"
)

// mixed takes turns through the other schedules' faults.
type mixed struct{}

func (mixed) NeedsRestarter() bool { return false }

func (mixed) Name() string { return "mixed" }

func (mixed) Describe() string {
	return i18n.T("exp.sched.mixed")
}

func (mixed) Run(ctx context.Context, f *Faults) error {
	steps := []func(context.Context) (bool, error){
		func(ctx context.Context) (bool, error) { return ackLoss{}.step(ctx, f) },
		func(ctx context.Context) (bool, error) { return resetPeer{}.step(ctx, f) },
		func(ctx context.Context) (bool, error) { return latency{}.step(ctx, f) },
		func(ctx context.Context) (bool, error) { return slicer{}.step(ctx, f) },
		func(ctx context.Context) (bool, error) { return bandwidth{}.step(ctx, f) },
	}
	restarts := 0
	if f.Brokers() > 0 {
		steps = append(steps, func(ctx context.Context) (bool, error) {
			restarts++
			return brokerRestart{}.step(ctx, f, restarts-1)
		})
	}
	i := 0
	return cycle(ctx, time.Second, func(ctx context.Context) (bool, error) {
		ok, err := steps[i%len(steps)](ctx)
		i++
		return ok, err
	})
}
