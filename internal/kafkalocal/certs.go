package kafkalocal

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"

	"github.com/prodlab/prodlab/internal/labca"
)

// Certs names the PEM files WriteCerts wrote: the CA's certificate (the
// clients' truststore), the server's certificate followed by the CA's, and
// the server's unencrypted PKCS#8 key.
type Certs struct {
	CAFile, CertFile, KeyFile string
}

// WriteCerts makes a CA and a server certificate it signs for hosts (DNS
// names or IP addresses), and writes them as PEM in dir, which Kafka reads
// with ssl.keystore.type=PEM.
func WriteCerts(dir string, hosts ...string) (Certs, error) {
	ca, err := labca.New()
	if err != nil {
		return Certs{}, err
	}
	cert, err := ca.Serve(hosts...)
	if err != nil {
		return Certs{}, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return Certs{}, err
	}
	c := Certs{CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "server.pem"), KeyFile: filepath.Join(dir, "server-key.pem")}
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	for name, data := range map[string][]byte{c.CAFile: ca.PEM(), c.CertFile: chain,
		c.KeyFile: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})} {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			return Certs{}, err
		}
	}
	return c, nil
}
