package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/runlock"
)

func upFlags(args []string, stderr io.Writer) (lab.Config, error) {
	cfg := lab.DefaultConfig()
	fs := newFlagSet("up", stderr, "")
	fs.StringVar(&cfg.Host, "host", cfg.Host, "interface every listener binds")
	addAllowedHosts(fs, &cfg.AllowedHosts)
	fs.IntVar(&cfg.Brokers, "brokers", cfg.Brokers, "embedded broker count: 1 or 3")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "where the embedded cluster keeps its data (empty: in memory)")
	fs.IntVar(&cfg.MaxFrameBytes, "max-frame-bytes", cfg.MaxFrameBytes, "embedded brokers: the longest Kafka request frame read, as Kafka's socket.request.max.bytes; a connection announcing a longer one is closed")
	fs.BoolVar(&cfg.SyncWrites, "sync-writes", false, "fsync every batch before the embedded broker acknowledges it: acknowledged records then survive an OS crash, not only a kill (slower)")
	kafka := fs.String("kafka", "", "direct bootstrap of an external cluster (host:port,...) instead of the embedded one (default: bootstrap.servers of --config)")
	client := addClientFlags(fs, "config")
	faults := fs.String("faults", "auto", "with --kafka: proxied (the brokers advertise Toxiproxy's ports, as the jar layout's PROXIED listeners), relay (they advertise their own addresses: proxy kafka rewrites them to one proxy per broker, for every client), dialer (idem, but only the franz-go API dials each broker through a proxy it creates) or auto (proxied for --upstreams and the jar layout, dialer for SSL and SASL_SSL, relay otherwise)")
	upstreams := fs.String("upstreams", "", "with --kafka: the brokers' proxied listeners, one per proxy (default: "+prodlab.Loopback(prodlab.DefaultPorts.Proxied)+" and up, one per broker the cluster reports)")
	fs.IntVar(&cfg.StoreSize, "status-max", cfg.StoreSize, "max async statuses kept per API")
	fs.DurationVar(&cfg.StoreTTL, "status-ttl", cfg.StoreTTL, "how long a finished async status is kept")
	fs.BoolVar(&cfg.Verbose, "verbose", false, "log Toxiproxy's connections and debug logs")
	franzPort := fs.Int("franz-port", prodlab.DefaultPorts.Franz, "port of the franz-go API")
	rdkafkaPort := fs.Int("librdkafka-port", prodlab.DefaultPorts.Librdkafka, "port of the librdkafka API")
	fs.IntVar(&cfg.ConsolePort, "console-port", cfg.ConsolePort, "port of the web console (0: any free port, -1: no console)")
	fs.IntVar(&cfg.BrokerPort, "broker-port", cfg.BrokerPort, "embedded broker 1's direct port; broker i uses it +i-1 (0: any free ports)")
	fs.IntVar(&cfg.ProxyPort, "proxy-port", cfg.ProxyPort, "port of Toxiproxy's proxy kafka; proxy i uses it +i-1 (0: any free ports)")
	fs.IntVar(&cfg.ToxiproxyPort, "toxiproxy-port", cfg.ToxiproxyPort, "port of Toxiproxy's REST API (0: any free port)")
	if err := cfg.Producer.LoadEnv(os.LookupEnv); err != nil {
		return cfg, err
	}
	cfg.Producer.RegisterFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return cfg, err
	}
	// Without cgo, librdkafka runs only if asked for, and lab.Open refuses it.
	cfg.APIPorts = map[string]int{prodlab.Franz: *franzPort}
	if engine.Built(prodlab.Librdkafka) || flagSet(fs, "librdkafka-port") {
		cfg.APIPorts[prodlab.Librdkafka] = *rdkafkaPort
	}
	var err error
	if cfg.Faults, err = lab.ParseFaultMode(*faults); err != nil {
		return cfg, err
	}
	cfg.External = prodlab.SplitList(*kafka)
	if cfg.Producer.Client, err = client.props(&cfg.External, "kafka", ""); err != nil {
		return cfg, err
	}
	if *kafka != "" || len(cfg.External) > 0 {
		cfg.Upstreams = prodlab.SplitList(*upstreams) // empty: one per broker the cluster reports
		for _, a := range slices.Concat(cfg.External, cfg.Upstreams) {
			if err := checkHostPort(a); err != nil {
				return cfg, err
			}
		}
	} else if *upstreams != "" || cfg.Faults != lab.FaultsAuto {
		return cfg, i18n.Errorf("up.needKafka")
	} else if cfg.Producer.Client.String() != "" {
		return cfg, i18n.Errorf("up.clientNeedsKafka")
	}
	return cfg, cfg.Producer.Validate()
}

