package experiment

import (
	"context"
	"time"
)

// bandwidth throttles the requests to the brokers.
func bandwidth(ctx context.Context, f *Faults, _ int) error {
	return window(ctx, f, "bandwidth", "bandwidth", "upstream", map[string]any{"rate": 2}, 3*time.Second)
}
