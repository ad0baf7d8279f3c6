// Package portowner names the process that listens on a TCP port, from
// Linux's /proc/net/tcp{,6} and /proc/<pid>/fd. Elsewhere, or when the
// process belongs to another user, it reports ErrUnknown.
package portowner

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"
)

// ErrUnknown means no visible process was found listening on the port.
var ErrUnknown = errors.New("no visible process listens there")

// Process is a process that listens on a port.
type Process struct {
	PID int
	// Args is its command line; Cmdline joins it with spaces.
	Args    []string
	Cmdline string
	// Dir is its working directory, "" if unreadable.
	Dir string
}

// IsProdlab reports whether the process runs a prodlab binary.
func (p Process) IsProdlab() bool { return p.runs("prodlab") }

// IsDockerProxy reports whether the process is Docker's docker-proxy,
// which holds a port a container publishes.
func (p Process) IsDockerProxy() bool { return p.runs("docker-proxy") }

func (p Process) runs(name string) bool { return len(p.Args) > 0 && filepath.Base(p.Args[0]) == name }

// Flag returns the value of flag name (such as "data-dir") in Args, in
// any of Go's flag spellings, and whether it was given.
func (p Process) Flag(name string) (string, bool) {
	for i, a := range p.Args {
		for _, dash := range []string{"-", "--"} {
			if a == dash+name && i+1 < len(p.Args) {
				return p.Args[i+1], true
			}
			if v, ok := strings.CutPrefix(a, dash+name+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

// Listener returns the process listening on TCP port, on any address.
func Listener(port int) (Process, error) { return listener(procfs.DefaultMountPoint, port) }

func listener(proc string, port int) (Process, error) {
	fs, err := procfs.NewFS(proc)
	if err != nil {
		return Process{}, ErrUnknown // no /proc: not Linux
	}
	const listen = 0x0A // TCP_LISTEN
	sockets := map[string]bool{}
	for _, read := range []func() (procfs.NetTCP, error){fs.NetTCP, fs.NetTCP6} {
		lines, err := read()
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return Process{}, err
		}
		for _, l := range lines {
			if l.St == listen && l.LocalPort == uint64(port) {
				sockets["socket:["+strconv.FormatUint(l.Inode, 10)+"]"] = true
			}
		}
	}
	if len(sockets) == 0 {
		return Process{}, ErrUnknown
	}
	procs, err := fs.AllProcs()
	if err != nil {
		return Process{}, err
	}
	// Docker's docker-proxy runs as root: its sockets are hidden from
	// other users, but its command line names the port it publishes
	// (-host-port <port>).
	var proxy *Process
	for _, pr := range procs {
		args, err := pr.CmdLine()
		p := Process{PID: pr.PID, Args: args, Cmdline: strings.Join(args, " ")}
		fds, _ := pr.FileDescriptorTargets() // none: gone, or another user's
		if slices.ContainsFunc(fds, func(fd string) bool { return sockets[fd] }) {
			p.Dir, _ = pr.Cwd()
			return p, nil
		}
		if err == nil && p.IsDockerProxy() && proxy == nil {
			if v, ok := p.Flag("host-port"); ok && v == strconv.Itoa(port) {
				proxy = &p
			}
		}
	}
	if proxy != nil {
		return *proxy, nil
	}
	return Process{}, ErrUnknown
}
