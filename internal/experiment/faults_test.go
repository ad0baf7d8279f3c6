package experiment

import (
	"net/http/httptest"
	"testing"

	"github.com/prodlab/prodlab/internal/target"
	"github.com/prodlab/prodlab/internal/toxi"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// TestRemoveToxicFailureKept fails a toxic's removal: the name stays
// active, so that the run's clean-up tries it again.
func TestRemoveToxicFailureKept(t *testing.T) {
	s, err := toxi.New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.AddProxy("kafka", "127.0.0.1:0", "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Routes())
	tc, err := toxiclient.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tc.Proxies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f := &Faults{proxies: target.Proxies{m["kafka"]}, active: map[string]bool{}}
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
