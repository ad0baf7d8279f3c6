package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"strconv"
	"time"

	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/i18n"
)

// startPprof serves net/http/pprof on its own listener at addr (none if
// empty), which must be loopback, behind guard: profiles reveal the
// process's memory and its cmdline the -X secrets.
func startPprof(addr string, guard *httpguard.Guard, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, i18n.Errorf("pprof.addr", "addr", strconv.Quote(addr))
	}
	if !loopback(host) {
		return nil, i18n.Errorf("pprof.notLoopback", "addr", strconv.Quote(addr))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", err)
	}
	// net/http/pprof registers on the default mux: forward only its paths.
	mux := http.NewServeMux()
	mux.Handle("/debug/pprof/", http.DefaultServeMux)
	hs := &http.Server{Handler: guard.Wrap(mux), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	log.Info("pprof listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}, nil
}
