package experiment

import (
	"context"
	"time"
)

// slicer cuts the traffic both ways into small, delayed pieces.
func slicer(ctx context.Context, f *Faults, _ int) error {
	attrs := map[string]any{"average_size": 16, "size_variation": 8, "delay": 200}
	return window(ctx, f, 3*time.Second,
		toxic{"slicer-up", "slicer", "upstream", attrs}, toxic{"slicer-down", "slicer", "downstream", attrs})
}
