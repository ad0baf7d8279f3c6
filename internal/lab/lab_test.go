package lab_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

// TestEmbeddedBrokersAdvertiseProxies checks, for 1 and 3 embedded brokers,
// that each broker has its own proxy and that a client entering through a
// proxy learns only proxy addresses, so none of its traffic can go around
// Toxiproxy.
func TestEmbeddedBrokersAdvertiseProxies(t *testing.T) {
	labtest.EmbeddedOnly(t, "embedded brokers only")
	for _, n := range []int{1, 3} {
		t.Run(map[int]string{1: "one broker", 3: "three brokers"}[n], func(t *testing.T) {
			l := labtest.Start(t, func(c *lab.Config) { c.Brokers = n })
			if got := len(l.ProxyAddrs()); got != n {
				t.Fatalf("%d proxies for %d brokers", got, n)
			}
			for i, p := range l.ProxyAddrs() {
				if up, _ := l.Direct().Upstream(p); up != l.DirectAddrs()[i] {
					t.Fatalf("proxy %s forwards to %s, want broker %d at %s", p, up, i+1, l.DirectAddrs()[i])
				}
			}
			cl, err := kgo.NewClient(kgo.SeedBrokers(l.ProxyAddrs()[0]))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			brokers, err := kadm.NewClient(cl).ListBrokers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var advertised []string
			for _, b := range brokers {
				advertised = append(advertised, kadmAddr(b))
			}
			slices.Sort(advertised)
			want := slices.Sorted(slices.Values(l.ProxyAddrs()))
			if !slices.Equal(advertised, want) {
				t.Fatalf("brokers advertise %v, want exactly the proxies %v", advertised, want)
			}
		})
	}
}

func kadmAddr(b kadm.BrokerDetail) string {
	return net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
}
