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

// TestPprofClosedToOtherHosts: a page of another host that DNS rebinding
// points at pprof's port reads nothing (its cmdline carries -X sasl.password).
func TestPprofClosedToOtherHosts(t *testing.T) {
	var logs strings.Builder
	stop, err := startPprof("127.0.0.1:0", guard(t), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	_, addr, _ := strings.Cut(logs.String(), "addr=")
	req, err := http.NewRequest(http.MethodGet, "http://"+strings.TrimSpace(addr)+"/debug/pprof/cmdline", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("Host evil.example: %d %q, want 403", resp.StatusCode, b)
	}
}

func guard(t *testing.T) *httpguard.Guard {
	g, err := httpguard.New()
	if err != nil {
		t.Fatal(err)
	}
	return g
}
