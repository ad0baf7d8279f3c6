package lab

import (
	"cmp"
	"errors"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/kafkaframe"
	"github.com/prodlab/prodlab/internal/status"
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

// configError is every refusal of one Config, in the user's language and
// by the flag of prodlab up that sets the field; it is ErrConfig.
type configError struct{ error }

func (configError) Is(target error) bool { return target == ErrConfig }
func (e configError) Unwrap() error      { return e.error }

// validate checks every field and names each one at fault.
func (c *Config) validate() error {
	var errs []error
	bad := func(id string, args ...any) { errs = append(errs, i18n.Errorf(id, args...)) }
	if c.Brokers != 1 && c.Brokers != 3 {
		bad("lab.cfg.brokers", "n", c.Brokers)
	}
	for _, p := range []struct {
		flag string
		port int
	}{{"broker-port", c.BrokerPort}, {"proxy-port", c.ProxyPort}, {"toxiproxy-port", c.ToxiproxyPort}} {
		if p.port < 0 || p.port > 65535 {
			bad("lab.cfg.port", "flag", p.flag, "port", p.port)
		}
	}
	if c.ConsolePort < -1 || c.ConsolePort > 65535 {
		bad("lab.cfg.consolePort", "port", c.ConsolePort)
	}
	for name, p := range c.APIPorts {
		switch _, known := prodlab.DefaultPorts.APIs()[name]; {
		case !known:
			bad("lab.cfg.engine", "name", strconv.Quote(name), "names", strings.Join(engine.Names(), ", "))
		case !engine.Built(name):
			errs = append(errs, engine.NotBuiltError(name))
		case p < 0 || p > 65535:
			bad("lab.cfg.port", "flag", name+"-port", "port", p)
		}
	}
	switch {
	case c.Faults != FaultsAuto && faultText[c.Faults] == "":
		bad("lab.cfg.faults", "mode", strconv.Quote(string(c.Faults)))
	case (c.Faults == Relayed || c.Faults == Dialed) && len(c.External) == 0:
		bad("lab.cfg.faultsNeedKafka", "mode", c.Faults)
	case c.Faults == Relayed && len(c.Upstreams) > 0:
		bad("lab.cfg.relayUpstreams")
	case c.Faults == Dialed && len(c.Upstreams) > 0:
		bad("lab.cfg.dialerUpstreams")
	}
	if c.ReadTimeout < 0 || c.IdleTimeout < 0 {
		bad("lab.cfg.timeouts")
	}
	if c.MaxFrameBytes != 0 && (c.MaxFrameBytes < 1<<20 || c.MaxFrameBytes > math.MaxInt32) {
		bad("lab.cfg.maxFrame", "n", c.MaxFrameBytes)
	}
	if _, err := status.New(status.MaxEntries(c.StoreSize), status.TTL(c.StoreTTL)); err != nil {
		errs = append(errs, err) // the store's own bounds, before anything starts
	}
	if err := errors.Join(errs...); err != nil {
		return configError{err}
	}
	return nil
}
