package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestLogFlags(t *testing.T) {
	for _, c := range []struct {
		args      []string
		level     slog.Level
		json      bool
		rest      []string
		errNaming string
	}{
		{args: []string{"--engine", "franz"}, level: slog.LevelInfo, rest: []string{"--engine", "franz"}},
		{args: []string{"--log-level", "debug", "--engine", "franz", "--log-format=json"}, level: slog.LevelDebug, json: true, rest: []string{"--engine", "franz"}},
		{args: []string{"-log-level=warn", "x"}, level: slog.LevelWarn, rest: []string{"x"}},
		{args: []string{"--log-level", "error", "--", "--log-level", "x"}, level: slog.LevelError, rest: []string{"--", "--log-level", "x"}},
		{args: []string{"--log-level", "loud"}, errNaming: "--log-level"},
		{args: []string{"--log-level=INFO"}, errNaming: "--log-level"},
		{args: []string{"--log-format", "xml"}, errNaming: "--log-format"},
		{args: []string{"--log-format"}, errNaming: "--log-format"},
	} {
		lc, rest, err := logFlags(c.args)
		if c.errNaming != "" {
			if err == nil || !strings.Contains(err.Error(), c.errNaming) {
				t.Errorf("%q: error %v, want one naming %s", c.args, err, c.errNaming)
			}
			continue
		}
		if err != nil || lc.level != c.level || lc.json != c.json || !reflect.DeepEqual(rest, c.rest) {
			t.Errorf("%q: %+v %q %v, want level %v json %v rest %q", c.args, lc, rest, err, c.level, c.json, c.rest)
		}
	}
}

func TestLogInstall(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	var b bytes.Buffer
	logConfig{level: slog.LevelWarn, json: true}.install(&b)
	slog.Info("hidden")
	slog.Warn("shown", "k", "v")
	var line map[string]any
	if err := json.Unmarshal(b.Bytes(), &line); err != nil || line["msg"] != "shown" || line["k"] != "v" {
		t.Fatalf("json log %q: %v", b.String(), err)
	}
	b.Reset()
	logConfig{level: slog.LevelInfo}.install(&b)
	verboseLogs()
	slog.Debug("debug under --verbose")
	if !strings.Contains(b.String(), "level=DEBUG") {
		t.Fatalf("--verbose did not lower the level: %q", b.String())
	}
	b.Reset()
	logConfig{level: slog.LevelInfo, levelSet: true}.install(&b)
	verboseLogs()
	slog.Debug("hidden")
	if b.Len() != 0 {
		t.Fatalf("--verbose overrode --log-level info: %q", b.String())
	}
}

// TestLogFlagsRefused runs the binary with a bad value: it exits non-zero
// with a one-line error naming the flag.
func TestLogFlagsRefused(t *testing.T) {
	cmd := exec.Command(prodlabBin(t), "topic", "list", "--log-format", "xml")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("--log-format xml accepted")
	}
	if got := strings.TrimSpace(stderr.String()); got != `prodlab: --log-format "xml" is not text or json` {
		t.Fatalf("stderr %q", got)
	}
}
