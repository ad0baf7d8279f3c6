//go:build unix

package runlock

import (
	"errors"
	"os"
	"syscall"
)

// errBusy is tryLock's answer when another process holds the lock.
var errBusy = syscall.EWOULDBLOCK

// tryLock takes f's flock, exclusive or shared, without waiting.
func tryLock(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	return syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
}

func unlock(f *os.File) { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// release unlinks path before it drops the lock (closing f), so that a
// process waiting on the old file sees it is gone (see Acquire).
func release(f *os.File, path string) error {
	err := os.Remove(path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
