package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/kafkalocal"
)

type kafkaConfig struct {
	sub    string // up, down, status, kill, start or fetch
	mode   string // up: single-node or cluster
	broker int    // kill, start: the broker's number
	opts   []kafkalocal.Opt
}

func kafkaFlags(args []string, stderr io.Writer) (kafkaConfig, error) {
	var c kafkaConfig
	fs := newFlagSet("kafka", stderr, "localkafka.usage")
	dir := fs.String("dir", "", "state directory: broker files, and the jar cache in <dir>/<version>/libs (default <repo root>/.prodlab/kafka, jars in <user cache dir>/prodlab/kafka-<version>)")
	timeout := fs.Duration("timeout", 0, "how long up/start wait for readiness (default 3m)")
	stopTimeout := fs.Duration("stop-timeout", 0, "how long down waits after SIGTERM before SIGKILL (default 30s)")
	keepData := fs.Bool("keep-data", false, "up: restart on existing data instead of formatting fresh storage")
	quiet := fs.Bool("q", false, "no progress output")
	pos, err := parseVerb(fs, args, i18n.Errorf("localkafka.noSub"))
	if err != nil {
		return c, err
	}
	var progress io.Writer = stderr
	if *quiet {
		progress = io.Discard
	}
	c.opts = []kafkalocal.Opt{kafkalocal.Output(progress)}
	for _, o := range []struct { // the flags given; the others keep kafkalocal's defaults
		given bool
		opt   kafkalocal.Opt
	}{{*dir != "", kafkalocal.Dir(*dir)}, {*timeout != 0, kafkalocal.ReadyTimeout(*timeout)},
		{*stopTimeout != 0, kafkalocal.StopTimeout(*stopTimeout)}, {*keepData, kafkalocal.KeepData()}} {
		if o.given {
			c.opts = append(c.opts, o.opt)
		}
	}
	c.sub, pos = pos[0], pos[1:]
	switch c.sub {
	case "up":
		c.mode = kafkalocal.ModeSingleNode
		if len(pos) > 1 {
			return c, usageError("localkafka.oneMode")
		}
		if len(pos) == 1 {
			c.mode = pos[0]
		}
		if _, err := kafkalocal.BrokerCount(c.mode); err != nil {
			return c, usageError("localkafka.badMode", "mode", strconv.Quote(c.mode))
		}
	case "down", "status", "fetch":
		if len(pos) > 0 {
			return c, usageError("localkafka.noArgs", "sub", c.sub)
		}
	case "kill", "start":
		if len(pos) != 1 {
			return c, usageError("localkafka.oneBroker", "sub", c.sub)
		}
		if c.broker, err = strconv.Atoi(pos[0]); err != nil {
			return c, usageError("localkafka.brokerNumber", "arg", strconv.Quote(pos[0]))
		}
	default:
		fs.Usage()
		return c, usageError("localkafka.unknownSub", "sub", strconv.Quote(c.sub))
	}
	return c, nil
}

func kafkaRun(ctx context.Context, c kafkaConfig, stdout io.Writer) error {
	switch c.sub {
	case "up":
		start := time.Now()
		cl, err := kafkalocal.Up(ctx, c.mode, c.opts...)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, i18n.T("localkafka.up", "version", cl.Version, "mode", cl.Mode, "took", time.Since(start).Round(100*time.Millisecond)))
		printCluster(stdout, cl)
		return nil
	case "down":
		return kafkalocal.Down(ctx, c.opts...)
	case "status":
		return kafkaStatus(ctx, c, stdout)
	case "kill":
		return kafkalocal.KillBroker(ctx, c.broker, c.opts...)
	case "start":
		return kafkalocal.StartBroker(ctx, c.broker, c.opts...)
	}
	libs, err := kafkalocal.Fetch(ctx, c.opts...) // fetch
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, libs)
	return err
}

// kafkaStatus prints each broker; the exit status is 3 unless all run and
// answer.
func kafkaStatus(ctx context.Context, c kafkaConfig, stdout io.Writer) error {
	cl, err := kafkalocal.Status(ctx, c.opts...)
	if err != nil {
		return err
	}
	if cl.Mode == "" {
		fmt.Fprintln(stdout, i18n.T("localkafka.status.none"))
		return &exitError{code: 3, err: i18n.Errorf("localkafka.status.down")}
	}
	up := 0
	for _, b := range cl.Brokers {
		if b.Running && b.Answering {
			up++
		}
	}
	fmt.Fprintln(stdout, i18n.T("localkafka.status", "version", cl.Version, "mode", cl.Mode, "up", up, "n", len(cl.Brokers)))
	printCluster(stdout, cl)
	if up != len(cl.Brokers) {
		return &exitError{code: 3, err: i18n.Errorf("localkafka.status.someDown", "down", len(cl.Brokers)-up, "n", len(cl.Brokers))}
	}
	return nil
}

func printCluster(w io.Writer, c *kafkalocal.Cluster) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, i18n.T("localkafka.header"))
	for _, b := range c.Brokers {
		state := i18n.T("localkafka.state.down")
		switch {
		case b.Running && b.Answering:
			state = i18n.T("localkafka.state.up")
		case b.Running:
			state = i18n.T("localkafka.state.running")
		}
		pid := "-"
		if b.PID != 0 {
			pid = strconv.Itoa(b.PID)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s (proxy %q)\t%s\t%s\n", b.NodeID, state, pid,
			b.Direct.AdvertisedAddr(), b.Proxied.AdvertisedAddr(), b.Proxy.Name, b.Proxied.BindAddr(), b.Controller.BindAddr())
	}
	_ = tw.Flush()
	boot, _ := kafkalocal.DirectBootstrap(c.Mode)
	fmt.Fprintln(w, i18n.T("localkafka.direct", "addr", boot))
	fmt.Fprintln(w, i18n.T("localkafka.proxied", "addr", kafkalocal.ProxyListenAddr(1), "direct", boot))
	if spec, err := kafkalocal.Topic(c.Mode); err == nil {
		extra := ""
		for k, v := range spec.Configs {
			extra += ", " + k + "=" + v
		}
		fmt.Fprintln(w, i18n.T("localkafka.topic", "topic", spec.Name, "partitions", spec.Partitions, "rf", spec.ReplicationFactor, "extra", extra))
	}
	fmt.Fprintln(w, i18n.T("localkafka.files", "dir", c.Dir))
}
