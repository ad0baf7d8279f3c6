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
	"text/tabwriter"
	"time"

	"github.com/prodlab/prodlab/internal/kafkalocal"
)

func init() {
	register("kafka", "cmd.kafka", runKafka)
}

const kafkaUsage = `usage: prodlab kafka <subcommand> [flags]

subcommands:
  up [single-node|cluster]  start 1 or 3 KRaft brokers (default single-node) and wait until ready
  down                      stop every local broker (SIGTERM, SIGKILL after --stop-timeout)
  status                    show each broker; exit status 3 unless all brokers run and answer
  kill N                    SIGKILL broker N (failover exercises)
  start N                   start broker N again on its existing data
  fetch                     only download the Kafka jars into the cache

flags (any subcommand):
`

// runKafka implements 'prodlab kafka'.
func runKafka(ctx context.Context, args []string) error {
	return kafkaMain(ctx, args, os.Stdout, os.Stderr)
}

func kafkaMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kafka", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "state directory: broker files, and the jar cache in <dir>/<version>/libs (default <repo root>/.prodlab/kafka, jars in <user cache dir>/prodlab/kafka-<version>)")
	timeout := fs.Duration("timeout", 0, "how long up/start wait for readiness (default 3m)")
	stopTimeout := fs.Duration("stop-timeout", 0, "how long down waits after SIGTERM before SIGKILL (default 30s)")
	keepData := fs.Bool("keep-data", false, "up: restart on existing data instead of formatting fresh storage")
	quiet := fs.Bool("q", false, "no progress output")
	fs.Usage = func() {
		fmt.Fprint(stderr, kafkaUsage)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("kafka: no subcommand given")}
	}
	var progress io.Writer = stderr
	if *quiet {
		progress = io.Discard
	}
	opts := []kafkalocal.Opt{kafkalocal.Output(progress)}
	if *dir != "" {
		opts = append(opts, kafkalocal.Dir(*dir))
	}
	if *timeout != 0 {
		opts = append(opts, kafkalocal.ReadyTimeout(*timeout))
	}
	if *stopTimeout != 0 {
		opts = append(opts, kafkalocal.StopTimeout(*stopTimeout))
	}
	if *keepData {
		opts = append(opts, kafkalocal.KeepData())
	}
	sub, rest := pos[0], pos[1:]
	switch sub {
	case "up":
		mode := kafkalocal.ModeSingleNode
		if len(rest) > 1 {
			return usageErr("kafka up takes at most one mode")
		}
		if len(rest) == 1 {
			mode = rest[0]
		}
		if _, err := kafkalocal.BrokerCount(mode); err != nil {
			return usageErr(err.Error())
		}
		start := time.Now()
		c, err := kafkalocal.Up(ctx, mode, opts...)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Kafka %s %s is up (%s)\n", c.Version, c.Mode, time.Since(start).Round(100*time.Millisecond))
		printCluster(stdout, c)
		return nil
	case "down":
		if len(rest) > 0 {
			return usageErr("kafka down takes no arguments")
		}
		return kafkalocal.Down(ctx, opts...)
	case "status":
		if len(rest) > 0 {
			return usageErr("kafka status takes no arguments")
		}
		c, err := kafkalocal.Status(ctx, opts...)
		if err != nil {
			return err
		}
		if c.Mode == "" {
			fmt.Fprintln(stdout, "local Kafka: down (no broker running)")
			return &exitError{code: 3, err: errors.New("local Kafka is down")}
		}
		up := 0
		for _, b := range c.Brokers {
			if b.Running && b.Answering {
				up++
			}
		}
		fmt.Fprintf(stdout, "Kafka %s %s: %d/%d brokers up\n", c.Version, c.Mode, up, len(c.Brokers))
		printCluster(stdout, c)
		if up != len(c.Brokers) {
			return &exitError{code: 3, err: fmt.Errorf("%d of %d brokers are down", len(c.Brokers)-up, len(c.Brokers))}
		}
		return nil
	case "kill", "start":
		if len(rest) != 1 {
			return usageErr("kafka " + sub + " takes one broker number")
		}
		n, err := strconv.Atoi(rest[0])
		if err != nil {
			return usageErr(fmt.Sprintf("broker number %q: %v", rest[0], err))
		}
		if sub == "kill" {
			return kafkalocal.KillBroker(ctx, n, opts...)
		}
		return kafkalocal.StartBroker(ctx, n, opts...)
	case "fetch":
		if len(rest) > 0 {
			return usageErr("kafka fetch takes no arguments")
		}
		libs, err := kafkalocal.Fetch(ctx, opts...)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, libs)
		return nil
	}
	fs.Usage()
	return usageErr(fmt.Sprintf("unknown kafka subcommand %q", sub))
}

func usageErr(msg string) error {
	return &exitError{code: 2, err: errors.New("kafka: " + msg)}
}

// parseInterspersed parses flags that may appear before, between or after
// positional arguments, and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func printCluster(w io.Writer, c *kafkalocal.Cluster) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BROKER\tSTATE\tPID\tDIRECT\tPROXIED (via Toxiproxy)\tPROXIED BINDS\tCONTROLLER")
	for _, b := range c.Brokers {
		state := "down"
		switch {
		case b.Running && b.Answering:
			state = "up"
		case b.Running:
			state = "running"
		}
		pid := "-"
		if b.PID != 0 {
			pid = strconv.Itoa(b.PID)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s (proxy %q)\t%s\t%s\n", b.NodeID, state, pid,
			b.Direct.AdvertisedAddr(), b.Proxied.AdvertisedAddr(), b.Proxy.Name, b.Proxied.BindAddr(), b.Controller.BindAddr())
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "direct bootstrap:  %s\n", c.DirectBootstrap())
	fmt.Fprintf(w, "proxied bootstrap: %s (needs Toxiproxy: prodlab up --kafka %s)\n",
		kafkalocal.ProxyListenAddr(1), c.DirectBootstrap())
	if spec, err := kafkalocal.Topic(c.Mode); err == nil {
		var cfgs []string
		for k, v := range spec.Configs {
			cfgs = append(cfgs, k+"="+v)
		}
		extra := ""
		if len(cfgs) > 0 {
			extra = ", " + strings.Join(cfgs, ", ")
		}
		fmt.Fprintf(w, "topic %s: %d partitions, replication factor %d%s\n", spec.Name, spec.Partitions, spec.ReplicationFactor, extra)
	}
	fmt.Fprintf(w, "broker files and logs: %s\n", c.Dir)
}
