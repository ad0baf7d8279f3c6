package kafkalocal

import "syscall"

// procAttr gives a broker its own session, or if tied its own process
// group, killed when we die (Pdeathsig).
func procAttr(tied bool) (*syscall.SysProcAttr, error) {
	if tied {
		return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}, nil
	}
	return &syscall.SysProcAttr{Setsid: true}, nil
}
