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

// This file is the single source of truth for how the real Kafka brokers of
// the lab are laid out: node ids, listener names, ports, the Toxiproxy proxy
// in front of each broker, the training topic and the broker settings shared
// by the jar-based brokers (see Up) and the docker compose files in infra/.
// The compose files are checked against it by layout_test.go.

// Version is the pinned Apache Kafka version. The jar cache and the
// apache/kafka image in the compose files both use it.
const Version = "4.4.0"

// ClusterID is the KRaft cluster id used to format every broker's storage,
// here and in the compose files. It is base64url("prodlab-training").
const ClusterID = "cHJvZGxhYi10cmFpbmluZw"

// Mode names accepted by Layout, Up and the CLI.
const (
	ModeSingleNode = "single-node"
	ModeCluster    = "cluster"
)

// Listener names used by every broker.
const (
	// ListenerDirect is the listener for observers and admin tools; it is
	// also the inter-broker listener of the jar-based brokers.
	ListenerDirect = "DIRECT"
	// ListenerProxied is the listener whose advertised address is the
	// broker's Toxiproxy proxy, so clients bootstrapping on it cross
	// Toxiproxy for every request.
	ListenerProxied = "PROXIED"
	// ListenerController is the KRaft controller listener.
	ListenerController = "CONTROLLER"
	// ListenerInternal exists only in the docker compose files: it is the
	// inter-broker listener there and the one Kafka UI reads through,
	// because DIRECT advertises localhost, which is the container itself.
	ListenerInternal = "INTERNAL"
)

// internalBasePort is broker 1's INTERNAL port in the compose layout; the
// other ports come from prodlab.DefaultPorts.
const internalBasePort = 49092

// Host names used by the jar layout.
const (
	loopbackIP       = "127.0.0.1"
	directHost       = "localhost"
	proxyHost        = "127.0.0.1"
	composeBind      = "0.0.0.0"
	composeProxyHost = "toxiproxy"
)

// HeapOpts are the JVM heap options of every broker, jar-based or in compose.
const HeapOpts = "-Xmx512m -Xms256m"

// Listener describes one listener of one broker.
type Listener struct {
	// Name is the listener name, e.g. ListenerDirect.
	Name string
	// BindHost is the interface the broker binds the listener to.
	BindHost string
	// Port is the port the broker binds.
	Port int
	// AdvertisedHost is the host clients are told to use; empty when the
	// listener is not advertised (the controller listener).
	AdvertisedHost string
	// AdvertisedPort is the port clients are told to use; 0 when the
	// listener is not advertised.
	AdvertisedPort int
}

// BindAddr returns the host:port the listener binds.
func (l Listener) BindAddr() string {
	return hostPort(l.BindHost, l.Port)
}

// AdvertisedAddr returns the advertised host:port, or "" when the listener
// is not advertised.
func (l Listener) AdvertisedAddr() string {
	if l.AdvertisedPort == 0 {
		return ""
	}
	return hostPort(l.AdvertisedHost, l.AdvertisedPort)
}

// Proxy describes the Toxiproxy proxy that fronts a broker's PROXIED listener.
type Proxy struct {
	// Name is the Toxiproxy proxy name, see ProxyName.
	Name string
	// ListenPort is the port Toxiproxy listens on, see ProxyListenPort.
	ListenPort int
	// Upstream is the broker address Toxiproxy forwards to.
	Upstream string
}

// Broker describes one combined broker+controller node.
type Broker struct {
	// NodeID is the KRaft node.id, 1..N.
	NodeID int
	// Host is the broker's host name: 127.0.0.1 for the jar layout, the
	// compose service name (see ComposeService) for the compose layout.
	Host string
	// Direct is the DIRECT listener.
	Direct Listener
	// Proxied is the PROXIED listener.
	Proxied Listener
	// Controller is the CONTROLLER listener.
	Controller Listener
	// Internal is the INTERNAL listener; its zero value (the jar layout)
	// means the broker has none.
	Internal Listener
	// InterBrokerListener is the name of the inter-broker listener.
	InterBrokerListener string
	// Proxy is the Toxiproxy proxy in front of Proxied.
	Proxy Proxy
}

