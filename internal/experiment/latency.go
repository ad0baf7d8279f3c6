package experiment

import (
	"context"
	"github.com/prodlab/prodlab/internal/i18n"
	"time"
)

// latency slows every answer, below the request timeout.
type latency struct{}

func (latency) NeedsRestarter() bool { return false }

func (latency) Name() string { return "latency" }

func (latency) Describe() string {
	return i18n.T("exp.sched.latency")
}

func (s latency) Run(ctx context.Context, f *Faults) error {
	return cycle(ctx, time.Second, func(ctx context.Context) (bool, error) { return s.step(ctx, f) })
}

func (latency) step(ctx context.Context, f *Faults) (bool, error) {
	return window(ctx, f, "latency", "latency", "downstream",
		map[string]any{"latency": (f.RequestTimeout / 2).Milliseconds(), "jitter": (f.RequestTimeout / 4).Milliseconds()}, 3*time.Second)
}
