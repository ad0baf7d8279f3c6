package wait_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/wait"
)

func TestFor(t *testing.T) {
	if err := wait.For(t.Context(), time.Millisecond); err != nil {
		t.Fatalf("For(1ms) = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := wait.For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("For on an ended context = %v, want context.Canceled", err)
	}
}
