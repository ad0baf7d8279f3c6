package lab_test

import (
	"context"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/kproxy"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
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
	labtest.Slow(t, 1500*time.Millisecond, slices.Collect(maps.Values(labtest.Proxies(t, l)))...)
	for _, a := range l.APIs() {
		if took := timedSend(t, a, "idempotent"); took < 1500*time.Millisecond {
			t.Errorf("%s send took %v under a 1.5 s latency toxic on every proxy", a.Engine.Name(), took)
		}
	}
	if labtest.API(l, prodlab.Librdkafka) == nil {
		t.Log("librdkafka not built (no cgo): franz-go only")
	}
}

// TestRelayTLS runs the lab in relay mode over three kfake brokers that
// serve SASL_SSL (PLAIN) under their own CA and advertise their own
// addresses: SASL goes through the relay unchanged, the
// relay serves the lab CA to both APIs and verifies the brokers with the
// client settings; a 1.5 s toxic on every proxy slows each API's send.
func TestRelayTLS(t *testing.T) {
	brokerTLS, brokerCA, err := kproxy.LabCA(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(prodlab.DefaultPartitions, prodlab.DefaultTopic), kfake.TLS(brokerTLS),
		kfake.EnableSASL(), kfake.Superuser("PLAIN", "alice", "alice-secret"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	l := labtest.Start(t, func(cfg *lab.Config) {
		cfg.External, cfg.Upstreams, cfg.Faults = c.ListenAddrs(), nil, lab.FaultsAuto
		cfg.Producer.RequestTimeout, cfg.Producer.DeliveryTimeout = 15*time.Second, 60*time.Second
		for k, v := range map[string]string{"security.protocol": "SASL_SSL", "ssl.ca.location": brokerCA,
			"sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "alice-secret"} {
			if err := cfg.Producer.Client.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
	})
	if l.FaultMode() != lab.Relayed || l.LabCA() == "" {
		t.Fatalf("mode %q, lab CA %q: want the relay with a lab CA", l.FaultMode(), l.LabCA())
	}
	if s, err := l.Direct().Props().Security(); err != nil || s.CAFile != brokerCA {
		t.Fatalf("the lab's own client settings changed: ssl.ca.location=%s (%v)", s.CAFile, err)
	}
	for _, a := range l.APIs() {
		send(t, a, "idempotent")
	}
	m := labtest.Proxies(t, l)
	if len(m) != 4 {
		t.Fatalf("proxies %v, want kafka and broker-0..2", m)
	}
	labtest.Slow(t, 1500*time.Millisecond, slices.Collect(maps.Values(m))...)
	for _, a := range l.APIs() {
		if took := timedSend(t, a, "idempotent"); took < 1500*time.Millisecond {
			t.Errorf("%s send over TLS took %v under a 1.5 s latency toxic on every proxy", a.Engine.Name(), took)
		}
	}
}

// TestRelayKcat points Debian's kcat, a librdkafka client nobody here
// wrote, at the lab's bootstrap (proxy kafka) over three kfake brokers
// that advertise their own addresses, or with PRODLAB_KAFKA=local the
// real brokers' DIRECT listeners: its metadata names only the lab's
// proxies, and a 1.5 s latency toxic on the broker proxies alone delays
// its produce by at least 1.5 s. Skipped without kcat, failed under
// make test (labtest.Kcat).
func TestRelayKcat(t *testing.T) {
	kcat := labtest.Kcat(t)
	l, brokers := labtest.RelayedHere(t)
	bootstrap := strings.Join(l.ProxyAddrs(), ",")
	topic := labtest.Topic(t, l, 3, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, kcat, "-b", bootstrap, "-L", "-t", topic, "-m", "30").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -L: %v\n%s", err, out)
	}
	var addrs []string
	for _, m := range regexp.MustCompile(`(?m)^\s+broker -?\d+ at (\S+)`).FindAllStringSubmatch(string(out), -1) {
		addrs = append(addrs, strings.TrimSuffix(m[1], " (controller)"))
	}
	labtest.OnlyProxies(t, l, "kcat -L", addrs, brokers)

	produce := func(id string) time.Duration {
		t.Helper()
		cmd := exec.CommandContext(ctx, kcat, "-b", bootstrap, "-P", "-t", topic, "-k", id,
			"-X", "linger.ms=0", "-X", "enable.idempotence=true")
		cmd.Stdin = strings.NewReader(`{"eventId":"` + id + `"}` + "\n")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kcat -P: %v\n%s", err, out)
		}
		took := time.Since(start)
		if recs := labtest.Count(t, l, topic, id); len(recs) != 1 {
			t.Fatalf("kcat -P %s: %d copies in the log, want 1", id, len(recs))
		}
		return took
	}
	t.Logf("kcat -P, no toxic: %v", produce("kcat-warm-"+time.Now().Format("150405.000000000")))
	labtest.SlowBrokers(t, l, 1500*time.Millisecond)
	took := produce("kcat-slow-" + time.Now().Format("150405.000000000"))
	t.Logf("kcat -P, 1.5 s latency on the broker proxies: %v", took)
	if took < 1500*time.Millisecond {
		t.Errorf("kcat produce under a 1.5 s toxic on every broker proxy took %v: it did not cross them", took)
	}
}
