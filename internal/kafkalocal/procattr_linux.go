package kafkalocal

import "syscall"

// childMode says whether a broker outlives the process that starts it.
type childMode int

const (
	detached childMode = iota // its own session: it outlives us
	tied                      // killed when we die (Pdeathsig)
)

func procAttr(m childMode) (*syscall.SysProcAttr, error) {
	if m == tied {
		return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}, nil
	}
	return &syscall.SysProcAttr{Setsid: true}, nil
}