// Listeners returns the broker's listeners in a stable order: DIRECT,
// PROXIED, INTERNAL (compose only), CONTROLLER.
func (b Broker) Listeners() []Listener {
	ls := []Listener{b.Direct, b.Proxied}
	if b.Internal.Name != "" {
		ls = append(ls, b.Internal)
	}
	return append(ls, b.Controller)
}

// ListenersProperty returns the value of the broker's `listeners` setting.
func (b Broker) ListenersProperty() string {
	var parts []string
	for _, l := range b.Listeners() {
		parts = append(parts, l.Name+"://"+l.BindAddr())
	}
	return strings.Join(parts, ",")
}

// AdvertisedListenersProperty returns the value of the broker's
// `advertised.listeners` setting.
func (b Broker) AdvertisedListenersProperty() string {
	var parts []string
	for _, l := range b.Listeners() {
		if a := l.AdvertisedAddr(); a != "" {
			parts = append(parts, l.Name+"://"+a)
		}
	}
	return strings.Join(parts, ",")
}

// SecurityProtocolMapProperty returns the value of the broker's
// `listener.security.protocol.map` setting: every listener is PLAINTEXT.
func (b Broker) SecurityProtocolMapProperty() string {
	var parts []string
	for _, l := range b.Listeners() {
		parts = append(parts, l.Name+":PLAINTEXT")
	}
	return strings.Join(parts, ",")
}

// BrokerCount returns the number of brokers of a mode: 1 for single-node,
// 3 for cluster.
func BrokerCount(mode string) (int, error) {
	switch mode {
	case ModeSingleNode:
		return 1, nil
	case ModeCluster:
		return 3, nil
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
	for i := 1; i <= n; i++ {
		bs[i-1] = Broker{
			NodeID:              i,
			Host:                loopbackIP,
			Direct:              Listener{ListenerDirect, loopbackIP, DirectPort(i), directHost, DirectPort(i)},
			Proxied:             Listener{ListenerProxied, loopbackIP, ProxiedPort(i), proxyHost, ProxyListenPort(i)},
			Controller:          Listener{Name: ListenerController, BindHost: loopbackIP, Port: ControllerPort(i)},
			InterBrokerListener: ListenerDirect,
			Proxy:               Proxy{Name: ProxyName(i), ListenPort: ProxyListenPort(i), Upstream: ProxiedUpstream(i)},
		}
	}
	return bs, nil
}

// ComposeLayout returns the brokers of a mode as the docker compose files
// run them. Ports and listener names equal Layout's; the differences are
// that listeners bind 0.0.0.0, PROXIED advertises toxiproxy:2909x (reachable
// inside the compose network only), Toxiproxy's upstream is the broker's
// service name, and an INTERNAL listener (service:4909x) carries
// inter-broker traffic and Kafka UI.
func ComposeLayout(mode string) ([]Broker, error) {
	bs, err := Layout(mode)
	if err != nil {
		return nil, err
	}
	for k := range bs {
		b := &bs[k]
		svc := ComposeService(b.NodeID)
		b.Host = svc
		b.Direct.BindHost = composeBind
		b.Proxied.BindHost = composeBind
		b.Proxied.AdvertisedHost = composeProxyHost
		b.Controller.BindHost = composeBind
		b.Internal = Listener{ListenerInternal, composeBind, InternalPort(b.NodeID), svc, InternalPort(b.NodeID)}
		b.InterBrokerListener = ListenerInternal
		b.Proxy.Upstream = hostPort(svc, ProxiedPort(b.NodeID))
	}
	return bs, nil
}

// DirectPort returns the DIRECT port of broker i (9092+i-1).
func DirectPort(i int) int { return prodlab.DefaultPorts.BrokerPort(i) }

// DirectAddr returns the advertised DIRECT address of broker i,
// localhost:(9092+i-1).
func DirectAddr(i int) string { return hostPort(directHost, DirectPort(i)) }

// ProxiedPort returns the port broker i binds its PROXIED listener to
// (31092+i-1).
func ProxiedPort(i int) int { return prodlab.DefaultPorts.ProxiedPort(i) }

// ProxiedUpstream returns the address Toxiproxy forwards broker i's proxy to
// in the jar layout, 127.0.0.1:(31092+i-1).
func ProxiedUpstream(i int) string { return hostPort(loopbackIP, ProxiedPort(i)) }

// ProxyName returns the Toxiproxy proxy name of broker i: "kafka" for
// broker 1, "kafka-i" otherwise.
func ProxyName(i int) string {
	if i == 1 {
		return "kafka"
	}
	return "kafka-" + strconv.Itoa(i)
}

// ProxyListenPort returns the port broker i's Toxiproxy proxy listens on,
// which is also the advertised PROXIED port (29093+i-1).
func ProxyListenPort(i int) int { return prodlab.DefaultPorts.ProxyPort(i) }

// ProxyListenAddr returns the advertised PROXIED address of broker i in the
// jar layout, 127.0.0.1:(29093+i-1).
func ProxyListenAddr(i int) string { return hostPort(proxyHost, ProxyListenPort(i)) }

// ControllerPort returns the CONTROLLER port of broker i (19092+i-1).
func ControllerPort(i int) int { return prodlab.DefaultPorts.ControllerPort(i) }

// InternalPort returns the INTERNAL port of broker i in the compose layout
// (49092+i-1).
func InternalPort(i int) int { return internalBasePort + i - 1 }

// ComposeService returns the docker compose service name of broker i; it
// equals ProxyName(i).
func ComposeService(i int) string { return ProxyName(i) }

// DirectBootstrap returns the comma-separated DIRECT addresses of all
// brokers of a mode.
func DirectBootstrap(mode string) (string, error) {
	n, err := BrokerCount(mode)
	if err != nil {
		return "", err
	}
	parts := make([]string, n)
	for i := 1; i <= n; i++ {
		parts[i-1] = DirectAddr(i)
	}
	return strings.Join(parts, ","), nil
}

// QuorumVoters returns the value of `controller.quorum.voters` for brokers.
func QuorumVoters(brokers []Broker) string {
	var parts []string
	for _, b := range brokers {
		parts = append(parts, fmt.Sprintf("%d@%s", b.NodeID, hostPort(b.Host, b.Controller.Port)))
	}
	return strings.Join(parts, ",")
}

// TopicSpec describes a topic the lab creates.
type TopicSpec struct {
	// Name is the topic name.
	Name string
	// Partitions is the partition count.
	Partitions int32
	// ReplicationFactor is the replication factor.
	ReplicationFactor int16
	// Configs are topic-level settings.
	Configs map[string]string
}

// Topic returns the prodlab.DefaultTopic specification of a mode: 3 partitions, RF 1
// on a single node, RF 3 with min.insync.replicas=2 on the cluster.
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

// BrokerSettings returns the broker settings that do not depend on the
// listener layout and are identical for the jar-based brokers and the
// compose files (where they appear as KAFKA_* environment variables).
func BrokerSettings(mode string) (map[string]string, error) {
	n, err := BrokerCount(mode)
	if err != nil {
		return nil, err
	}
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
	}, nil
}

