//go:build windows

package runlock

import (
	"os"

	"golang.org/x/sys/windows"
)

// errBusy is tryLock's answer when another process holds the lock.
var errBusy = windows.ERROR_LOCK_VIOLATION

// lockOffset is where the locked byte lies: past the PID, which a locked
// range would keep other processes from reading.
const lockOffset = 1 << 30

// tryLock takes a LockFileEx lock on f, exclusive or shared, without
// waiting.
func tryLock(f *os.File, exclusive bool) error {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	ol := windows.Overlapped{Offset: lockOffset}
	return windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, &ol)
}

func unlock(f *os.File) {
	ol := windows.Overlapped{Offset: lockOffset}
	_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}

// release drops the lock (closing f), then removes path, as Windows does
// not remove an open file. Best effort: a stale file never blocks the next
// start, and a lab that took the lock in between keeps it open.
func release(f *os.File, path string) error {
	err := f.Close()
	_ = os.Remove(path)
	return err
}
