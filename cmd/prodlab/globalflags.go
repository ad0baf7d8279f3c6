package main

import (
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
)

// langFlag takes --lang fr|en out of args and returns the language to
// speak: the flag's, else the locale's (see i18n.FromEnv).
func langFlag(args []string, getenv func(string) string) (i18n.Lang, []string, error) {
	lang := i18n.FromEnv(getenv)
	rest, err := takeFlags(args, func(_, value string) error {
		l, err := i18n.Parse(value)
		if err != nil {
			return i18n.Errorf("cli.lang.bad", "value", value)
		}
		lang = l
		return nil
	}, "lang")
	if err != nil {
		return lang, nil, &exitError{code: 2, err: err}
	}
	return lang, rest, nil
}

// takeFlags takes the flags called names (-name or --name, the value
// after a space or an "=") out of args, wherever they stand before a
// "--", calls set with each, and returns the other args in order.
func takeFlags(args []string, set func(name, value string) error, names ...string) ([]string, error) {
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(rest, args[i:]...), nil
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !slices.Contains(names, name) {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, i18n.Errorf("cli.flag.needsValue", "flag", "--"+name)
			}
			i++
			value = args[i]
		}
		if err := set(name, value); err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// logConfig is the parsed --log-level and --log-format.
type logConfig struct {
	level    slog.Level
	levelSet bool // --log-level was given: 'up --verbose' leaves it
	json     bool
}

var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// logFlags takes --log-level and --log-format out of a command's args.
func logFlags(args []string) (logConfig, []string, error) {
	c := logConfig{level: slog.LevelInfo}
	rest, err := takeFlags(args, func(name, value string) error {
		if name == "log-format" {
			if value != "text" && value != "json" {
				return i18n.Errorf("cli.logFormat.bad", "value", strconv.Quote(value))
			}
			c.json = value == "json"
			return nil
		}
		l, ok := logLevels[value]
		if !ok {
			return i18n.Errorf("cli.logLevel.bad", "value", strconv.Quote(value))
		}
		c.level, c.levelSet = l, true
		return nil
	}, "log-level", "log-format")
	return c, rest, err
}

// The default logger's level, and whether --log-level set it.
var (
	logLevel    = new(slog.LevelVar)
	logExplicit bool
)

// install makes c's logger, writing to w, the default one.
func (c logConfig) install(w io.Writer) {
	logLevel.Set(c.level)
	logExplicit = c.levelSet
	opts := &slog.HandlerOptions{Level: logLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if c.json {
		h = slog.NewJSONHandler(w, opts)
	}
	slog.SetDefault(slog.New(h))
}

// verboseLogs lowers the default logger to debug unless --log-level set it.
func verboseLogs() {
	if !logExplicit {
		logLevel.Set(slog.LevelDebug)
	}
}
