package toxi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/collectors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// childEnv marks a process started by Server as the Toxiproxy child; its
// value is "verbose" to log every connection, else "quiet".
const childEnv = "PRODLAB_TOXIPROXY_CHILD"

// Any binary that links this package can be the child.
func init() {
	if v, ok := os.LookupEnv(childEnv); ok {
		os.Exit(runChild(v))
	}
}

// runChild serves Toxiproxy's REST API until its stdin closes, as on the
// parent's exit, even a SIGKILL. Its stdin's first line is the token every
// request must carry (guard.go); its stdout's first line, its API's address.
func runChild(mode string) int {
	registerToxics()
	in := bufio.NewReader(os.Stdin)
	token, err := in.ReadString('\n')
	token = strings.TrimSuffix(token, "\n")
	if err != nil || len(token) < 32 {
		fmt.Fprintln(os.Stderr, "toxiproxy child: no token on stdin")
		return 2
	}
	level := zerolog.WarnLevel // for acceptHook, which prints Error and up
	if mode == "verbose" {
		level = zerolog.InfoLevel
	}
	logger := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).Level(level).Hook(acceptHook(mode == "verbose")).
		With().Timestamp().Logger()
	// GET /metrics: toxiproxy-server's --proxy-metrics and --runtime-metrics.
	metrics := toxiproxy.NewMetricsContainer(prometheus.NewRegistry())
	metrics.ProxyMetrics = collectors.NewProxyMetricCollectors()
	metrics.RuntimeMetrics = collectors.NewRuntimeMetricCollectors()
	api := toxiproxy.NewServer(metrics, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "toxiproxy child: %v\n", err)
		return 1
	}
	if _, err := fmt.Println(ln.Addr()); err != nil {
		return 1
	}
	go func() {
		_, _ = io.Copy(io.Discard, in)
		os.Exit(0) // the parent is gone or closed us
	}()
	// The timeouts of Toxiproxy's own server (ApiServer.Listen).
	srv := &http.Server{
		Handler:           guard(api.Routes(), token, ln.Addr().String()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	err = srv.Serve(ln)
	fmt.Fprintf(os.Stderr, "toxiproxy child: %v\n", err)
	return 1
}

// acceptDied is what a Toxiproxy proxy logs (at Warn) as its accept loop
// ends on an error, such as EMFILE in a child out of file descriptors:
// that proxy would accept nothing more, for good.
const acceptDied = "Error while accepting client"

// acceptHook exits the child at acceptDied, for the parent to restart it
// with its proxies (the attacker's connections go with it), and drops the
// events under Error unless verbose.
func acceptHook(verbose bool) zerolog.HookFunc {
	return func(e *zerolog.Event, level zerolog.Level, msg string) {
		if msg == acceptDied {
			fmt.Fprintln(os.Stderr, "toxiproxy child: a proxy stopped accepting connections (out of file descriptors?): exiting to be restarted")
			os.Exit(1)
		}
		if !verbose && level < zerolog.ErrorLevel {
			e.Discard()
		}
	}
}
