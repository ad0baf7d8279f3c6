package lab_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/lab"
)

// TestOpenRefusesBadConfig: Open checks its Config itself, before it binds
// or starts anything. Each case is keyed by what the error must name.
func TestOpenRefusesBadConfig(t *testing.T) {
	for want, mod := range map[string]func(*lab.Config){
		"Brokers 2: use 1 or 3":      func(c *lab.Config) { c.Brokers = 2 },
		"Brokers 0: use 1 or 3":      func(c *lab.Config) { c.Brokers = 0 },
		"BrokerPort 70000":           func(c *lab.Config) { c.BrokerPort = 70000 },
		"ProxyPort -1":               func(c *lab.Config) { c.ProxyPort = -1 },
		"ToxiproxyPort 65536":        func(c *lab.Config) { c.ToxiproxyPort = 65536 },
		"ConsolePort -2":             func(c *lab.Config) { c.ConsolePort = -2 },
		"APIPorts[franz] 99999":      func(c *lab.Config) { c.APIPorts = map[string]int{"franz": 99999} },
		`engine "sarama" is unknown`: func(c *lab.Config) { c.APIPorts = map[string]int{"sarama": 0} },
		"MaxFrameBytes 1000":         func(c *lab.Config) { c.MaxFrameBytes = 1000 },
		"must not be negative":       func(c *lab.Config) { c.ReadTimeout = -1 },
	} {
		t.Run(want, func(t *testing.T) {
			// If Open wrongly started, it would bind nothing fixed.
			cfg := lab.EphemeralConfig()
			cfg.APIPorts["franz"] = 0
			mod(&cfg)
			l, err := lab.Open(context.Background(), cfg)
			if err == nil {
				l.Close(context.Background())
				t.Fatalf("Open accepted the config")
			}
			if !errors.Is(err, lab.ErrConfig) || !strings.Contains(err.Error(), want) {
				t.Fatalf("Open: %v, want ErrConfig naming %q", err, want)
			}
		})
	}
}
