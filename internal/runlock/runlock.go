// Package runlock keeps one lab per data dir. The running lab holds an
// exclusive lock on <dir>/prodlab.pid (flock on Unix, LockFileEx on
// Windows), which holds its PID, so a second lab on the same dir fails at
// once naming the first, and `prodlab down` knows whom to stop. The kernel
// drops the lock when the process dies, so a stale file left by a killed
// lab never blocks the next start.
package runlock

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/wait"
)

// ErrNotRunning is returned by Holder when no process holds the lock.
var ErrNotRunning = errors.New("no lab running")

// HeldError names the process that holds a data dir.
type HeldError struct {
	Dir string
	PID int // 0 when the file holds no PID yet
}

func (e *HeldError) Error() string {
	if e.PID > 0 {
		return i18n.T("runlock.held", "dir", e.Dir, "pid", e.PID)
	}
	return i18n.T("runlock.heldNoPID", "dir", e.Dir)
}

// Lock is a held data-dir lock.
type Lock struct {
	f    *os.File
	path string
}

// Path returns the lock and PID file of data dir dir.
func Path(dir string) string { return filepath.Join(dir, "prodlab.pid") }

// Acquire creates dir if needed and takes its lock for this process,
// writing its PID into the lock file. It fails with a *HeldError naming the
// holder if another process holds it.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := Path(dir)
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock file: %w", err)
		}
		if err := tryLock(f, true); err != nil {
			f.Close()
			if errors.Is(err, errBusy) {
				pid, _ := readPID(path)
				return nil, &HeldError{Dir: dir, PID: pid}
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// A releasing holder unlinks the file before it unlocks: if we
		// locked an unlinked file, start again on the new one.
		locked, err := f.Stat()
		current, serr := os.Stat(path)
		if err = cmp.Or(err, serr); err != nil || !os.SameFile(locked, current) {
			f.Close()
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			continue
		}
		if err = f.Truncate(0); err == nil {
			_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock file: %w", err)
		}
		return &Lock{f: f, path: path}, nil
	}
}

// Wait takes the exclusive lock of the file at path, creating it and its
// directory, waits while another process holds it until ctx ends, and
// returns its release. Unlike Acquire's, the file holds no PID and stays.
func Wait(ctx context.Context, path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if werr := wait.Until(ctx, func() bool { err = tryLock(f, true); return !errors.Is(err, errBusy) }); werr != nil {
		f.Close()
		return nil, fmt.Errorf("waiting for lock %s: %w", path, werr)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		unlock(f)
		f.Close()
	}, nil
}

// Release removes the lock file and drops the lock. It is safe to call
// more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := release(l.f, l.path)
	l.f = nil
	return err
}

// Holder returns the PID of the process holding dir's lock, or
// ErrNotRunning if no process holds it (no file, or a stale one).
func Holder(dir string) (int, error) {
	path := Path(dir)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, ErrNotRunning
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	err = tryLock(f, false)
	if err == nil {
		unlock(f)
		return 0, ErrNotRunning
	}
	if !errors.Is(err, errBusy) {
		return 0, fmt.Errorf("lock %s: %w", path, err)
	}
	pid, err := readPID(path)
	if err != nil {
		return 0, fmt.Errorf("%s is locked but holds no PID: %w", path, err)
	}
	return pid, nil
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("bad PID %q", strings.TrimSpace(string(b)))
	}
	return pid, nil
}
