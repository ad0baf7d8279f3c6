// Package clientopts turns the Kafka client settings (prodlab.ClientProps:
// SASL, TLS, client.id) into franz-go options for every client of the lab.
package clientopts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/prodlab/prodlab"
)

// DialFunc dials one broker connection, as kgo.Dialer takes it.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// handshakeTimeout bounds a TLS handshake whose context has no deadline.
const handshakeTimeout = 10 * time.Second

// Connect returns the kgo options that reach a cluster with the settings
// p: SASL, client.id and the dialer, which with TLS on is TLSDialer over
// dial (kgo refuses kgo.Dialer with DialTLSConfig).
func Connect(p prodlab.ClientProps, dial DialFunc) ([]kgo.Opt, error) {
	s, err := p.Security()
	if err != nil {
		return nil, err
	}
	var opts []kgo.Opt
	if s.ClientID != "" {
		opts = append(opts, kgo.ClientID(s.ClientID))
	}
	if s.SASL() {
		opts = append(opts, kgo.SASL(mechanism(s)))
	}
	if s.TLS() {
		cfg, err := TLSConfig(s)
		if err != nil {
			return nil, err
		}
		dial = TLSDialer(cfg, dial)
	}
	if dial != nil {
		opts = append(opts, kgo.Dialer(dial))
	}
	return opts, nil
}

// mechanism returns the SASL mechanism of s, which Security checked: one
// of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER.
func mechanism(s prodlab.Security) sasl.Mechanism {
	switch s.Mechanism {
	case "PLAIN":
		return plain.Auth{User: s.Username, Pass: string(s.Password)}.AsMechanism()
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.Username, Pass: string(s.Password)}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.Username, Pass: string(s.Password)}.AsSha512Mechanism()
	}
	return oauth.Auth{Token: string(s.Token)}.AsMechanism()
}

// TLSConfig returns the TLS settings of s: its CA file (else the system's
// roots), its client certificate, and, when
// ssl.endpoint.identification.algorithm is empty, a check of the chain
// without the host name. TLSDialer sets ServerName per broker.
func TLSConfig(s prodlab.Security) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w ssl.ca.location: %v", prodlab.ErrClientProp, err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w ssl.ca.location: %s holds no PEM certificate", prodlab.ErrClientProp, s.CAFile)
		}
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			// The error names files, never the key's bytes.
			return nil, fmt.Errorf("%w ssl.certificate.location/ssl.key.location: %v", prodlab.ErrClientProp, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if !s.VerifyHostname {
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true // the chain is still verified below, only not the name
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the broker sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return cfg, nil
}

// TLSDialer returns a dialer that opens the TCP stream with dial (nil: a
// net.Dialer), then does the handshake with ServerName, unless cfg sets
// one, the host kgo dials: a dial through a proxy still checks the
// broker's advertised name. A handshake with no deadline is bounded by
// handshakeTimeout (10 s).
func TLSDialer(cfg *tls.Config, dial DialFunc) DialFunc {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := cfg.Clone()
		if c.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			c.ServerName = host
		}
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, handshakeTimeout)
			defer cancel()
		}
		tc := tls.Client(raw, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		return tc, nil
	}
}
