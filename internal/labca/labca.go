// Package labca makes the lab's TLS certificates: a certificate authority,
// kept in a directory or made for one run, and the server certificates it
// signs.
package labca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The CA's files in the directory Load keeps it in.
const (
	CertFile = "lab-ca.pem"
	KeyFile  = "lab-ca.key"
)

// CA is a certificate authority: its certificate and its key.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// New makes a CA, valid for ten years, in memory.
func New() (*CA, error) {
	cert, key, err := sign(&x509.Certificate{
		Subject:               pkix.Name{CommonName: "prodlab lab CA", Organization: []string{"prodlab"}},
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, nil)
	return &CA{Cert: cert, key: key}, err
}

// sign makes a P-256 key and a certificate of it from tmpl, valid from an
// hour ago, signed by ca (self-signed if ca is nil).
func sign(tmpl *x509.Certificate, ca *CA) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber, _ = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.Cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// Load reads the CA kept in dir, or makes one and keeps it there (see
// CertFile and KeyFile): its key with mode 0600, never over another file.
func Load(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	if cerr == nil && kerr == nil {
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("labca: %s and %s: %w (remove both to make a new CA)", certPath, keyPath, err)
		}
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("labca: key %s is not ECDSA: remove it and %s to make a new CA", keyPath, certPath)
		}
		return &CA{Cert: pair.Leaf, key: key}, nil
	}
	if !errors.Is(cerr, os.ErrNotExist) || !errors.Is(kerr, os.ErrNotExist) {
		return nil, fmt.Errorf("labca: CA in %s: %w", dir, errors.Join(cerr, kerr))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := New()
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalECPrivateKey(ca.key)
	if err != nil {
		return nil, err
	}
	kf, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(pem.Encode(kf, &pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), kf.Close()); err != nil {
		return nil, err
	}
	return ca, os.WriteFile(certPath, ca.PEM(), 0o644)
}

// PEM returns the CA's certificate as PEM: what clients trust.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Serve returns a server certificate for hosts (names or IP addresses),
// valid for a year, followed in its chain by the CA's.
func (ca *CA) Serve(hosts ...string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		return tls.Certificate{}, errors.New("labca: a server certificate with no host")
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0], Organization: []string{"prodlab"}},
		NotAfter:    time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	cert, key, err := sign(tmpl, ca)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{cert.Raw, ca.Cert.Raw}, PrivateKey: key}, nil
}
