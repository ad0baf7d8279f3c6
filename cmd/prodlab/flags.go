package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
)

// newFlagSet is a command's flag set writing to stderr; with a usage id,
// -h prints that catalogue text before the flags. Usage writes to
// fs.Output(), which parseFlags captures: a flag error prints no usage.
func newFlagSet(name string, stderr io.Writer, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if usage != "" {
		fs.Usage = func() {
			fmt.Fprintln(fs.Output(), strings.TrimSuffix(i18n.T(usage), "\n"))
			printDefaults(fs)
		}
	}
	return fs
}

// parseNoArgs parses args into fs and refuses a positional argument.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("cli.unexpectedArg", "cmd", fs.Name(), "arg", strconv.Quote(fs.Arg(0)))
	}
	return nil
}

// parseVerb parses flags placed anywhere among the positional arguments
// and returns those; with none, it prints fs's usage and returns missing
// with exit status 2.
func parseVerb(fs *flag.FlagSet, args []string, missing error) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		switch args = fs.Args(); {
		case len(args) > 0 && args[0] == "--":
			pos, args = append(pos, args[1:]...), nil
		case len(args) > 0:
			pos, args = append(pos, args[0]), args[1:]
		}
	}
	if len(pos) == 0 {
		fs.Usage()
		return nil, &exitError{code: 2, err: missing}
	}
	return pos, nil
}

// parseFlags is fs.Parse in the process's language: a flag error comes
// back translated with a hint to run -h, instead of the flag list.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.VisitAll(func(f *flag.Flag) {
		if id, ok := flagUsageIDs()[f.Usage]; ok {
			f.Usage = i18n.T(id)
		}
	})
	var err error
	help := translated(fs, func() { err = fs.Parse(args) })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		io.WriteString(fs.Output(), help)
		return err
	}
	return usageError("cli.flag.error", "err", flagText(fs, err), "cmd", fs.Name())
}

// The flag package's errors (Go 1.26), by the message that says each.
var flagErrors = []struct {
	re *regexp.Regexp
	id string
}{
	{regexp.MustCompile(`^flag provided but not defined: (?P<flag>\S+)$`), "cli.flag.undefined"},
	{regexp.MustCompile(`^flag needs an argument: (?P<flag>\S+)$`), "cli.flag.needsValue"},
	{regexp.MustCompile(`^bad flag syntax: (?P<flag>.*)$`), "cli.flag.syntax"},
	{regexp.MustCompile(`^invalid value (?P<value>".*") for flag (?P<flag>\S+): (?P<why>.*)$`), "cli.flag.invalid"},
	{regexp.MustCompile(`^invalid boolean value (?P<value>".*") for (?P<flag>\S+): (?P<bool>.*)$`), "cli.flag.invalid"},
	{regexp.MustCompile(`^invalid boolean flag (?P<flag>\S+): (?P<bool>.*)$`), "cli.flag.invalid"},
}

// flagText translates a flag package error; one it does not know stays.
// The flag package says "parse error" for a bad duration or yes/no value
// too, so the reason comes from the flag's type.
func flagText(fs *flag.FlagSet, err error) string {
	for _, fe := range flagErrors {
		m := fe.re.FindStringSubmatch(err.Error())
		if m == nil {
			continue
		}
		g := map[string]string{}
		for i, n := range fe.re.SubexpNames()[1:] { // every group is named
			g[n] = m[i+1]
		}
		if why, ok := g["why"]; ok {
			g["why"] = whyText(why)
			if f := fs.Lookup(strings.TrimLeft(g["flag"], "-")); f != nil && why == "parse error" && isDuration(f) {
				g["why"] = i18n.T("cli.flag.why.duration", "value", g["value"])
			}
		}
		if _, ok := g["bool"]; ok {
			delete(g, "bool")
			g["why"] = i18n.T("cli.flag.why.bool")
		}
		var args []any
		for n, v := range g {
			args = append(args, n, v)
		}
		return i18n.T(fe.id, args...)
	}
	return err.Error()
}

func isDuration(f *flag.Flag) bool {
	v, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = v.Get().(time.Duration)
	return ok
}

var badDuration = regexp.MustCompile(`^time: (?:invalid|missing unit in) duration (".*")$`)

// whyText translates the reasons strconv and time give for a bad value.
func whyText(why string) string {
	if id, ok := map[string]string{"parse error": "cli.flag.why.parse", "value out of range": "cli.flag.why.range"}[why]; ok {
		return i18n.T(id)
	}
	if m := badDuration.FindStringSubmatch(why); m != nil {
		return i18n.T("cli.flag.why.duration", "value", m[1])
	}
	return why
}

// flagUsageIDs maps each English flag help text to its catalogue id
// (flag.<name>, flag.<name>.2, ...); a text not in the catalogue stays.
var flagUsageIDs = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, id := range i18n.IDs() {
		if strings.HasPrefix(id, "flag.") {
			m[i18n.Text(i18n.EN, id)] = id
		}
	}
	return m
})

// printDefaults is fs.PrintDefaults in the process's language.
func printDefaults(fs *flag.FlagSet) {
	io.WriteString(fs.Output(), translated(fs, fs.PrintDefaults))
}

// translated returns what print writes to fs's output, with the flag
// package's header and "(default ...)" notes translated.
func translated(fs *flag.FlagSet, print func()) string {
	out := fs.Output()
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	print()
	fs.SetOutput(out)
	help := strings.ReplaceAll(buf.String(), "Usage of "+fs.Name()+":", i18n.T("cli.usageOf", "cmd", fs.Name()))
	return strings.ReplaceAll(help, " (default ", " ("+i18n.T("cli.flag.default")+" ")
}

// flagSet reports whether the flag called name was given.
func flagSet(fs *flag.FlagSet, name string) (set bool) {
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
