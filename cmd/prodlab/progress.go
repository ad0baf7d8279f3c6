package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/runlock"
	"github.com/prodlab/prodlab/internal/term"
)

type progressConfig struct {
	console string
	dataDir string
	json    bool
	reset   bool
}

func progressFlags(args []string, stderr io.Writer) (progressConfig, error) {
	c := progressConfig{console: "http://" + prodlab.Loopback(prodlab.DefaultPorts.Console), dataDir: lab.DefaultConfig().DataDir}
	fs := newFlagSet("progress", stderr, "")
	fs.StringVar(&c.console, "console", c.console, "web console of the running lab, asked first")
	fs.StringVar(&c.dataDir, "data-dir", c.dataDir, "data dir whose progress.json is read when no lab answers")
	fs.BoolVar(&c.json, "json", false, "print the checkpoints as JSON (for a trainer collecting results)")
	fs.BoolVar(&c.reset, "reset", false, "forget every tick, then print the table")
	if err := parseNoArgs(fs, args); err != nil {
		return c, err
	}
	c.console = strings.TrimRight(c.console, "/")
	if _, err := httpjson.NewClient("console", c.console); err != nil {
		return c, usageError("progress.err.url", "url", strconv.Quote(c.console))
	}
	return c, nil
}

// showProgress asks the running lab's console for the table (resetting it
// first with --reset); when no lab answers, it reads the data dir's file.
func showProgress(ctx context.Context, c progressConfig, w io.Writer) error {
	rep, err := askProgress(ctx, c)
	var note string // where the table comes from, when no lab answered
	if errors.Is(err, syscall.ECONNREFUSED) {
		path := filepath.Join(c.dataDir, progress.FileName)
		if c.reset {
			if err := resetFile(c, path); err != nil {
				return err
			}
		}
		note = i18n.T("progress.fromFile", "console", c.console, "file", path)
		if _, serr := os.Stat(path); errors.Is(serr, os.ErrNotExist) {
			note = i18n.T("progress.noFile", "console", c.console, "file", path)
		}
		ticks, lerr := progress.Load(path)
		if lerr != nil {
			return lerr
		}
		rep, err = progress.NewReport(ticks), nil
	}
	if err != nil {
		return err
	}
	if c.json {
		return writeJSON(w, rep)
	}
	if note != "" {
		fmt.Fprintln(w, note)
	}
	if c.reset {
		fmt.Fprintln(w, i18n.T("progress.reset"))
	}
	_, err = io.WriteString(w, safeReport(rep).Text(i18n.Current()))
	return err
}

// safeReport returns rep with every text escaped for the terminal: ticks
// quote toxic, topic and key names that any client chose, and the report
// may come from whatever answers on --console.
func safeReport(rep progress.Report) progress.Report {
	safe := func(m map[string]string) map[string]string {
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k] = term.Safe(v)
		}
		return out
	}
	out := progress.Report{Guide: term.Safe(rep.Guide), Rows: make([]progress.Row, len(rep.Rows))}
	for i, row := range rep.Rows {
		row.ID = progress.ID(term.Safe(string(row.ID)))
		row.Title, row.Next = safe(row.Title), safe(row.Next)
		if row.Tick != nil {
			t := *row.Tick
			t.How = term.Safe(t.How)
			if t.Msg != nil {
				m := *t.Msg
				m.Args = safe(m.Args)
				t.Msg = &m
			}
			row.Tick = &t
		}
		out.Rows[i] = row
	}
	return out
}

// resetFile empties the progress file of a data dir no lab runs on,
// holding the data dir's lock meanwhile. A lab holding it would overwrite
// the file at its next tick: the reset is refused, pointing at its console.
func resetFile(c progressConfig, path string) error {
	lock, err := runlock.Acquire(c.dataDir)
	var held *runlock.HeldError
	if errors.As(err, &held) {
		return i18n.Errorf("progress.resetHeld", "dir", held.Dir, "pid", held.PID, "console", c.console)
	}
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	defer lock.Release()
	if err := progress.Reset(path); err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	return nil
}

// askProgress gets the table from the console, or resets it there.
func askProgress(ctx context.Context, c progressConfig) (progress.Report, error) {
	var rep progress.Report
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	method, path := http.MethodGet, "/api/progress"
	if c.reset {
		method, path = http.MethodPost, "/api/progress/reset"
	}
	cl, err := httpjson.NewClient("console", c.console)
	if err != nil {
		return rep, err
	}
	code, raw, err := cl.Call(ctx, method, path, nil, nil)
	if err != nil {
		return rep, i18n.Errorf("progress.err.console", "url", c.console, "err", err)
	}
	// A console's error is its one JSON shape; any other answer, such as
	// another server's 404 page, is not printed.
	var eb httpjson.ErrorBody
	if code != http.StatusOK && (json.Unmarshal(raw, &eb) != nil || eb.Error == "") {
		return rep, i18n.Errorf("progress.err.notConsole", "url", c.console, "err", "HTTP "+strconv.Itoa(code))
	} else if code != http.StatusOK {
		return rep, i18n.Errorf("progress.err.answer", "url", c.console, "request", method+" "+path, "body", term.Safe(eb.Error))
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return rep, i18n.Errorf("progress.err.notConsole", "url", c.console, "err", err)
	}
	return rep, nil
}
