//go:build unix

package main

import "syscall"

// terminate asks process pid to stop cleanly (SIGTERM, as Ctrl-C does).
func terminate(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }
