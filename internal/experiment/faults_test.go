package experiment

import (
	"context"
	"testing"

	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/toxi/toxitest"
)

// TestRemoveToxicFailureKept fails a toxic's removal: the name stays
// active, so that the run's clean-up tries it again.
func TestRemoveToxicFailureKept(t *testing.T) {
	p, srv := toxitest.Proxy(t)
	ps := func(context.Context) (target.Proxies, error) { return target.Proxies{p}, nil }
	f := &Faults{proxies: ps, active: map[string]bool{}}
	if err := f.AddToxic("x", "latency", "downstream", map[string]any{"latency": 10}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if err := f.RemoveToxic("x"); err == nil {
		t.Fatal("RemoveToxic succeeded with Toxiproxy gone")
	}
	if !f.active[ToxicPrefix+"x"] {
		t.Fatal("a toxic whose removal failed was forgotten")
	}
}
