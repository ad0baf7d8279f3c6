package lab_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

func requireLocal(t *testing.T) {
	t.Helper()
	if !labtest.Local() {
		t.Skip("needs real Kafka: PRODLAB_KAFKA=local (scripts/test-local.sh)")
	}
}

// TestExternalClusterDiscovery checks that one direct bootstrap address is
// enough to get one proxy per broker, to each broker's PROXIED listener.
func TestExternalClusterDiscovery(t *testing.T) {
	requireLocal(t)
	n, err := kafkalocal.BrokerCount(labtest.Mode())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, err := direct.New(direct.Bootstrap(kafkalocal.DirectAddr(1)))
	if err != nil {
		t.Fatal(err)
	}
	found, err := kafkalocal.Discover(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ups, err := found.Upstreams()
	if !found.Layout || err != nil {
		t.Fatal(err)
	}
	if len(ups) != n {
		t.Fatalf("discovered %v, want %d upstreams", ups, n)
	}
	for i, up := range ups {
		if up != kafkalocal.ProxiedUpstream(i+1) {
			t.Errorf("upstream %d = %s, want %s", i+1, up, kafkalocal.ProxiedUpstream(i+1))
		}
	}
	l := labtest.Start(t, func(c *lab.Config) { c.External = []string{kafkalocal.DirectAddr(1)} })
	if got := len(l.ProxyAddrs()); got != n {
		t.Fatalf("lab has %d proxies, want %d", got, n)
	}
	for i, p := range l.ProxyAddrs() {
		if want := kafkalocal.ProxyListenAddr(i + 1); p != want {
			t.Errorf("proxy %s listens on %s, want %s", kafkalocal.ProxyName(i+1), p, want)
		}
		if up, _ := l.Direct().Upstream(p); up != kafkalocal.ProxiedUpstream(i+1) {
			t.Errorf("proxy %s forwards to %s, want %s", kafkalocal.ProxyName(i+1), up, kafkalocal.ProxiedUpstream(i+1))
		}
	}
}

// TestExternalRefusesBypass checks that Open fails when the upstreams are
// listeners that advertise addresses Toxiproxy does not listen on.
func TestExternalRefusesBypass(t *testing.T) {
	requireLocal(t)
	n, err := kafkalocal.BrokerCount(labtest.Mode())
	if err != nil {
		t.Fatal(err)
	}
	cfg := lab.DefaultConfig()
	cfg.ToxiproxyPort, cfg.ConsolePort, cfg.APIPorts = 0, -1, map[string]int{}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := 1; i <= n; i++ {
		cfg.External = append(cfg.External, kafkalocal.DirectAddr(i))
		cfg.Upstreams = append(cfg.Upstreams, kafkalocal.DirectAddr(i)) // wrong: DIRECT, not PROXIED
	}
	cfg.ProxyPort = 0
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := lab.Open(ctx, cfg)
	if err == nil {
		l.Close(ctx)
		t.Fatal("Open accepted upstreams that advertise the DIRECT listeners")
	}
	if !strings.Contains(err.Error(), "bypass Toxiproxy") || !strings.Contains(err.Error(), kafkalocal.DirectAddr(1)) {
		t.Fatalf("error %q does not say that producers would bypass Toxiproxy", err)
	}
}
