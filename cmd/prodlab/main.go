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
	"strings"
	"syscall"
)

// command is one prodlab subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; each command's file calls it from init.
func register(name, summary string, run func(ctx context.Context, args []string) error) {
	commands[name] = command{summary, run}
}

// parsed returns a command that parses its arguments with parse (flag
// errors to os.Stderr), then runs them with run on os.Stdout.
func parsed[C any](parse func([]string, io.Writer) (C, error), run func(context.Context, C, io.Writer) error) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		c, err := parse(args, os.Stderr)
		if err != nil {
			return err
		}
		return run(ctx, c, os.Stdout)
	}
}

// parseNoArgs parses args into fs and refuses a positional argument.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, err: fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

func main() {
	exitWithGoRun()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "prodlab:", err)
		}
		os.Exit(exitCode(err))
	}
}

// run dispatches args to a subcommand.
func run(ctx context.Context, args []string) error {
	args, err := setLang(args)
	if err != nil {
		return err
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(os.Stderr, usage())
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	c, ok := commands[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q\n%s", args[0], usage())
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
	b.WriteString("usage: prodlab <command> [flags]\n\ncommands:\n")
	for _, n := range slices.Sorted(maps.Keys(commands)) {
		fmt.Fprintf(&b, "  %-16s %s\n", n, commands[n].summary)
	}
	b.WriteString("\nRun 'prodlab <command> -h' for a command's flags.\n" + logUsage + "'prodlab --version' is 'prodlab version'.\n")
	return b.String()
}

// exitError carries a process exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

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
