// Command prodlab runs the Kafka producer-reliability lab.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/i18n"
)

// command is one prodlab subcommand.
type command func(ctx context.Context, args []string) error

// commands are prodlab's subcommands; "cmd.<name>" is the catalogue id
// of each one's one-line description.
var commands = map[string]command{
	"api":              cmd(apiFlags, apiRun),
	"bench":            cmd(benchFlags, benchRun),
	"compaction-check": cmd(compactionFlags, compactionRun),
	"consume": cmd(consumeFlags, func(ctx context.Context, c consumeConfig, w io.Writer) error {
		return consumeRun(ctx, c, w, os.Stderr)
	}),
	"down":       cmd(downFlags, down),
	"experiment": cmd(experimentFlags, experimentRun),
	"kafka":      cmd(kafkaFlags, kafkaRun),
	"progress":   cmd(progressFlags, showProgress),
	"topic":      cmd(topicFlags, topicRun),
	"up":         cmd(upFlags, upRun),
	"validate":   cmd(validateFlags, validateRun),
	"version": cmd(versionFlags, func(_ context.Context, bi *debug.BuildInfo, w io.Writer) error {
		return writeVersion(w, bi, engine.LibrdkafkaVersion())
	}),
}

// cmd is a subcommand whose parse reads its arguments into its config
// (flag errors and help to os.Stderr), then run runs that on os.Stdout.
func cmd[C any](parse func([]string, io.Writer) (C, error), run func(context.Context, C, io.Writer) error) command {
	return func(ctx context.Context, args []string) error {
		c, err := parse(args, os.Stderr)
		if err != nil {
			return err
		}
		return run(ctx, c, os.Stdout)
	}
}

func main() {
	exitWithGoRun()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, i18n.T("cli.error", "err", err))
		}
		os.Exit(exitCode(err))
	}
}

// run dispatches args to a subcommand.
func run(ctx context.Context, args []string) error {
	l, args, err := langFlag(args, os.Getenv)
	i18n.Set(l)
	if err != nil {
		return err
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(os.Stderr, usage())
		if len(args) == 0 {
			return i18n.Errorf("cli.noCommand")
		}
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	c, ok := commands[args[0]]
	if !ok {
		return i18n.Errorf("cli.unknownCommand", "cmd", strconv.Quote(args[0]), "usage", usage())
	}
	lc, rest, err := logFlags(args[1:])
	if err != nil {
		return err
	}
	lc.install(os.Stderr)
	return c(ctx, rest)
}

func usage() string {
	var b strings.Builder
	b.WriteString(i18n.T("cli.usage.head") + "\n")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(&b, "  %-16s %s\n", n, i18n.T("cmd."+n))
	}
	b.WriteString("\n" + i18n.T("cli.usage.tail") + "\n")
	return b.String()
}

// exitError carries a process exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is the catalogue message id, with exit status 2.
func usageError(id string, args ...any) error {
	return &exitError{code: 2, err: i18n.Errorf(id, args...)}
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}
