//go:build windows

package toxi

import "syscall"

// ownGroup starts the child in a new process group, which ignores the
// console's Ctrl-C: only the parent handles it, and stops the child.
func ownGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
