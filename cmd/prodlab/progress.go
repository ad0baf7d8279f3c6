package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/runlock"
	"github.com/prodlab/prodlab/internal/term"
)

func init() {
	register("progress", "show the module's checkpoints, ticked from what the lab saw (--json, --reset, --lang en)", parsed(progressFlags, showProgress))
}

// progressConfig is a parsed 'prodlab progress' command line.
type progressConfig struct {
	console string
	dataDir string
	lang    string
	json    bool
	reset   bool
}

func progressFlags(args []string, stderr io.Writer) (progressConfig, error) {
	c := progressConfig{console: fmt.Sprintf("http://127.0.0.1:%d", prodlab.DefaultPorts.Console), dataDir: lab.DefaultConfig().DataDir}
	fs := flag.NewFlagSet("progress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.console, "console", c.console, "web console of the running lab, asked first")
	fs.StringVar(&c.dataDir, "data-dir", c.dataDir, "data dir whose progress.json is read when no lab answers")
	fs.StringVar(&c.lang, "lang", "fr", "language of the table: fr or en")
	fs.BoolVar(&c.json, "json", false, "print the checkpoints as JSON (for a trainer collecting results)")
	fs.BoolVar(&c.reset, "reset", false, "forget every tick, then print the table")
	if err := parseNoArgs(fs, args); err != nil {
		return c, err
	}
	if !progress.ValidLang(c.lang) {
		return c, &exitError{code: 2, err: fmt.Errorf("progress: --lang %q: use fr or en", c.lang)}
	}
	c.console = strings.TrimRight(c.console, "/")
	if !strings.HasPrefix(c.console, "http://") && !strings.HasPrefix(c.console, "https://") {
		return c, &exitError{code: 2, err: fmt.Errorf("progress: --console %q is not an http:// URL", c.console)}
	}
	return c, nil
}

// showProgress asks the running lab's console for the table (resetting it
// first with --reset); when no lab answers, it reads the data dir's file.
func showProgress(ctx context.Context, c progressConfig, w io.Writer) error {
	rep, err := askProgress(ctx, c)
	var from string
	if errors.Is(err, syscall.ECONNREFUSED) {
		path := filepath.Join(c.dataDir, progress.FileName)
		if c.reset {
			if err := resetFile(c, path); err != nil {
				return err
			}
		}
		ticks, lerr := progress.Load(path)
		if lerr != nil {
			return lerr
		}
		rep, err, from = progress.NewReport(ticks), nil, path
	}
	if err != nil {
		return err
	}
	if c.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if from != "" {
		fmt.Fprintf(w, map[string]string{"fr": "Aucun lab ne répond sur %s : progression lue dans %s.\n", "en": "No lab answers on %s: progress read from %s.\n"}[c.lang], c.console, from)
	}
	if c.reset {
		fmt.Fprintln(w, map[string]string{"fr": "Progression remise à zéro.", "en": "Progress reset."}[c.lang])
	}
	_, err = io.WriteString(w, safeReport(rep).Text(c.lang))
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
			row.Tick = &progress.Tick{At: row.Tick.At, How: term.Safe(row.Tick.How)}
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
		msg := map[string]string{
			"fr": "progress : un lab tourne sur %s (PID %d) mais aucune console ne répond sur %s ; remettez à zéro par sa console (--console http://127.0.0.1:<port>) ou arrêtez-le d'abord (prodlab down --data-dir %s)",
			"en": "progress: a lab runs on %s (PID %d) but no console answers on %s; reset through its console (--console http://127.0.0.1:<port>) or stop it first (prodlab down --data-dir %s)",
		}[c.lang]
		return fmt.Errorf(msg, held.Dir, held.PID, c.console, held.Dir)
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
	req, err := http.NewRequestWithContext(ctx, method, c.console+path, nil)
	if err != nil {
		return rep, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rep, fmt.Errorf("progress: the console at %s: %w", c.console, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return rep, fmt.Errorf("progress: the console at %s: %w", c.console, err)
	}
	if resp.StatusCode != http.StatusOK {
		return rep, fmt.Errorf("progress: the console at %s answered %s %s: %s", c.console, method, path, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return rep, fmt.Errorf("progress: the console at %s answered something else than the checkpoints (%v): is it a prodlab console?", c.console, err)
	}
	return rep, nil
}
