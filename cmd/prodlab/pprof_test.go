package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/httpguard"
)

func TestPprofRefusesForeignHosts(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "127.0.0.1"} {
		if stop, err := startPprof(addr, guard(t), slog.New(slog.DiscardHandler)); err == nil {
			stop()
			t.Errorf("startPprof(%q) accepted a non-loopback or malformed address", addr)
		}
	}
	stop, err := startPprof("", guard(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("off by default: %v", err)
	}
	stop()
}

// TestPprofServesOnItsOwnListener: pprof answers on the address it logs,
// to the lab's hosts only: a page of another host that DNS rebinding
// points at its port reads nothing (its cmdline carries -X sasl.password).
func TestPprofServesOnItsOwnListener(t *testing.T) {
	var logs strings.Builder
	stop, err := startPprof("127.0.0.1:0", guard(t), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	_, addr, ok := strings.Cut(logs.String(), "addr=")
	if !ok {
		t.Fatalf("no address logged: %q", logs.String())
	}
	for host, want := range map[string]int{"": http.StatusOK, "evil.example": http.StatusForbidden} {
		req, err := http.NewRequest(http.MethodGet, "http://"+strings.TrimSpace(addr)+"/debug/pprof/cmdline", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || len(b) == 0 {
			t.Errorf("cmdline, Host %q: %d %q, want %d", host, resp.StatusCode, b, want)
		}
	}
}

func guard(t *testing.T) *httpguard.Guard {
	g, err := httpguard.New()
	if err != nil {
		t.Fatal(err)
	}
	return g
}
