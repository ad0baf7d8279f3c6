package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/runlock"
	"github.com/prodlab/prodlab/internal/wait"
)

type downConfig struct {
	dataDir string
	wait    time.Duration
}

func downFlags(args []string, stderr io.Writer) (downConfig, error) {
	c := downConfig{dataDir: lab.DefaultConfig().DataDir}
	fs := newFlagSet("down", stderr, "")
	fs.StringVar(&c.dataDir, "data-dir", c.dataDir, "data dir of the lab to stop, as given to 'prodlab up'")
	fs.DurationVar(&c.wait, "wait", 45*time.Second, "how long to wait for the lab to flush and exit")
	if err := parseNoArgs(fs, args); err != nil {
		return c, err
	}
	if c.dataDir == "" {
		return c, usageError("down.noDataDir")
	}
	if c.wait <= 0 {
		return c, usageError("down.wait", "wait", c.wait)
	}
	return c, nil
}

// down stops the lab holding c.dataDir's lock: SIGTERM, as Ctrl-C does,
// then it waits until the lab has flushed and released the lock.
func down(ctx context.Context, c downConfig, w io.Writer) error {
	pid, err := runlock.Holder(c.dataDir)
	if errors.Is(err, runlock.ErrNotRunning) {
		fmt.Fprintln(w, i18n.T("down.none", "dir", c.dataDir))
		return nil
	}
	if err != nil {
		return err
	}
	start := time.Now()
	if err := terminate(pid); err != nil {
		return i18n.Errorf("down.kill", "pid", pid, "err", err)
	}
	fmt.Fprintln(w, i18n.T("down.stopping", "pid", pid, "dir", c.dataDir))
	wctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	if err := wait.Until(wctx, func() bool {
		_, err := runlock.Holder(c.dataDir)
		return errors.Is(err, runlock.ErrNotRunning)
	}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return i18n.Errorf("down.stuck", "pid", pid, "wait", c.wait)
	}
	fmt.Fprintln(w, i18n.T("down.stopped", "pid", pid, "took", time.Since(start)))
	return nil
}
