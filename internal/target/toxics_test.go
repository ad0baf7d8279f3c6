package target_test

import (
	"context"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/toxi/toxitest"
)

// TestAddToxicAllOrNone makes the last of three proxies refuse a toxic:
// the two that took it lose it again.
func TestAddToxicAllOrNone(t *testing.T) {
	labtest.EmbeddedOnly(t, "embedded lab only")
	l := labtest.Start(t, func(c *lab.Config) { c.Brokers = 3 })
	m := labtest.Proxies(t, l)
	ps := target.Proxies{m["kafka"], m["kafka-2"], m["kafka-3"]}
	if _, err := ps[2].AddToxic(t.Context(), "x", "latency", "downstream", 1, toxiclient.Attributes{"latency": 10}); err != nil {
		t.Fatal(err)
	}
	if err := ps.AddToxic("x", "latency", "downstream", toxiclient.Attributes{"latency": 10}); err == nil {
		t.Fatal("AddToxic succeeded over an existing toxic")
	}
	for _, p := range ps[:2] {
		ts, err := p.Toxics(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 0 {
			t.Fatalf("proxy %s kept %d toxics after the failed add", p.Name, len(ts))
		}
	}
}

// TestRemoveToxicToxiproxyGone removes a toxic once Toxiproxy's API is
// gone: RemoveToxic says so at once instead of polling for minutes.
func TestRemoveToxicToxiproxyGone(t *testing.T) {
	p, srv := toxitest.Proxy(t)
	ps := target.Proxies{p}
	if err := ps.AddToxic("x", "latency", "downstream", toxiclient.Attributes{"latency": 10}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- ps.RemoveToxic("x") }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("RemoveToxic succeeded with Toxiproxy gone")
		}
		t.Logf("RemoveToxic gave up after %v: %v", time.Since(start).Round(time.Millisecond), err)
	case <-ctx.Done():
		t.Fatal("RemoveToxic still polling a Toxiproxy that is gone after 30s")
	}
}
