//go:build !unix && !windows

package toxi

import "syscall"

// ownGroup is a no-op where process groups are not available.
func ownGroup() *syscall.SysProcAttr { return nil }
