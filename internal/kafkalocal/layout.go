package kafkalocal

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab"
)

// This file is the one source of the real brokers' layout, which
// layout_test.go checks infra/'s compose files against.

const (
	// Version is the pinned Apache Kafka version, of the jars and of the
	// compose files' apache/kafka image.
	Version = "4.4.0"
	// ClusterID formats every broker's storage: base64url("prodlab-training").
	ClusterID = "cHJvZGxhYi10cmFpbmluZw"
	// HeapOpts are the JVM heap options of every broker, jar-based or in compose.
	HeapOpts = "-Xmx512m -Xms256m"
)

// Mode names accepted by Layout, Up and the CLI.
const (
	ModeSingleNode = "single-node"
	ModeCluster    = "cluster"
)

// Listener names: DIRECT serves observers, admin tools and the other
// brokers; PROXIED advertises the broker's Toxiproxy proxy; CONTROLLER is
// KRaft's.
const (
	ListenerDirect     = "DIRECT"
	ListenerProxied    = "PROXIED"
	ListenerController = "CONTROLLER"
)

// Host names of the jar layout: every listener binds loopbackIP, DIRECT
// advertises directHost.
const (
	loopbackIP = "127.0.0.1"
	directHost = "localhost"
)

// Listener is one listener of one broker; a listener not advertised (the
// controller's) has no AdvertisedHost and AdvertisedPort.
type Listener struct {
	Name           string
	BindHost       string
	Port           int
	AdvertisedHost string
	AdvertisedPort int
}

// BindAddr returns the host:port the listener binds.
func (l Listener) BindAddr() string { return hostPort(l.BindHost, l.Port) }

// AdvertisedAddr returns the advertised host:port, or "".
func (l Listener) AdvertisedAddr() string {
	if l.AdvertisedPort == 0 {
		return ""
	}
	return hostPort(l.AdvertisedHost, l.AdvertisedPort)
}

// Proxy is the Toxiproxy proxy in front of a broker's PROXIED listener.
type Proxy struct {
	Name       string // see ProxyName
	ListenPort int    // see prodlab.Ports.ProxyPort
	Upstream   string // the broker address it forwards to
}

// Broker is one combined broker+controller node: its KRaft node.id
// (1..N), its host (the service name in compose) and its listeners.
// Internal is compose's inter-broker listener; its zero value means none.
type Broker struct {
	NodeID                      int
	Host                        string
	Direct, Proxied, Controller Listener
	Internal                    Listener
	InterBrokerListener         string
	Proxy                       Proxy
}

// Listeners returns DIRECT, PROXIED, INTERNAL (if any) and CONTROLLER.
func (b Broker) Listeners() []Listener {
	ls := []Listener{b.Direct, b.Proxied}
	if b.Internal.Name != "" {
		ls = append(ls, b.Internal)
	}
	return append(ls, b.Controller)
}

// BrokerCount returns the number of brokers of a mode: 1 for single-node,
// 3 for cluster.
func BrokerCount(mode string) (int, error) {
	if n, ok := map[string]int{ModeSingleNode: 1, ModeCluster: 3}[mode]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("kafkalocal: unknown mode %q (want %q or %q)", mode, ModeSingleNode, ModeCluster)
}

// Layout returns the brokers of a mode as the jar-based brokers run them:
// every listener binds 127.0.0.1, DIRECT advertises localhost:909x, PROXIED
// advertises the broker's Toxiproxy proxy 127.0.0.1:2909x.
func Layout(mode string) ([]Broker, error) {
	n, err := BrokerCount(mode)
	if err != nil {
		return nil, err
	}
	bs := make([]Broker, n)
	ports := prodlab.DefaultPorts
	for i := 1; i <= n; i++ {
		bs[i-1] = Broker{
			NodeID:              i,
			Host:                loopbackIP,
			Direct:              Listener{ListenerDirect, loopbackIP, ports.BrokerPort(i), directHost, ports.BrokerPort(i)},
			Proxied:             Listener{ListenerProxied, loopbackIP, ports.ProxiedPort(i), loopbackIP, ports.ProxyPort(i)},
			Controller:          Listener{Name: ListenerController, BindHost: loopbackIP, Port: ports.ControllerPort(i)},
			InterBrokerListener: ListenerDirect,
			Proxy:               Proxy{Name: ProxyName(i), ListenPort: ports.ProxyPort(i), Upstream: ProxiedUpstream(i)},
		}
	}
	return bs, nil
}

// DirectAddr returns the advertised DIRECT address of broker i.
func DirectAddr(i int) string { return hostPort(directHost, prodlab.DefaultPorts.BrokerPort(i)) }

