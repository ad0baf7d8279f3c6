package experiment

import (
	"context"
	"github.com/prodlab/prodlab/internal/i18n"
	"time"
)

// bandwidth throttles the requests to the brokers.
type bandwidth struct{}

func (bandwidth) NeedsRestarter() bool { return false }

func (bandwidth) Name() string { return "bandwidth" }

func (bandwidth) Describe() string {
	return i18n.T("exp.sched.bandwidth")
}

func (s bandwidth) Run(ctx context.Context, f *Faults) error {
	return cycle(ctx, time.Second, func(ctx context.Context) (bool, error) { return s.step(ctx, f) })
}

func (bandwidth) step(ctx context.Context, f *Faults) (bool, error) {
	return window(ctx, f, "bandwidth", "bandwidth", "upstream", map[string]any{"rate": 2}, 3*time.Second)
}