// ServerProperties returns the server.properties text of broker b of a mode
// (a Layout broker) with its data in logDir.
func ServerProperties(mode string, b Broker, brokers []Broker, logDir string) (string, error) {
	settings, err := BrokerSettings(mode)
	if err != nil {
		return "", err
	}
	settings["node.id"] = strconv.Itoa(b.NodeID)
	settings["log.dirs"] = logDir
	settings["listeners"] = b.ListenersProperty()
	settings["advertised.listeners"] = b.AdvertisedListenersProperty()
	settings["listener.security.protocol.map"] = b.SecurityProtocolMapProperty()
	settings["inter.broker.listener.name"] = b.InterBrokerListener
	settings["controller.quorum.voters"] = QuorumVoters(brokers)
	var sb strings.Builder
	fmt.Fprintf(&sb, "# Generated by prodlab (kafkalocal) for %s broker %d; do not edit.\n", mode, b.NodeID)
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&sb, "%s=%s\n", k, escapeProperty(settings[k]))
	}
	return sb.String(), nil
}

// escapeProperty escapes a server.properties value: of the characters our
// values contain, only a backslash is special there.
func escapeProperty(v string) string {
	return strings.ReplaceAll(v, `\`, `\\`)
}

// hostPort joins host and port, bracketing an IPv6 host as Kafka's
// listeners and every client expect.
func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
