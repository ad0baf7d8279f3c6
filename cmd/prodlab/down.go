package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/runlock"
	"github.com/prodlab/prodlab/internal/wait"
)

func init() {
	register("down", "stop the lab running on a data dir (SIGTERM, then wait until it has exited)", parsed(downFlags, down))
}

// downConfig is a parsed 'prodlab down' command line.
type downConfig struct {
	dataDir string
	wait    time.Duration
}

func downFlags(args []string, stderr io.Writer) (downConfig, error) {
	c := downConfig{dataDir: lab.DefaultConfig().DataDir}
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.dataDir, "data-dir", c.dataDir, "data dir of the lab to stop, as given to 'prodlab up'")
	fs.DurationVar(&c.wait, "wait", 45*time.Second, "how long to wait for the lab to flush and exit")
	if err := parseNoArgs(fs, args); err != nil {
		return c, err
	}
	if c.dataDir == "" {
		return c, &exitError{code: 2, err: errors.New("down: --data-dir is empty: a lab with no data dir is stopped with Ctrl-C in its terminal")}
	}
	if c.wait <= 0 {
		return c, fmt.Errorf("--wait %s must be positive", c.wait)
	}
	return c, nil
}

// down stops the lab holding c.dataDir's lock: SIGTERM, as Ctrl-C does,
// then it waits until the lab has flushed and released the lock.
func down(ctx context.Context, c downConfig, w io.Writer) error {
	pid, err := runlock.Holder(c.dataDir)
	if errors.Is(err, runlock.ErrNotRunning) {
		fmt.Fprintf(w, "No lab is running on data dir %s: nothing to stop.\n", c.dataDir)
		return nil
	}
	if err != nil {
		return err
	}
	start := time.Now()
	if err := terminate(pid); err != nil {
		return fmt.Errorf("stopping prodlab PID %d: %w", pid, err)
	}
	fmt.Fprintf(w, "Stopping prodlab PID %d (data dir %s): pending sends are flushed first...\n", pid, c.dataDir)
	wctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	if err := wait.Until(wctx, func() bool {
		_, err := runlock.Holder(c.dataDir)
		return errors.Is(err, runlock.ErrNotRunning)
	}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("prodlab PID %d still running %s after SIGTERM; look at its terminal, or force it with: kill -9 %d", pid, c.wait, pid)
	}
	fmt.Fprintf(w, "Stopped prodlab PID %d in %s.\n", pid, time.Since(start).Round(time.Millisecond))
	return nil
}
