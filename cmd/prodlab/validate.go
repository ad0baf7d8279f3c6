package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/validate"
)

func init() {
	register("validate", "Lab 02.4: prove plain mode duplicates after a lost ack and idempotent mode does not", runValidate)
}

// validateConfig is the parsed configuration of 'prodlab validate'.
type validateConfig struct {
	validate.Config
	json bool
}

// apiList parses --api values: name=url pairs, comma-separated.
func apiList(s string) ([]target.API, error) {
	var out []target.API
	for _, p := range splitList(s) {
		name, u, ok := strings.Cut(p, "=")
		if !ok || name == "" || u == "" {
			return nil, fmt.Errorf("--api %q: use name=url, such as franz=http://127.0.0.1:18080", p)
		}
		out = append(out, target.API{Name: name, URL: u})
	}
	return out, nil
}

// labFlags registers the flags that locate a running lab on fs and
// returns a function that applies them to cfg after fs.Parse.
func labFlags(fs *flag.FlagSet, cfg *target.Target) func() error {
	var apis []string
	for _, a := range cfg.APIs {
		apis = append(apis, a.Name+"="+a.URL)
	}
	apiFlag := fs.String("api", strings.Join(apis, ","), "producer APIs to drive, name=url,...")
	fs.StringVar(&cfg.ToxiproxyURL, "toxiproxy", cfg.ToxiproxyURL, "Toxiproxy REST API")
	bootstrap := fs.String("bootstrap", strings.Join(cfg.Bootstrap, ","), "Kafka's direct (unproxied) listeners, for counting")
	fs.StringVar(&cfg.Topic, "topic", cfg.Topic, "topic to write to; it must exist")
	return func() error {
		var err error
		if cfg.APIs, err = apiList(*apiFlag); err != nil {
			return err
		}
		cfg.Bootstrap = splitList(*bootstrap)
		return nil
	}
}

// producerTimings reads the producer settings the window depends on from
// the seed's environment variables and their flags.
func producerTimings(fs *flag.FlagSet) (*prodlab.Config, error) {
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
	return &pc, nil
}

// parseLabFlags adds the lab-locating, client-setting (-X, --config) and
// producer-timing flags to fs, parses args and applies them to t.
func parseLabFlags(fs *flag.FlagSet, args []string, t *target.Target) error {
	apply := labFlags(fs, t)
	client := addClientFlags(fs, "config")
	pc, err := producerTimings(fs)
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := apply(); err != nil {
		return err
	}
	if t.Client, err = client.props(); err != nil {
		return err
	}
	if b, ok := client.bootstrap(t.Client, "bootstrap", ""); ok {
		t.Bootstrap = b
	}
	t.RequestTimeout, t.RetryBackoff = pc.RequestTimeout, pc.RetryBackoff
	return nil
}

func validateFlags(args []string, stderr io.Writer) (validateConfig, error) {
	c := validateConfig{Config: validate.DefaultConfig()}
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: prodlab validate [flags]\n\n"+
			"Lab 02.4: for each API and mode, hold the broker's answers with a latency toxic\n"+
			"until the producer's request timeout passed, release them and count the copies.\n"+
			"Prints OK: franz_idempotent=1 franz_plain=2 ... and exits 1 if the claim fails.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
	if err := parseLabFlags(fs, args, &c.Target); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func runValidate(ctx context.Context, args []string) error {
	c, err := validateFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	c.Progress = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "validate: "+format+"\n", args...) }
	rep, err := validate.Run(ctx, c.Config)
	if errors.Is(err, context.Canceled) {
		return &exitError{130, err}
	}
	if len(rep.Runs) > 0 {
		if c.json {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(rep)
		} else {
			_ = rep.WriteText(os.Stdout)
		}
	}
	if err != nil && rep.Err() != nil {
		return errors.New("Lab 02.4 failed: the demonstration does not hold (see above)")
	}
	return err
}
