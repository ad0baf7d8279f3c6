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

func TestUntil(t *testing.T) {
	n := 0
	if err := wait.Until(t.Context(), func() bool { n++; return n == 3 }); err != nil || n != 3 {
		t.Fatalf("Until = %v after %d checks, want nil after 3", err, n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := wait.Until(ctx, func() bool { return false }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Until on an ended context = %v, want context.Canceled", err)
	}
}
