package experiment

import (
	"context"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/wait"
)

// slicer cuts the traffic into small, delayed pieces.
type slicer struct{}

func (slicer) NeedsRestarter() bool { return false }

func (slicer) Name() string { return "slicer" }

func (slicer) Describe() string {
	return i18n.T("exp.sched.slicer")
}

func (s slicer) Run(ctx context.Context, f *Faults) error {
	return cycle(ctx, time.Second, func(ctx context.Context) (bool, error) { return s.step(ctx, f) })
}

func (slicer) step(ctx context.Context, f *Faults) (bool, error) {
	attrs := map[string]any{"average_size": 16, "size_variation": 8, "delay": 200}
	if err := f.AddToxic("slicer-up", "slicer", "upstream", attrs); err != nil {
		return false, err
	}
	if err := f.AddToxic("slicer-down", "slicer", "downstream", attrs); err != nil {
		return false, err
	}
	ok := wait.For(ctx, 3*time.Second) == nil
	err1 := f.RemoveToxic("slicer-up")
	err2 := f.RemoveToxic("slicer-down")
	if err1 != nil {
		return false, err1
	}
	return ok, err2
}
