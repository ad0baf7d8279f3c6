package kproxy

import (
	"crypto/tls"
	"path/filepath"

	"github.com/prodlab/prodlab/internal/labca"
)

// LabCA returns the relay's TLS settings for clients of an SSL or SASL_SSL
// cluster, a certificate for hosts signed by the lab CA kept in dir
// (labca.Load), and the path of that CA's certificate, which clients trust.
func LabCA(dir string, hosts ...string) (*tls.Config, string, error) {
	ca, err := labca.Load(dir)
	if err != nil {
		return nil, "", err
	}
	cert, err := ca.Serve(hosts...)
	if err != nil {
		return nil, "", err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, filepath.Join(dir, labca.CertFile), nil
}
