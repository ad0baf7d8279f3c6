//go:build unix && !linux

package kafkalocal

import "syscall"

// childMode says whether a broker outlives the process that starts it.
type childMode int

const (
	detached childMode = iota // its own session: it outlives us
	tied                      // meant to die with us; see procAttr
)

// procAttr: outside Linux there is no parent-death signal, so a tied
// broker whose starter is killed (not stopped) stays up until `prodlab
// kafka down` or a kill of its process group.
func procAttr(m childMode) (*syscall.SysProcAttr, error) {
	if m == tied {
		return &syscall.SysProcAttr{Setpgid: true}, nil
	}
	return &syscall.SysProcAttr{Setsid: true}, nil
}