func upRun(ctx context.Context, cfg lab.Config, stdout io.Writer) error {
	if cfg.Verbose {
		verboseLogs()
	}
	cfg.Logger = slog.Default()
	warnExposed(os.Stderr, "--host", cfg.Host, "host.toxiproxy", "host.apis", "host.console", "host.brokers", "host.proxies")
	if cfg.DataDir != "" { // one lab per data dir, found by 'prodlab down'
		lock, err := runlock.Acquire(cfg.DataDir)
		if err != nil {
			return err
		}
		defer lock.Release()
	}
	l, err := lab.Open(ctx, cfg)
	if err != nil {
		return explainBusy(err)
	}
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = l.WaitReady(readyCtx)
	cancel()
	if err != nil {
		l.Close(context.Background())
		return err
	}
	printBanner(stdout, l)
	<-ctx.Done()
	return stopUp(cfg.Logger, l)
}

// forceGrace is how long a forced stop may take before the process exits
// regardless.
const forceGrace = 5 * time.Second

// stopUp stops the lab cleanly; a second SIGINT or SIGTERM gives up the
// clean stop. It fails only if sends accepted by an API were dropped.
func stopUp(log *slog.Logger, l *lab.Lab) error {
	force := make(chan os.Signal, 1)
	signal.Notify(force, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(force)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case s := <-force:
			log.Warn(i18n.T("up.log.forced"), "signal", s.String())
			cancel()
			time.AfterFunc(forceGrace, func() {
				fmt.Fprintln(os.Stderr, i18n.T("cli.error", "err", i18n.T("up.forcedExit")))
				os.Exit(3)
			})
		case <-ctx.Done():
		}
	}()
	log.Info(i18n.T("up.log.stopping"))
	err := l.Close(ctx)
	if errors.Is(err, lab.ErrDropped) {
		return err
	}
	if err != nil {
		log.Warn(i18n.T("up.log.shutdown"), "err", err)
	}
	log.Info(i18n.T("up.log.stopped"))
	return nil
}

// printBanner prints the lab's addresses, in the trainee's language, one
// row per label and value.
func printBanner(w io.Writer, l *lab.Lab) {
	fmt.Fprintln(w, i18n.T("up.banner.title"))
	// Labels fill at least 26 columns, as wide as the longest one.
	tw := tabwriter.NewWriter(w, 29, 0, 1, ' ', 0)
	row := func(label, value string) { fmt.Fprintf(tw, "  %s\t%s\n", label, value) }
	kafka := "up.banner.external"
	if l.Cluster() != nil {
		kafka = "up.banner.embedded"
	}
	row(i18n.T(kafka), strings.Join(l.DirectAddrs(), ", "))
	row(i18n.T("up.banner.faults"), l.FaultMode().Describe())
	if l.FaultMode() == lab.Relayed {
		row(i18n.T("up.banner.bootstrap"), i18n.T("up.banner.bootstrapAll", "addr", strings.Join(l.ProxyAddrs(), ",")))
		if ca := l.LabCA(); ca != "" {
			row(i18n.T("up.banner.labCA"), i18n.T("up.banner.labCAHow", "ca", ca))
		}
	}
	for i, p := range l.ProxyAddrs() {
		row(i18n.T("up.banner.proxy", "name", kafkalocal.ProxyName(i+1)), p)
	}
	for _, p := range l.DialerProxies() {
		row(i18n.T("up.banner.proxy", "name", p.Name), p.Listen+" -> "+p.Upstream)
	}
	row(i18n.T("up.banner.toxiproxy"), l.ToxiproxyURL())
	if u := l.ConsoleURL(); u != "" {
		row(i18n.T("up.banner.console"), u)
	}
	if p := l.Producer(); len(p.Changed()) > 0 {
		row(i18n.T("up.banner.producer"), strings.Join(p.Changed(), " "))
	}
	if c := l.Direct().Props().String(); c != "" {
		row(i18n.T("up.banner.client"), c)
	}
	for _, a := range l.APIs() {
		row(i18n.T("up.banner.api", "engine", a.Engine.Name()), a.URL)
		row(i18n.T("up.banner.metrics", "engine", a.Engine.Name()), a.URL+"/metrics")
	}
	if !engine.Built(prodlab.Librdkafka) {
		row(i18n.T("up.banner.api", "engine", prodlab.Librdkafka), i18n.T("up.banner.notBuilt", "err", engine.NotBuiltError(prodlab.Librdkafka)))
	}
	tw.Flush()
	fmt.Fprintln(w, i18n.T("up.banner.stop"))
}

// checkHostPort fails unless a is host:port with a port from 1 to 65535.
func checkHostPort(a string) error {
	host, port, err := net.SplitHostPort(a)
	if p, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
		return i18n.Errorf("up.hostPort.range", "addr", strconv.Quote(a))
	}
	return nil
}
