package experiment

import (
	"context"
	"github.com/prodlab/prodlab/internal/i18n"
	"time"
)

// brokerRestart stops and starts brokers in turn.
type brokerRestart struct{}

func (brokerRestart) Name() string { return "broker-restart" }

func (brokerRestart) Describe() string {
	return i18n.T("exp.sched.brokerRestart")
}

func (brokerRestart) NeedsRestarter() bool { return true }

func (s brokerRestart) Run(ctx context.Context, f *Faults) error {
	if err := checkRestarter(s, f); err != nil {
		return err
	}
	i := 0
	return cycle(ctx, 2*time.Second, func(ctx context.Context) (bool, error) {
		ok, err := s.step(ctx, f, i)
		i++
		return ok, err
	})
}

func (brokerRestart) step(ctx context.Context, f *Faults, i int) (bool, error) {
	if err := f.Restart(ctx, i%f.Brokers()+1); err != nil && ctx.Err() == nil {
		return false, err
	}
	return ctx.Err() == nil, nil
}
