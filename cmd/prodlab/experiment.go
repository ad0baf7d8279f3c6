package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/experiment/htmlreport"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/term"
)

type experimentConfig struct {
	target             *target.Target
	opts               []experiment.Opt
	schedule           string
	jsonFile, htmlFile string
	quiet              bool
	command            string // the command line for the reports, secrets redacted
}

func experimentFlags(args []string, stderr io.Writer) (experimentConfig, error) {
	var c experimentConfig
	fs := newFlagSet("experiment", stderr, "")
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintln(out, i18n.T("exp.cli.usage"))
		for _, s := range experiment.Schedules() {
			fmt.Fprintf(out, "  %-15s %s\n", s.Name(), s.Describe())
		}
		fmt.Fprint(out, "\n"+i18n.T("cli.flags")+"\n")
		printDefaults(fs)
	}
	fs.StringVar(&c.schedule, "schedule", experiment.DefaultSchedule, "fault schedule (see above)")
	n := fs.Int("n", experiment.DefaultN, "messages per API and mode")
	keys := fs.Int("keys", experiment.DefaultKeys, "keys per API and mode; each key has one send in flight")
	rate := fs.Int("rate", experiment.DefaultRate, "max sends per second per API and mode (0: no cap)")
	sendTimeout := fs.Duration("send-timeout", experiment.DefaultSendTimeout, "HTTP timeout of a send; past it the outcome is indeterminate")
	fs.StringVar(&c.jsonFile, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&c.htmlFile, "report", "", "also write the report as a self-contained HTML page to this file")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress bar")
	var err error
	c.target, err = parseLabFlags(fs, args)
	if c.target == nil {
		return c, err
	}
	for _, f := range []string{c.jsonFile, c.htmlFile} {
		if f != "" {
			if st, err := os.Stat(filepath.Dir(f)); err != nil || !st.IsDir() {
				return c, usageError("exp.cli.noDir", "file", f)
			}
		}
	}
	c.command = commandLine("prodlab experiment", fs)
	c.opts = []experiment.Opt{experiment.ScheduleName(c.schedule), experiment.N(*n), experiment.Keys(*keys),
		experiment.Rate(*rate), experiment.SendTimeout(*sendTimeout)}
	_, eerr := experiment.New(c.target, c.opts...)
	return c, errors.Join(err, eerr)
}

// localRestarter restarts the real Kafka brokers of 'prodlab kafka up'.
type localRestarter struct{ n int }

func (r localRestarter) Brokers() int { return r.n }

func (r localRestarter) Restart(ctx context.Context, i int) error {
	if err := kafkalocal.KillBroker(ctx, i); err != nil {
		return err
	}
	if err := kafkalocal.StartBroker(ctx, i); err != nil {
		return err
	}
	return kafkalocal.WaitReady(ctx)
}

func experimentRun(ctx context.Context, c experimentConfig, stdout io.Writer) error {
	// Real Kafka from jars can restart its brokers; the embedded cluster
	// of another process cannot.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if kc, err := kafkalocal.Status(sctx); err == nil && kc.Running() {
		c.opts = append(c.opts, experiment.WithRestarter(localRestarter{n: len(kc.Brokers)}))
	}
	cancel()
	e, err := experiment.New(c.target, c.opts...)
	if err != nil {
		return err
	}

	var bar *progressbar.ProgressBar
	var progress func(done, total int)
	if !c.quiet {
		progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr),
					progressbar.OptionSetDescription(c.schedule), progressbar.OptionShowCount(),
					progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
		}
	}
	rep, err := e.Run(ctx, progress)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return &exitError{130, i18n.Errorf("exp.cli.interrupted")}
		}
		return err
	}
	return writeReports(c, rep, stdout, os.Stderr)
}

// writeReports prints rep's table and writes the report files c asks for.
func writeReports(c experimentConfig, rep experiment.Report, stdout, stderr io.Writer) error {
	rep.Command = c.command
	if err := writeText(stdout, rep.WriteTable); err != nil {
		return err
	}
	for _, f := range []struct {
		name, done string
		write      func(io.Writer) error
	}{
		{c.jsonFile, "exp.cli.json", rep.WriteJSON},
		{c.htmlFile, "exp.cli.html", func(w io.Writer) error { return htmlreport.Write(w, rep) }},
	} {
		if f.name == "" {
			continue
		}
		if err := writeFile(f.name, f.write); err != nil {
			return err
		}
		fmt.Fprintln(stderr, i18n.T(f.done, "file", f.name))
	}
	return nil
}

// writeText writes write's text to w escaped by term.Text: report texts
// quote errors from the APIs and the network.
func writeText(w io.Writer, write func(io.Writer) error) error {
	var b strings.Builder
	if err := write(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, term.Text(b.String()))
	return err
}

// commandLine rebuilds a command line from the flags set on fs, values
// shell-quoted and -X secrets shown as prodlab.Redacted.
func commandLine(name string, fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(name)
	fs.Visit(func(f *flag.Flag) {
		vals := []string{f.Value.String()}
		if l, ok := f.Value.(*listFlag); ok {
			vals = *l
		}
		for _, v := range vals {
			if f.Name == "X" {
				v = prodlab.RedactPair(v)
			}
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				fmt.Fprintf(&b, " --%s=%s", f.Name, v)
				continue
			}
			dash := strings.Repeat("-", min(len(f.Name), 2)) // -X, --name
			fmt.Fprintf(&b, " %s%s %s", dash, f.Name, shellQuote(v))
		}
	})
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain
// word characters.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeFile writes a report readable by its owner only (0600): it names
// the lab's addresses and client settings.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	// An existing file keeps its mode through O_CREATE.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return i18n.Errorf("exp.cli.write", "file", name, "err", err)
	}
	return f.Close()
}
