package clientopts_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/conntest"
	"github.com/prodlab/prodlab/internal/franz"
	"github.com/prodlab/prodlab/internal/franz/clientopts"
	"github.com/prodlab/prodlab/internal/kafkalocal"
)

// forwarder is a TCP proxy to upstream, as Toxiproxy is: its Dial ignores
// the address asked for and connects through the proxy.
type forwarder struct {
	ln    net.Listener
	dials atomic.Int64
}

func newForwarder(t *testing.T, upstream string) *forwarder {
	t.Helper()
	f := &forwarder{ln: conntest.Listen(t)}
	conntest.Serve(t, f.ln, func(c net.Conn) {
		u, err := net.Dial("tcp", upstream)
		if err != nil {
			return
		}
		go func() { _, _ = io.Copy(u, c); u.Close() }()
		_, _ = io.Copy(c, u)
	})
	return f
}

func (f *forwarder) Dial(ctx context.Context, network, _ string) (net.Conn, error) {
	f.dials.Add(1)
	var d net.Dialer
	return d.DialContext(ctx, network, f.ln.Addr().String())
}

// tlsServer answers TLS handshakes with a certificate for hosts, signed by
// the CA it returns.
func tlsServer(t *testing.T, hosts ...string) (addr string, certs kafkalocal.Certs) {
	t.Helper()
	certs, err := kafkalocal.WriteCerts(t.TempDir(), hosts...)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(certs.CertFile, certs.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	conntest.Serve(t, ln, func(c net.Conn) {
		_ = c.(*tls.Conn).Handshake()
		_, _ = io.Copy(io.Discard, c)
	})
	return ln.Addr().String(), certs
}

func security(t *testing.T, kv ...string) prodlab.Security {
	t.Helper()
	var p prodlab.ClientProps
	if err := p.SetPair(kv...); err != nil {
		t.Fatal(err)
	}
	s, err := p.Security()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTLSDialerChecksBrokerNameThroughProxy: the handshake runs over the
// proxied stream and checks the name kgo dialled (the broker's advertised
// host), not the proxy's address.
func TestTLSDialerChecksBrokerNameThroughProxy(t *testing.T) {
	upstream, certs := tlsServer(t, "broker-1.kafka.test")
	fw := newForwarder(t, upstream)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, addr string
		verify     string // ssl.endpoint.identification.algorithm
		ok         bool
	}{
		{"the broker's name", "broker-1.kafka.test:9093", "https", true},
		{"another name", "broker-2.kafka.test:9093", "https", false},
		{"the proxy's address", fw.ln.Addr().String(), "https", false},
		{"another name, no hostname check", "broker-2.kafka.test:9093", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := clientopts.TLSConfig(security(t, "security.protocol=SSL", "ssl.ca.location="+certs.CAFile,
				"ssl.endpoint.identification.algorithm="+tc.verify))
			if err != nil {
				t.Fatal(err)
			}
			before := fw.dials.Load()
			c, err := clientopts.TLSDialer(cfg, fw.Dial)(ctx, "tcp", tc.addr)
			if fw.dials.Load() != before+1 {
				t.Fatal("the dial did not go through the proxy")
			}
			if tc.ok != (err == nil) {
				t.Fatalf("dial %s: err = %v, want ok=%v", tc.addr, err, tc.ok)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "TLS handshake with "+tc.addr) {
					t.Errorf("error does not name the broker: %v", err)
				}
				return
			}
			defer c.Close()
			if got := c.(*tls.Conn).ConnectionState().ServerName; got != strings.Split(tc.addr, ":")[0] {
				t.Errorf("ServerName %q, want the broker's host", got)
			}
		})
	}
	t.Run("unknown CA, no hostname check", func(t *testing.T) {
		_, other := tlsServer(t, "broker-1.kafka.test")
		cfg, err := clientopts.TLSConfig(security(t, "security.protocol=SSL", "ssl.ca.location="+other.CAFile,
			"ssl.endpoint.identification.algorithm="))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := clientopts.TLSDialer(cfg, fw.Dial)(ctx, "tcp", "broker-1.kafka.test:9093"); err == nil {
			t.Fatal("a certificate of an unknown CA was accepted")
		}
	})
}

// TestEngineSASLSSLThroughDialer runs the franz engine with SASL_SSL
// (SCRAM-SHA-512) over Config.Dial, a TCP proxy, against kfake: sends
// succeed, and a wrong password fails without showing itself.
func TestEngineSASLSSLThroughDialer(t *testing.T) {
	certs, err := kafkalocal.WriteCerts(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(certs.CertFile, certs.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	const pass = "s3cret-scram"
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "t"),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "alice", pass),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	fw := newForwarder(t, cluster.ListenAddrs()[0])
	send := func(password string) error {
		cfg := prodlab.DefaultConfig()
		cfg.Bootstrap = cluster.ListenAddrs()
		cfg.DeliveryTimeout = 5 * time.Second
		cfg.Dial = fw.Dial
		if err := cfg.Client.SetPair("security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
			"sasl.username=alice", "sasl.password="+password, "ssl.ca.location="+certs.CAFile); err != nil {
			t.Fatal(err)
		}
		eng, err := franz.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		done := make(chan error, 1)
		if err := eng.Produce(prodlab.Idempotent, prodlab.Message{Topic: "t", Value: []byte("v"), Partition: prodlab.AnyPartition},
			func(d prodlab.Delivery) { done <- d.Err }); err != nil {
			return err
		}
		return <-done
	}
	before := fw.dials.Load()
	if err := send(pass); err != nil {
		t.Fatalf("send over SASL_SSL: %v", err)
	}
	if fw.dials.Load() == before {
		t.Fatal("the engine did not dial through Config.Dial")
	}
	// kfake drops the connection on a failed SASL exchange (EOF); real
	// Kafka's SASL_AUTHENTICATION_FAILED is checked by cmd/prodlab's
	// TestSASLSSL.
	const wrong = "wrong-password-4f2a"
	if err := send(wrong); err == nil {
		t.Fatal("a send succeeded with a wrong password")
	} else if strings.Contains(err.Error(), wrong) {
		t.Errorf("the error shows the password: %v", err)
	}
}

// TestConnectRefuses: settings that cannot be honoured fail before any
// dial, naming the key.
func TestConnectRefuses(t *testing.T) {
	for kv, key := range map[string]string{
		"ssl.ca.location=/nonexistent/ca.pem": "ssl.ca.location",
		"sasl.username=alice":                 "sasl.username",
	} {
		var p prodlab.ClientProps
		if err := p.SetPair("security.protocol=SSL", kv); err != nil {
			t.Fatal(err)
		}
		_, err := clientopts.Connect(p, nil)
		if !errors.Is(err, prodlab.ErrClientProp) || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: err = %v, want one naming %s", kv, err, key)
		}
	}
}
