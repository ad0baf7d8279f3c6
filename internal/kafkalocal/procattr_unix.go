//go:build unix && !linux

package kafkalocal

import "syscall"

// procAttr gives a broker its own session, or if tied its own process
// group: with no parent-death signal outside Linux, a tied broker whose
// starter is killed stays up until `prodlab kafka down`.
func procAttr(tied bool) (*syscall.SysProcAttr, error) {
	if tied {
		return &syscall.SysProcAttr{Setpgid: true}, nil
	}
	return &syscall.SysProcAttr{Setsid: true}, nil
}
