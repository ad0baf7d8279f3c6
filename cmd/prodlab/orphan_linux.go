package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// exitWithGoRun sends prodlab SIGTERM when its parent dies if that parent
// is the go tool or make, which do not pass SIGTERM on: `kill <go run's
// PID>` would otherwise leave the lab running with its ports held.
func exitWithGoRun() {
	ppid := os.Getppid()
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(ppid) + "/comm")
	if err != nil {
		return
	}
	switch strings.TrimSpace(string(comm)) {
	case "go", "make":
	default:
		return
	}
	// The kernel signals when the go tool's thread that forked us exits;
	// the go tool keeps its threads until it exits.
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0)
	if os.Getppid() != ppid { // it died before prctl
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
