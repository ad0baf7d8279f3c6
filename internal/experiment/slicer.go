package experiment

import (
	"context"
	"time"

	"github.com/prodlab/prodlab/internal/wait"
)

// slicer cuts the traffic both ways into small, delayed pieces.
func slicer(ctx context.Context, f *Faults, _ int) error {
	attrs := map[string]any{"average_size": 16, "size_variation": 8, "delay": 200}
	if err := f.AddToxic("slicer-up", "slicer", "upstream", attrs); err != nil {
		return err
	}
	if err := f.AddToxic("slicer-down", "slicer", "downstream", attrs); err != nil {
		return err
	}
	_ = wait.For(ctx, 3*time.Second) // Schedule.run sees ctx's end
	err1 := f.RemoveToxic("slicer-up")
	err2 := f.RemoveToxic("slicer-down")
	if err1 != nil {
		return err1
	}
	return err2
}
