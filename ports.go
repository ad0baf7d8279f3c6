package prodlab

import (
	"net"
	"strconv"
)

// The engine names, as the APIs report them in the "api" field.
const (
	// Franz is the franz-go engine (pure Go).
	Franz = "franz"
	// Librdkafka is the librdkafka engine (cgo).
	Librdkafka = "librdkafka"
)

// Ports is the lab's port plan: where broker i, proxy i and each service
// listen. Brokers and proxies count from 1; the ports of number i are the
// base +i-1.
type Ports struct {
	// Broker is broker 1's direct (unproxied) listener, default 9092.
	Broker int
	// Proxy is Toxiproxy's proxy "kafka", in front of broker 1, default
	// 29093. A broker advertises its proxy's port to the producers.
	Proxy int
	// Toxiproxy is Toxiproxy's REST API, default 8474.
	Toxiproxy int
	// Franz and Librdkafka are the producer APIs, default 18080 and 18081.
	Franz, Librdkafka int
	// Console is the web console, default 8080.
	Console int
	// Proxied is a real Kafka broker's listener for its proxy's traffic,
	// default 31092 (below Linux's ephemeral range).
	Proxied int
	// Controller is a real Kafka broker's KRaft controller listener,
	// default 19092.
	Controller int
}

// DefaultPorts is the seed's port plan.
var DefaultPorts = Ports{
	Broker:     9092,
	Proxy:      29093,
	Toxiproxy:  8474,
	Franz:      18080,
	Librdkafka: 18081,
	Console:    8080,
	Proxied:    31092,
	Controller: 19092,
}

// BrokerPort is broker i's direct port.
func (p Ports) BrokerPort(i int) int { return p.Broker + i - 1 }

// ProxyPort is the listen port of broker i's proxy.
func (p Ports) ProxyPort(i int) int { return p.Proxy + i - 1 }

// ProxiedPort is the PROXIED listener of real Kafka broker i.
func (p Ports) ProxiedPort(i int) int { return p.Proxied + i - 1 }

// ControllerPort is the controller listener of real Kafka broker i.
func (p Ports) ControllerPort(i int) int { return p.Controller + i - 1 }

// APIs maps each engine to its API port.
func (p Ports) APIs() map[string]int {
	return map[string]int{Franz: p.Franz, Librdkafka: p.Librdkafka}
}

// Loopback returns 127.0.0.1:port.
func Loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
