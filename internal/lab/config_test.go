package lab_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/lab"
)

// TestOpenRefusesBadConfig: Open checks its Config itself, before it binds
// or starts anything.
func TestOpenRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  func(*lab.Config)
		want string
	}{
		{"two brokers", func(c *lab.Config) { c.Brokers = 2 }, "Brokers 2: use 1 or 3"},
		{"zero brokers", func(c *lab.Config) { c.Brokers = 0 }, "Brokers 0: use 1 or 3"},
		{"broker port", func(c *lab.Config) { c.BrokerPort = 70000 }, "BrokerPort 70000"},
		{"proxy port", func(c *lab.Config) { c.ProxyPort = -1 }, "ProxyPort -1"},
		{"toxiproxy port", func(c *lab.Config) { c.ToxiproxyPort = 65536 }, "ToxiproxyPort 65536"},
		{"console port", func(c *lab.Config) { c.ConsolePort = -2 }, "ConsolePort -2"},
		{"api port", func(c *lab.Config) { c.APIPorts = map[string]int{"franz": 99999} }, "APIPorts[franz] 99999"},
		{"unknown engine", func(c *lab.Config) { c.APIPorts = map[string]int{"sarama": 0} }, `engine "sarama" is unknown`},
		{"frame cap", func(c *lab.Config) { c.MaxFrameBytes = 1000 }, "MaxFrameBytes 1000"},
		{"negative timeout", func(c *lab.Config) { c.ReadTimeout = -1 }, "must not be negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := lab.DefaultConfig()
			// Ports 0 and no data dir: if Open wrongly started, it would
			// bind nothing fixed.
			cfg.BrokerPort, cfg.ProxyPort, cfg.ToxiproxyPort, cfg.ConsolePort, cfg.DataDir = 0, 0, 0, -1, ""
			cfg.APIPorts = map[string]int{"franz": 0}
			c.mod(&cfg)
			l, err := lab.Open(context.Background(), cfg)
			if err == nil {
				l.Close(context.Background())
				t.Fatalf("Open accepted the config")
			}
			if !errors.Is(err, lab.ErrConfig) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open: %v, want ErrConfig naming %q", err, c.want)
			}
		})
	}
}
