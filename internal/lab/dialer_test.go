package lab_test

import (
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
	"github.com/prodlab/prodlab/internal/wait"
)

// dialerLab runs the lab over a self-advertising kfake cluster of one
// broker, with a request timeout long enough for a 5 s latency toxic to
// slow a send without failing it.
func dialerLab(t *testing.T) (*lab.Lab, []string) {
	t.Helper()
	l, bootstrap := labtest.SelfAdvertising(t, 1, func(c *lab.Config) {
		c.Producer.RequestTimeout, c.Producer.DeliveryTimeout = 15*time.Second, 60*time.Second
	})
	if len(l.ProxyAddrs()) != 0 {
		t.Fatalf("proxies %v created at start: the dialer creates them", l.ProxyAddrs())
	}
	return l, bootstrap
}

// brokerProxy returns the one dialer proxy, which must be broker 0's.
func brokerProxy(t *testing.T, l *lab.Lab, bootstrap []string) *toxiclient.Proxy {
	t.Helper()
	ps := l.DialerProxies()
	if len(ps) != 1 || ps[0].Name != "broker-0" || ps[0].Upstream != bootstrap[0] {
		t.Fatalf("dialer proxies %+v, want broker-0 to %s", ps, bootstrap[0])
	}
	m := labtest.Proxies(t, l)
	if len(m) != 1 || m["broker-0"] == nil || m["broker-0"].Listen != ps[0].Listen {
		t.Fatalf("Toxiproxy lists %v, want broker-0 on %s only", m, ps[0].Listen)
	}
	return m["broker-0"]
}

// send does a sync send of mode through a with a fresh eventId.
func send(t *testing.T, a *lab.API, mode string) {
	t.Helper()
	labtest.Send(t, a, "mode", mode, "eventId", "dialer-"+mode+"-"+time.Now().Format("150405.000000000"))
}

// timedSend returns how long a sync send through a took.
func timedSend(t *testing.T, a *lab.API, mode string) time.Duration {
	t.Helper()
	start := time.Now()
	send(t, a, mode)
	return time.Since(start)
}

// TestDialerLatency puts a 5000 ms latency toxic on the proxy the franz-go
// API's dialer created for the broker: a franz sync send takes at least
// that long, and succeeds. librdkafka, which has no dialer hook, is not
// slowed: its connections go straight to the broker.
func TestDialerLatency(t *testing.T) {
	l, bootstrap := dialerLab(t)
	franz := labtest.API(l, prodlab.Franz)
	send(t, franz, "idempotent")
	labtest.Slow(t, 5000*time.Millisecond, brokerProxy(t, l, bootstrap))
	if took := timedSend(t, franz, "idempotent"); took < 5*time.Second {
		t.Errorf("franz send took %v under a 5000 ms latency toxic on its broker's proxy", took)
	} else {
		t.Logf("franz send took %v under a 5000 ms latency toxic", took)
	}
	if rd := labtest.API(l, prodlab.Librdkafka); rd != nil {
		if took := timedSend(t, rd, "idempotent"); took >= 5*time.Second {
			t.Errorf("librdkafka send took %v: its connections should not cross the dialer's proxy", took)
		} else {
			t.Logf("librdkafka send took %v: it dials the broker directly", took)
		}
	}
}

// TestDialerReconnect drops the franz-go API's connections at the proxy
// and leaves them dropped while the lab sits idle, as a trainee's coffee
// break does: the next send reconnects through the same proxy, on the same
// port, and a toxic on that proxy still slows it.
func TestDialerReconnect(t *testing.T) {
	l, bootstrap := dialerLab(t)
	franz := labtest.API(l, prodlab.Franz)
	send(t, franz, "plain")
	send(t, franz, "idempotent")
	p := brokerProxy(t, l, bootstrap)
	ctx := t.Context()
	if err := p.SetEnabled(ctx, false); err != nil {
		t.Fatal(err)
	}
	// Idle with the connections gone: the pause is the scenario, not a
	// synchronisation.
	if err := wait.For(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.SetEnabled(ctx, true); err != nil {
		t.Fatal(err)
	}
	send(t, franz, "plain")
	send(t, franz, "idempotent")
	p = brokerProxy(t, l, bootstrap) // still the one proxy, on the same port
	labtest.Slow(t, 2000*time.Millisecond, p)
	if took := timedSend(t, franz, "idempotent"); took < 2*time.Second {
		t.Errorf("franz send took %v under a 2000 ms toxic after the reconnection: it no longer crosses the proxy", took)
	}
}
