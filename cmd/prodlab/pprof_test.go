package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestPprofRefusesForeignHosts(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "127.0.0.1"} {
		if stop, err := startPprof(addr, slog.New(slog.DiscardHandler)); err == nil {
			stop()
			t.Errorf("startPprof(%q) accepted a non-loopback or malformed address", addr)
		}
	}
	stop, err := startPprof("", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("off by default: %v", err)
	}
	stop()
}

func TestPprofServesOnItsOwnListener(t *testing.T) {
	var logs strings.Builder
	stop, err := startPprof("127.0.0.1:0", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	_, addr, ok := strings.Cut(logs.String(), "addr=")
	if !ok {
		t.Fatalf("no address logged: %q", logs.String())
	}
	resp, err := http.Get("http://" + strings.TrimSpace(addr) + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(b) == 0 {
		t.Fatalf("cmdline: %d %q", resp.StatusCode, b)
	}
}
