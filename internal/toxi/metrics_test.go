package toxi

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/metrics/metricstest"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestMetricsThroughFront scrapes Toxiproxy's own /metrics through Routes:
// its runtime collectors, and the bytes of a closed connection through a
// proxy, counted per direction.
func TestMetricsThroughFront(t *testing.T) {
	s := start(t)
	addr, err := s.AddProxy("echo", "127.0.0.1:0", echo(t))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(s.Routes())
	defer front.Close()
	url := front.URL + "/metrics"
	if f := metricstest.Scrape(t, url); !f.Has("go_goroutines", nil) || !f.Has("process_start_time_seconds", nil) {
		t.Fatal("no runtime metrics in Toxiproxy's /metrics")
	}

	roundTrip(t, addr) // 5 bytes each way
	echoed := func(f metricstest.Families) bool {
		return f.Value("toxiproxy_proxy_received_bytes_total", map[string]string{"proxy": "echo", "direction": "upstream"}) == 5 &&
			f.Value("toxiproxy_proxy_sent_bytes_total", map[string]string{"proxy": "echo", "direction": "downstream"}) == 5
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last metricstest.Families
	if err := wait.Until(ctx, func() bool { last = metricstest.Scrape(t, url); return echoed(last) }); err != nil {
		t.Fatalf("proxy bytes never counted: %v", last["toxiproxy_proxy_received_bytes_total"])
	}
}
