package labca_test

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/prodlab/prodlab/internal/labca"
)

// TestLoadServe: Load makes the CA once (key 0600) and reads it back after,
// and a server certificate it signs verifies for its hosts under it.
func TestLoadServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	ca, err := labca.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, labca.KeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("CA key: %v, want mode 0600", err)
	}
	again, err := labca.Load(dir)
	if err != nil || !bytes.Equal(again.Cert.Raw, ca.Cert.Raw) {
		t.Fatalf("second Load: %v, same CA %v", err, err == nil && bytes.Equal(again.Cert.Raw, ca.Cert.Raw))
	}
	cert, err := again.Serve("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca.PEM()) {
		t.Fatal("the CA's PEM holds no certificate")
	}
	for _, host := range []string{"localhost", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("certificate for %s: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "example.com"}); err == nil {
		t.Error("certificate verifies for a host it does not name")
	}
	if _, err := ca.Serve(); err == nil {
		t.Error("Serve with no host succeeded")
	}
	if err := os.WriteFile(filepath.Join(dir, labca.CertFile), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := labca.Load(dir); err == nil {
		t.Error("Load of a CA that is not PEM succeeded")
	}
}
