package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/status"
)

type apiConfig struct {
	engine    string
	listen    string
	producer  prodlab.Config
	storeSize int
	storeTTL  time.Duration
	allowed   []string
	pprof     string
}

func apiFlags(args []string, stderr io.Writer) (apiConfig, error) {
	c := apiConfig{producer: prodlab.DefaultConfig()}
	fs := newFlagSet("api", stderr, "")
	fs.StringVar(&c.engine, "engine", prodlab.Franz, "producer engine: franz (franz-go, pure Go) or librdkafka (cgo)")
	fs.StringVar(&c.listen, "listen", "", "address the API listens on (default 127.0.0.1:18080 for franz, 127.0.0.1:18081 for librdkafka)")
	addAllowedHosts(fs, &c.allowed)
	fs.IntVar(&c.storeSize, "status-max", 100000, "max async statuses kept")
	fs.DurationVar(&c.storeTTL, "status-ttl", 10*time.Minute, "how long a finished async status is kept")
	fs.StringVar(&c.pprof, "pprof", "", "serve Go's net/http/pprof profiles on this loopback address, e.g. 127.0.0.1:6060 (default: off)")
	client := addClientFlags(fs, "config")
	if err := c.producer.LoadEnv(os.LookupEnv); err != nil {
		return c, err
	}
	c.producer.RegisterFlags(fs)
	err := parseNoArgs(fs, args)
	if err != nil {
		return c, err
	}
	if c.producer.Client, err = client.props(&c.producer.Bootstrap, "bootstrap", "KAFKA_BOOTSTRAP_SERVERS"); err != nil {
		return c, err
	}
	if _, err := status.New(status.MaxEntries(c.storeSize), status.TTL(c.storeTTL)); err != nil {
		return c, err // the store's own bounds, before anything listens
	}
	if err := engine.Check(c.engine); err != nil {
		return c, err
	}
	if c.listen == "" {
		c.listen = prodlab.Loopback(prodlab.DefaultPorts.APIs()[c.engine])
	}
	return c, c.producer.Validate()
}

func apiRun(ctx context.Context, c apiConfig, _ io.Writer) (err error) {
	logger := slog.Default()
	c.producer.Logger = logger
	host, _, _ := net.SplitHostPort(c.listen)
	guard, err := httpguard.New(httpguard.AllowHosts(host), httpguard.AllowHosts(c.allowed...))
	if err != nil {
		return err
	}
	stopPprof, err := startPprof(c.pprof, guard, logger)
	if err != nil {
		return err
	}
	defer stopPprof()
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return err
	}
	warnExposed(os.Stderr, "--listen", host, "host.api")
	a, err := lab.NewAPI(c.engine, c.producer, c.storeSize, c.storeTTL, logger)
	if err != nil {
		ln.Close()
		return err
	}
	hs, served := lab.ServeAPI(ln, a, guard, 30*time.Second, 2*time.Minute, logger)
	logger.Info("producer API listening", "engine", c.engine, "addr", ln.Addr().String(), "bootstrap", c.producer.Bootstrap, "client", c.producer.Client)
	select {
	case <-ctx.Done():
	case err = <-served: // Serve failed: stop, flushing what it accepted
		err = fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	serr := hs.ShutdownWithContext(closeCtx)
	ferr := a.Engine.Flush(closeCtx)
	a.Engine.Close()
	return cmp.Or(err, serr, ferr) // the first failure
}
