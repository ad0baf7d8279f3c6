// Package broker runs an embedded Kafka-protocol cluster (franz-go's kfake)
// whose brokers advertise addresses chosen after they start, so that every
// client that reads Metadata is sent to the brokers' Toxiproxy ports.
package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"

	"github.com/prodlab/prodlab/internal/kafkaframe"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Cluster is a running embedded cluster.
type Cluster struct {
	kc     *kfake.Cluster
	roll   *roller
	lns    []*listener
	direct []string
}

type cfg struct {
	host       string
	ports      []int
	brokers    int
	dataDir    string
	topics     []string
	partitions int32
	compactKey string
	logger     *slog.Logger // see log.go
	syncWrites bool
	maxFrame   int32
}

// Opt configures a Cluster.
type Opt func(*cfg)

// Host sets the interface the brokers bind, default 127.0.0.1.
func Host(h string) Opt { return func(c *cfg) { c.host = h } }

// Brokers sets the broker count, default 1.
func Brokers(n int) Opt { return func(c *cfg) { c.brokers = n } }

// Ports sets each broker's direct port, default 0 (any free port) for all.
func Ports(ports ...int) Opt { return func(c *cfg) { c.ports = ports } }

// DataDir persists the cluster's data under dir, default none (in memory).
func DataDir(dir string) Opt { return func(c *cfg) { c.dataDir = dir } }

// Topics seeds topics with the given partition count, if they do not exist.
func Topics(partitions int32, names ...string) Opt {
	return func(c *cfg) { c.partitions, c.topics = partitions, names }
}

// MaxFrameBytes caps the request frames a broker reads, default
// kafkaframe.DefaultMax; a longer one, or HTTP, closes the connection.
func MaxFrameBytes(n int32) Opt { return func(c *cfg) { c.maxFrame = n } }

// Start binds every broker and starts the cluster. Until Advertise is
// called, a broker advertises its own direct address.
func Start(opts ...Opt) (*Cluster, error) {
	c := cfg{host: "127.0.0.1", brokers: 1, maxFrame: kafkaframe.DefaultMax, logger: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case c.maxFrame < 1<<20:
		return nil, fmt.Errorf("broker: MaxFrameBytes must be >= 1 MiB, got %d", c.maxFrame)
	case c.brokers < 1 || c.brokers > 9:
		return nil, fmt.Errorf("broker: Brokers must be in 1..9, got %d", c.brokers)
	case len(c.ports) != 0 && len(c.ports) != c.brokers:
		return nil, fmt.Errorf("broker: Ports must give one port per broker, got %d for %d", len(c.ports), c.brokers)
	case c.logger == nil:
		return nil, errors.New("broker: Logger must not be nil")
	}
	cl := &Cluster{}
	kopts := []kfake.Opt{
		kfake.NumBrokers(c.brokers),
		kfake.Ports(c.ports...), // none: any free port
		kfake.ClusterID("BHF-Training"),
		kfake.WithLogger(slogLogger{c.logger}),
		kfake.ListenFn(func(network, addr string) (net.Listener, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ln, err := net.Listen(network, net.JoinHostPort(c.host, port))
			if err != nil {
				return nil, fmt.Errorf("broker %d: %w", len(cl.lns)+1, err)
			}
			l := &listener{Listener: kafkaframe.Listener(ln, c.maxFrame, c.logger)}
			cl.lns = append(cl.lns, l)
			cl.direct = append(cl.direct, ln.Addr().String())
			return l, nil
		}),
	}
	if c.dataDir != "" {
		if err := checkDataDir(c.dataDir, c.logger); err != nil {
			return nil, err
		}
		kopts = append(kopts, kfake.DataDir(c.dataDir))
		if c.syncWrites {
			kopts = append(kopts, kfake.SyncWrites())
		}
	}
	if len(c.topics) > 0 {
		kopts = append(kopts, kfake.SeedTopics(c.partitions, c.topics...))
	}
	kc, err := kfake.NewCluster(kopts...)
	if err != nil {
		for _, l := range cl.lns {
			l.Close()
		}
		return nil, err
	}
	cl.kc = kc
	cl.roll = startRoller(kc, []byte(c.compactKey))
	cl.controlApiVersions()
	cl.controlPatches()
	return cl, nil
}

// DirectAddrs returns each broker's bound address, in broker order.
func (c *Cluster) DirectAddrs() []string { return append([]string(nil), c.direct...) }

// Advertise makes broker i (0-based) advertise addr in every Metadata answer.
func (c *Cluster) Advertise(i int, addr string) error {
	if i < 0 || i >= len(c.lns) {
		return fmt.Errorf("no broker %d", i)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if _, err := strconv.Atoi(port); err != nil {
		return errors.New("advertised port is not a number: " + addr)
	}
	a := advertised(net.JoinHostPort(host, port))
	c.lns[i].adv.Store(&a)
	return nil
}

// Kfake returns the underlying cluster, for compaction and fault control.
func (c *Cluster) Kfake() *kfake.Cluster { return c.kc }

// Close stops every broker.
func (c *Cluster) Close() {
	c.roll.close()
	c.kc.Close()
}

// listener is a broker's listener whose Addr is the advertised address.
type listener struct {
	net.Listener
	adv atomic.Pointer[advertised]
}

type advertised string

func (a *advertised) Network() string { return "tcp" }
func (a *advertised) String() string  { return string(*a) }

func (l *listener) Addr() net.Addr {
	if a := l.adv.Load(); a != nil {
		return a
	}
	return l.Listener.Addr()
}
