package main

import (
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/portowner"
	"github.com/prodlab/prodlab/internal/term"
)

// busyPort matches the port in a bind error's text (a *net.OpError's, or
// one that lost it on the way).
var busyPort = regexp.MustCompile(`:([1-9]\d*): bind: address already in use`)

// explainBusy names the process holding the port of an "address already
// in use" error, and how to free it if it is another prodlab or a Docker
// container (the previous module's stack); other errors pass unchanged.
func explainBusy(err error) error {
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	m := busyPort.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	port, _ := strconv.Atoi(m[1])
	p, perr := listenerOf(port)
	cmd := term.Safe(p.Cmdline) // its owner wrote it: one line, no controls
	switch {
	case perr != nil:
		return i18n.Errorf("busy.hidden", "port", port, "err", err)
	case p.IsProdlab():
		dir, ok := p.Flag("data-dir")
		if !ok {
			dir = lab.DefaultConfig().DataDir
		}
		if !filepath.IsAbs(dir) && p.Dir != "" {
			dir = filepath.Join(p.Dir, dir)
		}
		return i18n.Errorf("busy.prodlab", "port", port, "pid", p.PID, "cmd", cmd, "dir", term.Safe(dir), "err", err)
	case p.IsDockerProxy():
		// The message says docker stop on the containers publishing the
		// port: unlike compose down it works from any folder, and it
		// spares the trainee's other containers.
		return i18n.Errorf("busy.docker", "port", port, "pid", p.PID, "err", err)
	default:
		return i18n.Errorf("busy.other", "port", port, "pid", p.PID, "cmd", cmd, "err", err)
	}
}

// listenerOf names the process listening on a port; tests replace it.
var listenerOf = portowner.Listener
