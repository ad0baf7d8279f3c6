package runlock_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/runlock"
)

func TestSecondAcquireNamesHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := runlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = runlock.Acquire(dir)
	var held *runlock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("second Acquire: got %v, want a HeldError", err)
	}
	if held.PID != os.Getpid() {
		t.Fatalf("HeldError names PID %d, want %d", held.PID, os.Getpid())
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "prodlab down") {
		t.Fatalf("want one line that says how to stop it, got %q", msg)
	}
	pid, err := runlock.Holder(dir)
	if err != nil || pid != os.Getpid() {
		t.Fatalf("Holder = %d, %v; want %d", pid, err, os.Getpid())
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(runlock.Path(dir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock file still there after Release: %v", err)
	}
	if _, err := runlock.Holder(dir); !errors.Is(err, runlock.ErrNotRunning) {
		t.Fatalf("Holder after Release: %v, want ErrNotRunning", err)
	}
	l2, err := runlock.Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

// A PID file left by a killed lab holds no lock: it never blocks a start.
func TestStaleFileDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(runlock.Path(dir), []byte("4194304\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runlock.Holder(dir); !errors.Is(err, runlock.ErrNotRunning) {
		t.Fatalf("Holder on a stale file: %v, want ErrNotRunning", err)
	}
	l, err := runlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	b, _ := os.ReadFile(runlock.Path(dir))
	if strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("lock file holds %q, want this PID", b)
	}
}

// A second Wait gives up when its context ends while the first holds the
// lock, and takes it once the first releases it.
func TestWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "lock")
	release, err := runlock.Wait(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := runlock.Wait(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on a held lock = %v, want its context's end", err)
	}
	release()
	again, err := runlock.Wait(t.Context(), path)
	if err != nil {
		t.Fatalf("Wait after release: %v", err)
	}
	again()
}
