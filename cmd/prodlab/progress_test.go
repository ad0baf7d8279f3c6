package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/direct/directtest"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/runlock"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

func TestProgressFlags(t *testing.T) {
	for _, args := range [][]string{{"extra"}, {"--console", "localhost:8080"}} {
		if _, err := progressFlags(args, io.Discard); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	c, err := progressFlags([]string{"--json", "--console", "http://127.0.0.1:1/"}, io.Discard)
	if err != nil || !c.json || c.console != "http://127.0.0.1:1" {
		t.Fatalf("%+v %v", c, err)
	}
}

// TestProgressAsksTheLab: the table comes from the running lab, in French
// by default, as JSON with --json, and --reset empties it there.
func TestProgressAsksTheLab(t *testing.T) {
	l := labtest.Start(t, func(c *lab.Config) { c.ConsolePort = 0 })
	for _, a := range l.APIs() {
		c, err := api.NewClient(a.URL)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Health(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	inLang(t, i18n.FR)
	cfg := progressConfig{console: l.ConsoleURL(), dataDir: t.TempDir()}
	var out strings.Builder
	if err := showProgress(t.Context(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	for _, want := range []string{"| # | Checkpoint | Statut |", "| 02.0 | Les APIs franz-go et librdkafka répondent OK | ✅ ", "| 02.1 | Envoi synchrone retourne partition/offset | ⬜ à faire — Étapes 5-6", "1/10 cochés"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	out.Reset()
	cfg.json = true
	i18n.Set(i18n.EN)
	if err := showProgress(t.Context(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	var rep progress.Report
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || rep.Done() != 1 || rep.Rows[0].Tick == nil {
		t.Fatalf("--json: %v\n%s", err, out.String())
	}
	out.Reset()
	cfg.json, cfg.reset = false, true
	if err := showProgress(t.Context(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Progress reset.") || !strings.Contains(out.String(), "0/10 ticked") || l.Progress().Report().Done() != 0 {
		t.Fatalf("--reset:\n%s", out.String())
	}
}

// TestProgressReadsTheFileWhenNoLabRuns: with no console answering, the
// data dir's file is shown, and --reset empties it; a bad file is named.
func TestProgressReadsTheFileWhenNoLabRuns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, progress.FileName)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	raw, _ := json.Marshal(map[string]any{"version": 1, "ticks": map[string]any{"02.6": map[string]any{"at": at, "how": "kept only V3"}}})
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	inLang(t, i18n.EN)
	cfg := progressConfig{console: "http://" + closedAddr(t), dataDir: dir}
	var out strings.Builder
	if err := showProgress(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No lab answers on", path, "| 02.6 | Log compaction understood | ✅ ", "kept only V3", "| Ex. 3 | Exercise 3: try different keys | ⬜ to do"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
	cfg.reset = true
	// A lab holds the data dir but its console is elsewhere: it would
	// overwrite a reset file at its next tick, so the reset is refused.
	lock, err := runlock.Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[i18n.Lang]string{i18n.FR: "un lab tourne sur " + dir, i18n.EN: "a lab runs on " + dir} {
		inLang(t, lang)
		err := showProgress(context.Background(), cfg, &out)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("--reset (%s) while a lab holds the data dir: %v, want %q", lang, err, want)
		}
		t.Logf("%s: %v", lang, err)
	}
	if ticks, err := progress.Load(path); err != nil || len(ticks) != 1 {
		t.Fatalf("the refused --reset changed the file: %v %v", ticks, err)
	}
	if err := lock.Release(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := showProgress(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	if ticks, err := progress.Load(path); err != nil || len(ticks) != 0 {
		t.Fatalf("after --reset: %v %v", ticks, err)
	}
	if _, err := runlock.Holder(dir); !errors.Is(err, runlock.ErrNotRunning) {
		t.Fatalf("--reset left the data dir locked: %v", err)
	}
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.reset = false
	if err := showProgress(context.Background(), cfg, &out); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("a bad file: %v", err)
	}
}

// TestProgressEscapesNames: a toxic whose name holds terminal escapes (a
// title change, a screen clear, a colour), as anyone can create through
// Toxiproxy's port, shows escaped in prodlab progress's table.
func TestProgressEscapesNames(t *testing.T) {
	rec, err := progress.New(progress.Engines("franz"), progress.Direct(directtest.Path(t, "127.0.0.1:1")))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	const name = "x\x1b]0;pwned\a\x1b[2J\x1b[1;31mred"
	rec.Toxic(toxiclient.Change{Proxy: "kafka", Toxic: name, Type: "timeout"})
	rec.API(api.Event{Kind: api.Sent, Engine: "franz", Code: 504, Mode: prodlab.Plain, SendMode: prodlab.Sync, Partition: prodlab.AnyPartition})
	if rec.Report().Done() != 1 {
		t.Fatal("exercise 2 did not tick")
	}
	console := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(rec.Report())
	}))
	defer console.Close()
	var out strings.Builder
	if err := showProgress(t.Context(), progressConfig{console: console.URL, dataDir: t.TempDir()}, &out); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if strings.ContainsAny(out.String(), "\x1b\a") {
		t.Error("the table holds raw escapes")
	}
	if !strings.Contains(out.String(), `x\x1b]0;pwned\a\x1b[2J\x1b[1;31mred`) {
		t.Error("the table lacks the escaped toxic name")
	}
}

// TestProgressRelay: a lab in relay mode, over brokers that advertise
// their own addresses, ticks Lab 02.1 once every API has done a sync send
// (the lab reads the log itself, with its own client settings), and
// prodlab progress, which needs no cluster setting, shows it.
func TestProgressRelay(t *testing.T) {
	l, _ := labtest.Relayed(t, 3, func(c *lab.Config) { c.ConsolePort = 0 })
	for _, a := range l.APIs() {
		labtest.Send(t, a, "mode", "idempotent", "eventId", "progress-relay-"+a.Engine.Name())
	}
	ticked := func(rep progress.Report) bool {
		for _, row := range rep.Rows {
			if row.ID == progress.SyncSend {
				return row.Tick != nil
			}
		}
		return false
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool { return ticked(l.Progress().Report()) }); err != nil {
		t.Fatalf("02.1 never ticked in relay mode: %v", err)
	}
	var out strings.Builder
	if err := showProgress(t.Context(), progressConfig{console: l.ConsoleURL(), dataDir: t.TempDir(), json: true}, &out); err != nil {
		t.Fatal(err)
	}
	var rep progress.Report
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || !ticked(rep) {
		t.Fatalf("prodlab progress --json on a relayed lab: %v, 02.1 not ticked:\n%s", err, out.String())
	}
}
