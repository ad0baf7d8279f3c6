package experiment

import (
	"context"
	"time"
)

// bandwidth throttles the requests to the brokers.
func bandwidth(ctx context.Context, f *Faults, _ int) error {
	return window(ctx, f, 3*time.Second, toxic{"bandwidth", "bandwidth", "upstream", map[string]any{"rate": 2}})
}
