// Package portowner names the process that listens on a TCP port, from
// Linux's /proc/net/tcp{,6} and /proc/<pid>/fd. Elsewhere, or when the
// process belongs to another user, it reports ErrUnknown.
package portowner

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
func Listener(port int) (Process, error) {
	return listener("/proc", port)
}

func listener(proc string, port int) (Process, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		if err := listenInodes(filepath.Join(proc, f), port, inodes); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Process{}, err
		}
	}
	if len(inodes) == 0 {
		return Process{}, ErrUnknown
	}
	pids, err := os.ReadDir(proc)
	if err != nil {
		return Process{}, err
	}
	// Docker's docker-proxy runs as root: its sockets are hidden from
	// other users, but its command line names the port it publishes
	// (-host-port <port>).
	var proxy *Process
	for _, d := range pids {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join(proc, d.Name(), "fd")
		fds, _ := os.ReadDir(fdDir) // none: gone, or another user's
		for _, fd := range fds {
			link, _ := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if inode, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
				p, _ := process(proc, pid)
				p.Dir, _ = os.Readlink(filepath.Join(proc, d.Name(), "cwd"))
				return p, nil
			}
		}
		if p, err := process(proc, pid); err == nil && p.IsDockerProxy() && proxy == nil {
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

// process returns pid with its command line, if readable.
func process(proc string, pid int) (Process, error) {
	p := Process{PID: pid}
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "cmdline"))
	if err == nil {
		p.Args = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		p.Cmdline = strings.Join(p.Args, " ")
	}
	return p, err
}

// listenInodes adds the socket inode of every listening socket on port
// found in a /proc/net/tcp-format file.
func listenInodes(path string, port int, into map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		const listen = "0A"
		if fields[3] == listen && strings.HasSuffix(fields[1], want) {
			into[fields[9]] = true
		}
	}
	return sc.Err()
}
