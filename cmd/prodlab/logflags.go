package main

import (
	"io"
	"log/slog"
	"strconv"

	"github.com/prodlab/prodlab/internal/i18n"
)

// logConfig is the parsed --log-level and --log-format.
type logConfig struct {
	level    slog.Level
	levelSet bool // --log-level was given: 'up --verbose' leaves it
	json     bool
}

var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// logFlags takes --log-level and --log-format out of a command's args
// (see takeFlags) and returns the other args in order.
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
