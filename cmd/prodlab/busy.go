package main

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/portowner"
)

// busyPort matches the port of a bind error's text, for errors that lost
// their *net.OpError on the way.
var busyPort = regexp.MustCompile(`:(\d+): bind: address already in use`)

// explainBusy turns an "address already in use" error from lab.Open into
// one that names the process holding the port, and says how to stop it
// when it is another prodlab. Other errors are returned as they are.
func explainBusy(err error) error {
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	port := 0
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		if ta, ok := op.Addr.(*net.TCPAddr); ok {
			port = ta.Port
		}
	}
	if m := busyPort.FindStringSubmatch(err.Error()); port == 0 && m != nil {
		port, _ = strconv.Atoi(m[1])
	}
	if port == 0 {
		return err
	}
	p, perr := portowner.Listener(port)
	switch {
	case perr != nil:
		return fmt.Errorf("port %d is already in use (by a process this user cannot see): %w", port, err)
	case p.IsProdlab():
		dir, ok := p.Flag("data-dir")
		if !ok {
			dir = lab.DefaultConfig().DataDir
		}
		if !filepath.IsAbs(dir) && p.Dir != "" {
			dir = filepath.Join(p.Dir, dir)
		}
		return fmt.Errorf("port %d is already in use by another prodlab lab, PID %d (%s): stop it with Ctrl-C in its terminal or `prodlab down --data-dir %s`", port, p.PID, p.Cmdline, dir)
	default:
		return fmt.Errorf("port %d is already in use by PID %d (%s): stop it, or give prodlab up other ports (see prodlab up -h)", port, p.PID, p.Cmdline)
	}
}
