package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/i18n"
)

// inLang makes l the process's language for the test.
func inLang(t *testing.T, l i18n.Lang) {
	t.Helper()
	before := i18n.Current()
	i18n.Set(l)
	t.Cleanup(func() { i18n.Set(before) })
}

func TestLangFlag(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	fr := env(map[string]string{"LANG": "fr_FR.UTF-8"})
	c := env(map[string]string{"LANG": "C"})
	for _, tc := range []struct {
		args   []string
		getenv func(string) string
		want   i18n.Lang
		rest   []string
	}{
		{[]string{"up"}, fr, i18n.FR, []string{"up"}},
		{[]string{"up"}, c, i18n.EN, []string{"up"}},
		{[]string{"up", "--lang", "en"}, fr, i18n.EN, []string{"up"}},
		{[]string{"--lang=fr", "progress", "--json"}, c, i18n.FR, []string{"progress", "--json"}},
		{[]string{"consume", "-lang", "fr", "--", "--lang", "en"}, c, i18n.FR, []string{"consume", "--", "--lang", "en"}},
	} {
		l, rest, err := langFlag(tc.args, tc.getenv)
		if err != nil || l != tc.want || !slices.Equal(rest, tc.rest) {
			t.Errorf("langFlag(%q) = %s %q %v, want %s %q", tc.args, l, rest, err, tc.want, tc.rest)
		}
	}
	for _, args := range [][]string{{"up", "--lang", "de"}, {"up", "--lang"}} {
		_, _, err := langFlag(args, c)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("langFlag(%q) = %v, want a usage error", args, err)
		}
	}
}

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
		if err != nil || lc.level != c.level || lc.json != c.json || !slices.Equal(rest, c.rest) {
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
