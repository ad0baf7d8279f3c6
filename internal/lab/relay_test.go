package lab_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// TestRelayLatency runs the lab over three kfake brokers that advertise
// their own addresses: proxy kafka is the bootstrap of both APIs, the
// relay gives each broker its proxy broker-<id>, and a 1.5 s latency
// toxic on every proxy slows a sync send of each API, librdkafka's
// included, by at least 1.5 s.
func TestRelayLatency(t *testing.T) {
	l, bootstrap := labtest.Relayed(t, 3, func(c *lab.Config) {
		c.Producer.RequestTimeout, c.Producer.DeliveryTimeout = 15*time.Second, 60*time.Second
	})
	if len(l.ProxyAddrs()) != 1 {
		t.Fatalf("proxies %v at start, want the bootstrap kafka only", l.ProxyAddrs())
	}
	for _, a := range l.APIs() {
		send(t, a, "idempotent") // every API reaches the leaders through their proxies
	}
	var names []string
	for _, p := range l.DialerProxies() {
		names = append(names, p.Name)
		if !slices.Contains(bootstrap, p.Upstream) {
			t.Errorf("proxy %s to %s, not a broker", p.Name, p.Upstream)
		}
	}
	if !slices.Equal(names, []string{"broker-0", "broker-1", "broker-2"}) {
		t.Fatalf("broker proxies %v, want broker-0..2", names)
	}
	tc, err := toxiclient.New(l.ToxiproxyURL())
	if err != nil {
		t.Fatal(err)
	}
	m, err := tc.Proxies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range m {
		if _, err := p.AddToxic(t.Context(), "slow", "latency", "downstream", 1, toxiclient.Attributes{"latency": 1500}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tc.Proxy(name).RemoveToxic(context.Background(), "slow") })
	}
	for _, a := range l.APIs() {
		if took := timedSend(t, a, "idempotent"); took < 1500*time.Millisecond {
			t.Errorf("%s send took %v under a 1.5 s latency toxic on every proxy", a.Engine.Name(), took)
		}
	}
	if labtest.API(l, prodlab.Librdkafka) == nil {
		t.Log("librdkafka not built (no cgo): franz-go only")
	}
}
