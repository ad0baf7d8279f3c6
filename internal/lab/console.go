package lab

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/prodlab/prodlab/internal/console"
	"github.com/prodlab/prodlab/internal/experiment"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/validate"
)

// openConsole serves the web console on ConsolePort, unless it is
// negative: it reads through the direct path, drives the toxics through
// Toxiproxy's API and sends through the producer APIs.
func (l *Lab) openConsole() error {
	if l.cfg.ConsolePort < 0 {
		return nil
	}
	opts := []console.Opt{
		console.Direct(l.path),
		console.Toxiproxy(l.toxiURL),
		console.Logger(l.cfg.Logger.With("part", "console")),
	}
	if p := l.Progress(); p != nil {
		opts = append(opts, console.Progress(p))
	}
	var schedules []string
	for _, sc := range experiment.Schedules() {
		if !sc.NeedsRestarter() { // the console has no Restarter
			schedules = append(schedules, sc.Name())
		}
	}
	for _, a := range l.apis {
		opts = append(opts, console.API(a.Engine.Name(), a.URL))
	}
	opts = append(opts, console.Validate(l.consoleValidate), console.Experiment(l.consoleExperiment, schedules...))
	c, err := console.New(opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(l.cfg.Host, strconv.Itoa(l.cfg.ConsolePort)))
	if err != nil {
		c.Close()
		return fmt.Errorf("console: %w", err)
	}
	srv := l.serve(ln, c.Routes())
	l.consoleURL, l.stopConsole = "http://"+ln.Addr().String(), func() { srv.Close(); c.Close() }
	return nil
}

// ConsoleURL is the web console's base URL, or "" when it is disabled.
func (l *Lab) ConsoleURL() string { return l.consoleURL }

// Target describes this lab (every API, Toxiproxy, the direct path and
// the producers' timings) to validate and experiment runs; opts come after.
func (l *Lab) Target(opts ...target.Opt) (*target.Target, error) {
	var apis []target.API
	for _, a := range l.apis {
		apis = append(apis, target.API{Name: a.Engine.Name(), URL: a.URL})
	}
	return target.New(append([]target.Opt{target.APIs(apis...), target.Toxiproxy(l.toxiURL), target.Direct(l.path),
		target.Timings(l.cfg.Producer.RequestTimeout, l.cfg.Producer.RetryBackoff)}, opts...)...)
}

// consoleValidate runs Lab 02.4's validation against this lab.
func (l *Lab) consoleValidate(ctx context.Context, progress func(string)) (validate.Report, error) {
	t, err := l.Target()
	if err != nil {
		return validate.Report{}, err
	}
	v, err := validate.New(t, validate.Progress(func(format string, args ...any) { progress(fmt.Sprintf(format, args...)) }))
	if err != nil {
		return validate.Report{}, err
	}
	return v.Run(ctx)
}

// consoleExperiment runs an experiment of n messages per engine and mode
// against this lab.
func (l *Lab) consoleExperiment(ctx context.Context, schedule string, n int, progress func(done, total int)) (experiment.Report, error) {
	t, err := l.Target()
	if err != nil {
		return experiment.Report{}, err
	}
	e, err := experiment.New(t, experiment.ScheduleName(schedule), experiment.N(n))
	if err != nil {
		return experiment.Report{}, err
	}
	return e.Run(ctx, progress)
}
