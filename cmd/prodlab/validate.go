package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/term"
	"github.com/prodlab/prodlab/internal/validate"
)

type validateConfig struct {
	*validate.Validator
	json bool
}

// apiList parses --api values: name=url pairs, comma-separated.
func apiList(s string) ([]target.API, error) {
	var out []target.API
	for _, p := range prodlab.SplitList(s) {
		name, u, ok := strings.Cut(p, "=")
		if !ok || name == "" || u == "" {
			return nil, usageError("validate.cli.badAPI", "value", strconv.Quote(p))
		}
		out = append(out, target.API{Name: name, URL: u})
	}
	return out, nil
}

// parseLabFlags adds the flags that locate a running lab and the producer
// timings to fs, parses args and returns the target they describe, with
// its errors; nil if the flags do not parse.
func parseLabFlags(fs *flag.FlagSet, args []string) (*target.Target, error) {
	d, _ := target.New()
	var apis []string
	for _, a := range d.APIs() {
		apis = append(apis, a.Name+"="+a.URL)
	}
	apiFlag := &defaultList{listFlag: listFlag{strings.Join(apis, ",")}}
	fs.Var(apiFlag, "api", "producer APIs to drive, name=url,..., repeatable")
	toxiproxy := fs.String("toxiproxy", d.ToxiproxyURL(), "Toxiproxy REST API")
	bootstrap := fs.String("bootstrap", strings.Join(d.Bootstrap(), ","), "Kafka's direct (unproxied) listeners, for counting; without this flag, the running lab's, read from Toxiproxy's proxy kafka, else these")
	topic := fs.String("topic", d.Topic(), "topic to write to; it must exist")
	client := addClientFlags(fs, "config")
	// The producer settings the window depends on: the seed's environment
	// variables, then their flags.
	pc := prodlab.DefaultConfig()
	if err := pc.LoadEnv(os.LookupEnv); err != nil {
		return nil, err
	}
	fs.Func("request-timeout-ms", "the producers' request timeout (KAFKA_REQUEST_TIMEOUT_MS, default 1000)", func(v string) error {
		return pc.LoadEnv(func(k string) (string, bool) { return v, k == "KAFKA_REQUEST_TIMEOUT_MS" })
	})
	fs.Func("retry-backoff-ms", "the producers' retry backoff (KAFKA_RETRY_BACKOFF_MS, default 100)", func(v string) error {
		return pc.LoadEnv(func(k string) (string, bool) { return v, k == "KAFKA_RETRY_BACKOFF_MS" })
	})
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	as, err := apiList(apiFlag.String())
	if err != nil {
		return nil, err
	}
	// Without --bootstrap (or bootstrap.servers), the target reads the
	// running lab's from Toxiproxy: see target.Direct.
	var boot []string
	if flagSet(fs, "bootstrap") {
		boot = prodlab.SplitList(*bootstrap)
	}
	props, err := client.props(&boot, "bootstrap", "")
	if err != nil {
		return nil, err
	}
	path, err := direct.New(direct.Bootstrap(boot...), direct.Props(props))
	if err != nil {
		return nil, err
	}
	return target.New(target.APIs(as...), target.Toxiproxy(*toxiproxy), target.Direct(path),
		target.Topic(*topic), target.Timings(pc.RequestTimeout, pc.RetryBackoff))
}

func validateFlags(args []string, stderr io.Writer) (validateConfig, error) {
	var c validateConfig
	fs := newFlagSet("validate", stderr, "validate.cli.usage")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
	t, err := parseLabFlags(fs, args)
	if t == nil {
		return c, err
	}
	var verr error
	c.Validator, verr = validate.New(t, validate.Progress(validateProgress(stderr)))
	return c, errors.Join(err, verr)
}

// validateProgress writes each step of a run to w, on its own line.
func validateProgress(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		fmt.Fprintln(w, i18n.T("validate.cli.step", "step", term.Safe(fmt.Sprintf(format, args...))))
	}
}

func validateRun(ctx context.Context, c validateConfig, stdout io.Writer) error {
	rep, err := c.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return &exitError{130, err}
	}
	if len(rep.Runs) > 0 && c.json {
		_ = writeJSON(stdout, rep)
	} else if len(rep.Runs) > 0 {
		_ = writeText(stdout, rep.WriteText)
	}
	if err != nil && rep.Err() != nil {
		return i18n.Errorf("validate.cli.failed")
	}
	return err
}
