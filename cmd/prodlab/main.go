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
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/prodlab/prodlab/internal/i18n"
)

// command is one prodlab subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

// register adds a subcommand, from its file's init: summary is the
// catalogue id of its one-line description; parse (<name>Flags) reads its
// arguments into its config (flag errors and help to os.Stderr), then run
// (<name>Run) runs that on os.Stdout.
func register[C any](name, summary string, parse func([]string, io.Writer) (C, error), run func(context.Context, C, io.Writer) error) {
	commands[name] = command{summary, func(ctx context.Context, args []string) error {
		c, err := parse(args, os.Stderr)
		if err != nil {
			return err
		}
		return run(ctx, c, os.Stdout)
	}}
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
	return c.run(ctx, rest)
}

func usage() string {
	var b strings.Builder
	b.WriteString(i18n.T("cli.usage.head") + "\n")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(&b, "  %-16s %s\n", n, i18n.T(commands[n].summary))
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
