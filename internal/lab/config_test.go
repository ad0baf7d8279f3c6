package lab_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
)

// TestOpenRefusesBadConfig: Open checks its Config itself, before it binds
// or starts anything. Each case is keyed by what the error must name.
func TestOpenRefusesBadConfig(t *testing.T) {
	for want, mod := range map[string]func(*lab.Config){
		"--brokers 2: use 1 or 3":                func(c *lab.Config) { c.Brokers = 2 },
		"--brokers 0: use 1 or 3":                func(c *lab.Config) { c.Brokers = 0 },
		"--broker-port 70000":                    func(c *lab.Config) { c.BrokerPort = 70000 },
		"--proxy-port -1":                        func(c *lab.Config) { c.ProxyPort = -1 },
		"--toxiproxy-port 65536":                 func(c *lab.Config) { c.ToxiproxyPort = 65536 },
		"--console-port -2":                      func(c *lab.Config) { c.ConsolePort = -2 },
		"--franz-port 99999":                     func(c *lab.Config) { c.APIPorts = map[string]int{"franz": 99999} },
		`unknown API engine "sarama"`:            func(c *lab.Config) { c.APIPorts = map[string]int{"sarama": 0} },
		"--max-frame-bytes 1000":                 func(c *lab.Config) { c.MaxFrameBytes = 1000 },
		"must not be negative":                   func(c *lab.Config) { c.ReadTimeout = -1 },
		"(--status-max) -1: use 1 to 1073741824": func(c *lab.Config) { c.StoreSize = -1 },
		"(--status-ttl) -1s":                     func(c *lab.Config) { c.StoreTTL = -time.Second },
		"--faults relay needs an external":       func(c *lab.Config) { c.Faults = lab.Relayed },
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
