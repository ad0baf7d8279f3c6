package lab

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/kafkaframe"
)

// Config describes a lab. Zero ports mean any free port; DefaultConfig
// gives the seed's ports.
type Config struct {
	// Host is the interface every listener binds, default 127.0.0.1.
	Host string
	// AllowedHosts are the Host headers accepted besides localhost, IP
	// addresses and Host.
	AllowedHosts []string
	// Brokers is the embedded broker count, 1 or 3 (default 1).
	Brokers int
	// BrokerPort is broker 1's direct port; broker i uses BrokerPort+i-1.
	BrokerPort int
	// ProxyPort is the port of proxy "kafka"; proxy i uses ProxyPort+i-1.
	ProxyPort int
	// ToxiproxyPort serves Toxiproxy's REST API.
	ToxiproxyPort int
	// APIPorts maps each engine to run to its API port, default every
	// engine built, on prodlab.DefaultPorts.
	APIPorts map[string]int
	// DataDir persists the embedded cluster; empty keeps it in memory.
	DataDir string
	// SyncWrites fsyncs every batch before the broker acknowledges it.
	SyncWrites bool
	// MaxFrameBytes caps the request frames the embedded brokers read,
	// default kafkaframe.DefaultMax (100 MiB).
	MaxFrameBytes int
	// External is the direct bootstrap of an external cluster; empty runs
	// the embedded one.
	External []string
	// Upstreams are the external brokers' proxied listeners, one per proxy;
	// empty asks the cluster (see kafkalocal.Discover).
	Upstreams []string
	// Faults is how Toxiproxy comes before an external cluster, default
	// FaultsAuto.
	Faults FaultMode
	// Producer configures both engines; its Bootstrap is set by Open.
	Producer prodlab.Config
	// StoreSize and StoreTTL bound each API's status store, default
	// 100000 statuses and 10 minutes.
	StoreSize int
	StoreTTL  time.Duration
	// ConsolePort serves the web console; negative disables it.
	ConsolePort int
	// ReadTimeout bounds the reading of each HTTP request, default 15 s.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection left idle, default 60 s.
	IdleTimeout time.Duration
	// Verbose lets Toxiproxy log every connection.
	Verbose bool
	// Logger receives the lab's logs, default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the seed's ports and the lab's defaults.
func DefaultConfig() Config {
	c := Config{
		Brokers:       1,
		BrokerPort:    prodlab.DefaultPorts.Broker,
		ProxyPort:     prodlab.DefaultPorts.Proxy,
		ToxiproxyPort: prodlab.DefaultPorts.Toxiproxy,
		ConsolePort:   prodlab.DefaultPorts.Console,
		APIPorts:      map[string]int{},
		DataDir:       ".prodlab/data",
		Producer:      prodlab.DefaultConfig(),
	}
	for _, n := range engine.Names() {
		c.APIPorts[n] = prodlab.DefaultPorts.APIs()[n]
	}
	c.defaults()
	return c
}

// EphemeralConfig is DefaultConfig on free ports, in memory, with no
// console, no API and its logs discarded: a lab for a test or a benchmark.
func EphemeralConfig() Config {
	c := DefaultConfig()
	c.BrokerPort, c.ProxyPort, c.ToxiproxyPort, c.ConsolePort = 0, 0, 0, -1
	c.DataDir, c.APIPorts = "", map[string]int{}
	c.Logger = slog.New(slog.DiscardHandler)
	return c
}

// defaults fills in the fields whose zero value stands for their default.
func (c *Config) defaults() {
	c.Host = cmp.Or(c.Host, "127.0.0.1")
	c.MaxFrameBytes = cmp.Or(c.MaxFrameBytes, int(kafkaframe.DefaultMax))
	c.StoreSize = cmp.Or(c.StoreSize, 100000)
	c.StoreTTL = cmp.Or(c.StoreTTL, 10*time.Minute)
	c.ReadTimeout = cmp.Or(c.ReadTimeout, 15*time.Second)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, 60*time.Second)
	c.Logger = cmp.Or(c.Logger, slog.Default())
}

// ErrConfig wraps every error of a Config that Open refuses.
var ErrConfig = errors.New("lab config")

// validate checks every field and names each one at fault.
func (c *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Brokers != 1 && c.Brokers != 3 {
		bad("Brokers %d: use 1 or 3", c.Brokers)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"BrokerPort", c.BrokerPort}, {"ProxyPort", c.ProxyPort}, {"ToxiproxyPort", c.ToxiproxyPort}} {
		if p.port < 0 || p.port > 65535 {
			bad("%s %d: use a port from 0 to 65535", p.name, p.port)
		}
	}
	if c.ConsolePort < -1 || c.ConsolePort > 65535 {
		bad("ConsolePort %d: use a port from 0 to 65535, or -1 for no console", c.ConsolePort)
	}
	for name, p := range c.APIPorts {
		switch _, known := prodlab.DefaultPorts.APIs()[name]; {
		case !known:
			bad("APIPorts: engine %q is unknown: %s", name, strings.Join(engine.Names(), " or "))
		case !engine.Built(name):
			errs = append(errs, engine.NotBuiltError(name))
		case p < 0 || p > 65535:
			bad("APIPorts[%s] %d: use a port from 0 to 65535", name, p)
		}
	}
	switch {
	case c.Faults != FaultsAuto && faultText[c.Faults] == "":
		bad("Faults %q: use auto, proxied, relay or dialer", c.Faults)
	case c.Faults == Relayed && (len(c.External) == 0 || len(c.Upstreams) > 0):
		bad("Faults relay needs an external cluster, and no Upstreams")
	case c.Faults == Dialed && len(c.External) == 0:
		bad("Faults dialer needs an external cluster: the embedded brokers advertise their proxies")
	case c.Faults == Dialed && len(c.Upstreams) > 0:
		bad("Faults dialer and Upstreams: upstreams are the proxied listeners of the proxied mode")
	}
	if c.ReadTimeout < 0 || c.IdleTimeout < 0 {
		bad("ReadTimeout and IdleTimeout must not be negative")
	}
	if c.MaxFrameBytes != 0 && (c.MaxFrameBytes < 1<<20 || c.MaxFrameBytes > math.MaxInt32) {
		bad("MaxFrameBytes %d: use 1 MiB (1048576) to 2 GiB - 1 (2147483647), or 0 for the default", c.MaxFrameBytes)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}
