package prodlab_test

import (
	"strings"
	"testing"

	"github.com/prodlab/prodlab"
)

func TestPortsPlan(t *testing.T) {
	p := prodlab.DefaultPorts
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"broker 1", p.BrokerPort(1), 9092},
		{"broker 3", p.BrokerPort(3), 9094},
		{"proxy 1", p.ProxyPort(1), 29093},
		{"proxy 3", p.ProxyPort(3), 29095},
		{"proxied 2", p.ProxiedPort(2), 31093},
		{"controller 3", p.ControllerPort(3), 19094},
		{"toxiproxy", p.Toxiproxy, 8474},
		{"franz", p.APIs()[prodlab.Franz], 18080},
		{"librdkafka", p.APIs()[prodlab.Librdkafka], 18081},
		{"console", p.Console, 8080},
	} {
		if c.got != c.want {
			t.Errorf("%s: port %d, want %d", c.name, c.got, c.want)
		}
	}
	if got := prodlab.Loopback(p.Proxy); got != "127.0.0.1:29093" {
		t.Errorf("Loopback = %q", got)
	}
}

func TestValidTopic(t *testing.T) {
	for _, ok := range []string{"bhf-transactions", "a", "A.b_c-1", strings.Repeat("x", 249)} {
		if msg := prodlab.ValidTopic(ok); msg != "" {
			t.Errorf("ValidTopic(%q) = %q, want legal", ok, msg)
		}
	}
	for _, bad := range []string{"", ".", "..", "a b", "é", "a/b", strings.Repeat("x", 250)} {
		if msg := prodlab.ValidTopic(bad); !strings.Contains(msg, "not a legal Kafka topic name") {
			t.Errorf("ValidTopic(%q) = %q, want refused", bad, msg)
		}
	}
}
