package main

import (
	"github.com/prodlab/prodlab/internal/i18n"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// logConfig is the parsed --log-level and --log-format.
type logConfig struct {
	level    slog.Level
	levelSet bool // --log-level was given: 'up --verbose' leaves it
	json     bool
}

var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// logFlags takes --log-level and --log-format (or -log-level, with the
// value after a space or an "=") out of a command's args, wherever they
// stand before a "--", and returns the other args in order.
func logFlags(args []string) (logConfig, []string, error) {
	c := logConfig{level: slog.LevelInfo}
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "log-level" && name != "log-format") {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return c, nil, i18n.Errorf("cli.flag.needsValue", "flag", "--"+name)
			}
			i++
			value = args[i]
		}
		switch name {
		case "log-level":
			l, ok := logLevels[value]
			if !ok {
				return c, nil, i18n.Errorf("cli.logLevel.bad", "value", strconv.Quote(value))
			}
			c.level, c.levelSet = l, true
		case "log-format":
			switch value {
			case "text":
				c.json = false
			case "json":
				c.json = true
			default:
				return c, nil, i18n.Errorf("cli.logFormat.bad", "value", strconv.Quote(value))
			}
		}
	}
	return c, rest, nil
}

// logLevel is the default logger's level; 'up --verbose' lowers it to
// debug unless --log-level was given.
var logLevel = new(slog.LevelVar)

// logExplicit records that --log-level was given.
var logExplicit bool

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

// verboseLogs lowers the default logger to debug, unless --log-level set
// a level.
func verboseLogs() {
	if !logExplicit {
		logLevel.Set(slog.LevelDebug)
	}
}