// ProxiedUpstream returns the upstream of broker i's proxy.
func ProxiedUpstream(i int) string { return hostPort(loopbackIP, prodlab.DefaultPorts.ProxiedPort(i)) }

// ProxyName returns the Toxiproxy proxy name of broker i: "kafka" for
// broker 1, "kafka-i" otherwise.
func ProxyName(i int) string {
	if i == 1 {
		return "kafka"
	}
	return "kafka-" + strconv.Itoa(i)
}

// ProxyListenAddr returns the advertised PROXIED address of broker i.
func ProxyListenAddr(i int) string { return hostPort(loopbackIP, prodlab.DefaultPorts.ProxyPort(i)) }

// DirectBootstrap returns the comma-separated DIRECT addresses of all
// brokers of a mode.
func DirectBootstrap(mode string) (string, error) {
	n, err := BrokerCount(mode)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = DirectAddr(i + 1)
	}
	return strings.Join(parts, ","), err
}

// TopicSpec describes a topic the lab creates.
type TopicSpec struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
	Configs           map[string]string
}

// Topic returns the prodlab.DefaultTopic specification of a mode: 3
// partitions, RF 1 on a single node, RF 3 with min.insync.replicas=2 on
// the cluster.
func Topic(mode string) (TopicSpec, error) {
	n, err := BrokerCount(mode)
	if err != nil {
		return TopicSpec{}, err
	}
	t := TopicSpec{Name: prodlab.DefaultTopic, Partitions: prodlab.DefaultPartitions, ReplicationFactor: int16(n), Configs: map[string]string{}}
	if n > 1 {
		t.Configs["min.insync.replicas"] = "2"
	}
	return t, nil
}

// brokerSettings returns the settings of a broker of an n-broker cluster
// that do not depend on its listeners, the same in the jar layout and in compose (as KAFKA_*).
func brokerSettings(n int) map[string]string {
	rf := strconv.Itoa(n)
	minISR := "1"
	if n > 1 {
		minISR = "2"
	}
	return map[string]string{
		"process.roles":                                    "broker,controller",
		"controller.listener.names":                        ListenerController,
		"auto.create.topics.enable":                        "false",
		"num.partitions":                                   strconv.Itoa(prodlab.DefaultPartitions),
		"default.replication.factor":                       rf,
		"offsets.topic.replication.factor":                 rf,
		"offsets.topic.num.partitions":                     "10",
		"transaction.state.log.replication.factor":         rf,
		"transaction.state.log.min.isr":                    minISR,
		"transaction.state.log.num.partitions":             "10",
		"share.coordinator.state.topic.replication.factor": rf,
		"share.coordinator.state.topic.min.isr":            minISR,
		"group.initial.rebalance.delay.ms":                 "0",
		"log.cleaner.backoff.ms":                           "1000",
		"unclean.leader.election.enable":                   "false",
	}
}

// ServerSettings returns the settings of broker b, one of brokers:
// brokerSettings's, and its node id, listeners (all PLAINTEXT) and the
// controller quorum of brokers.
func ServerSettings(b Broker, brokers []Broker) map[string]string {
	settings := brokerSettings(len(brokers))
	var listeners, advertised, protocols, voters []string
	for _, l := range b.Listeners() {
		listeners = append(listeners, l.Name+"://"+l.BindAddr())
		if a := l.AdvertisedAddr(); a != "" {
			advertised = append(advertised, l.Name+"://"+a)
		}
		protocols = append(protocols, l.Name+":PLAINTEXT")
	}
	for _, v := range brokers {
		voters = append(voters, fmt.Sprintf("%d@%s", v.NodeID, hostPort(v.Host, v.Controller.Port)))
	}
	settings["node.id"] = strconv.Itoa(b.NodeID)
	settings["listeners"] = strings.Join(listeners, ",")
	settings["advertised.listeners"] = strings.Join(advertised, ",")
	settings["listener.security.protocol.map"] = strings.Join(protocols, ",")
	settings["inter.broker.listener.name"] = b.InterBrokerListener
	settings["controller.quorum.voters"] = strings.Join(voters, ",")
	return settings
}

// properties returns a server.properties text: a comment line, then the
// settings sorted, with backslashes and newlines escaped.
func properties(comment string, settings map[string]string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# Generated by prodlab (kafkalocal)%s\n", comment)
	esc := strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&sb, "%s=%s\n", k, esc.Replace(settings[k]))
	}
	return sb.String()
}

// hostPort joins host and port, bracketing an IPv6 host.
func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
