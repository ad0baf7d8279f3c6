package kproxy_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/franz/clientopts"
	"github.com/prodlab/prodlab/internal/kproxy"
	"github.com/prodlab/prodlab/internal/labca"
)

func pool(t *testing.T, caPath string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", caPath)
	}
	return p
}

// TestTLSThroughRelay: brokers that serve TLS under their own CA, behind
// Toxiproxy and a relay that serves TLS under the lab's CA and verifies the
// brokers (name included) under theirs. A franz-go client that trusts the
// lab CA sees only proxies and is slowed by a toxic; the lab CA's key is
// 0600, and a second LabCA reuses the CA.
func TestTLSThroughRelay(t *testing.T) {
	brokerTLS, brokerCA, err := kproxy.LabCA(t.TempDir(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	labTLS, labCA, err := kproxy.LabCA(dir, "127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, labca.KeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("lab CA key: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	if _, again, err := kproxy.LabCA(dir, "127.0.0.1"); err != nil || again != labCA {
		t.Fatalf("second LabCA: %s, %v", again, err)
	}
	f := frontWith(t, []kfake.Opt{kfake.NumBrokers(3), kfake.TLS(brokerTLS)}, kproxy.ClientTLS(labTLS),
		kproxy.Dial(clientopts.TLSDialer(&tls.Config{RootCAs: pool(t, brokerCA), MinVersion: tls.VersionTLS12}, nil)))
	boot := f.bootstrap

	// A client that trusts only the brokers' CA fails: the relay serves the lab's.
	bad, err := kgo.NewClient(kgo.SeedBrokers(boot), kgo.DialTLSConfig(&tls.Config{RootCAs: pool(t, brokerCA)}), kgo.RequestRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Ping(t.Context()); err == nil {
		t.Error("a client that does not trust the lab CA got through")
	}
	bad.Close()

	cl := f.client(t, "franz-go over TLS", kgo.DialTLSConfig(&tls.Config{RootCAs: pool(t, labCA)}))
	f.slowed(t, cl, 0, "TLS produce")
}
