package main

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestWarnExposed(t *testing.T) {
	for _, h := range []string{"127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"} {
		var b bytes.Buffer
		warnExposed(&b, "--host", h, "the console")
		if b.Len() != 0 {
			t.Errorf("%s: warned %q", h, b.String())
		}
	}
	for _, h := range []string{"0.0.0.0", "::", "192.168.1.5", ""} {
		var b bytes.Buffer
		warnExposed(&b, "--host", h, "Toxiproxy's API", "the console")
		if !strings.Contains(b.String(), "WARNING") || !strings.Contains(b.String(), "Toxiproxy's API, the console") {
			t.Errorf("%s: warned %q", h, b.String())
		}
	}
}

func TestAllowedHostFlag(t *testing.T) {
	cfg, err := upFlags([]string{"--allowed-host", "lab.example", "--allowed-host", "a.example,.corp.example"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"lab.example", "a.example", ".corp.example"}; !slices.Equal(cfg.AllowedHosts, want) {
		t.Fatalf("AllowedHosts %v, want %v", cfg.AllowedHosts, want)
	}
	for _, bad := range []string{"lab.example:8080", "a b", "http://x"} {
		if _, err := upFlags([]string{"--allowed-host", bad}, io.Discard); err == nil {
			t.Errorf("--allowed-host %q accepted", bad)
		}
		if _, err := apiFlags([]string{"--allowed-host", bad}, io.Discard); err == nil {
			t.Errorf("api --allowed-host %q accepted", bad)
		}
	}
}

func TestSyncWritesFlag(t *testing.T) {
	cfg, err := upFlags([]string{"--sync-writes"}, io.Discard)
	if err != nil || !cfg.SyncWrites {
		t.Fatalf("--sync-writes: %v, SyncWrites %v", err, cfg.SyncWrites)
	}
	if cfg, _ := upFlags(nil, io.Discard); cfg.SyncWrites {
		t.Fatal("SyncWrites on by default")
	}
}
