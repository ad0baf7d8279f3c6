//go:build unix

package toxi

import "syscall"

// ownGroup puts the child in a process group of its own: a terminal's
// Ctrl-C (SIGINT to the foreground group) then reaches only the parent,
// which stops the child itself.
func ownGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
