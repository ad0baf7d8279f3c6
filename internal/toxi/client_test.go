package toxi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// TestClient drives a Server through toxiclient, the lab's one Toxiproxy
// client: list, add, conflict, 404, remove, reset, and a Toxiproxy that no
// longer answers.
func TestClient(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	listen, err := s.AddProxy("kafka", "127.0.0.1:0", echo(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Routes())
	if _, err := toxiclient.New("127.0.0.1:8474"); err == nil {
		t.Fatal("NewClient took a URL with no scheme")
	}
	c, err := toxiclient.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	m, err := c.Proxies(ctx)
	if err != nil || len(m) != 1 || m["kafka"] == nil || m["kafka"].Listen != listen || !m["kafka"].Enabled {
		t.Fatalf("Proxies = %v, %v; want kafka on %s", m, err, listen)
	}
	if up, err := c.Upstreams(ctx); err != nil || len(up) != 1 || up[listen] == "" {
		t.Fatalf("Upstreams = %v, %v; want %s mapped", up, err, listen)
	}
	p := m["kafka"]
	tox, err := p.AddToxic(ctx, "", "latency", "", 1, toxiclient.Attributes{"latency": 10})
	if err != nil || tox.Name != "latency_downstream" || tox.Stream != "downstream" || tox.Attributes["latency"] != float64(10) {
		t.Fatalf("AddToxic = %+v, %v", tox, err)
	}
	var ae *toxiclient.APIError
	if _, err := p.AddToxic(ctx, "latency_downstream", "latency", "", 1, nil); !errors.As(err, &ae) || ae.Status != http.StatusConflict || ae.Message == "" {
		t.Fatalf("second AddToxic = %v, want a 409 toxiclient.APIError", err)
	}
	if _, err := c.Proxy("nope").AddToxic(ctx, "x", "latency", "", 1, nil); !toxiclient.IsNotFound(err) {
		t.Fatalf("AddToxic on a missing proxy = %v, want a 404", err)
	}
	if ts, err := p.Toxics(ctx); err != nil || len(ts) != 1 {
		t.Fatalf("Toxics = %+v, %v", ts, err)
	}
	if err := p.RemoveToxic(ctx, "latency_downstream"); err != nil {
		t.Fatal(err)
	}
	if err := p.RemoveToxic(ctx, "latency_downstream"); !toxiclient.IsNotFound(err) {
		t.Fatalf("removing a missing toxic = %v, want a 404", err)
	}
	if _, err := p.AddToxic(ctx, "t", "timeout", "upstream", 1, toxiclient.Attributes{"timeout": 0}); err != nil {
		t.Fatal(err)
	}
	if err := c.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if ts, err := p.Toxics(ctx); err != nil || len(ts) != 0 {
		t.Fatalf("Toxics after Reset = %+v, %v", ts, err)
	}
	srv.Close()
	if _, err := c.Proxies(ctx); !errors.Is(err, toxiclient.ErrNoAnswer) {
		t.Fatalf("Proxies with Toxiproxy gone = %v, want toxiclient.ErrNoAnswer", err)
	}
}
