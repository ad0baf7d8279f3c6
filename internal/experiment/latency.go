package experiment

import (
	"context"
	"time"
)

// latency slows every answer, below the request timeout.
func latency(ctx context.Context, f *Faults, _ int) error {
	return window(ctx, f, 3*time.Second, toxic{"latency", "latency", "downstream",
		map[string]any{"latency": (f.RequestTimeout / 2).Milliseconds(), "jitter": (f.RequestTimeout / 4).Milliseconds()}})
}
