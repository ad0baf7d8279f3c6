package kafkalocal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/prodlab/prodlab"
)

// TestSecureBroker starts the SASL_SSL broker and produces to it with
// SCRAM-SHA-512 and PLAIN over TLS, verifying its name (localhost).
func TestSecureBroker(t *testing.T) {
	requireLocalKafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	certs, err := WriteCerts(dir, "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := StartSecure(ctx, Secure{
		Dir: dir, CertFile: certs.CertFile, KeyFile: certs.KeyFile,
		ScramUsers: map[string]string{"scram-user": "scram-pass-1"},
		PlainUsers: map[string]string{"plain-user": "plain-pass-1"},
	}, Output(testWriter{t}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	pem, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	for name, mech := range map[string]kgo.Opt{
		"scram": kgo.SASL(scram.Auth{User: "scram-user", Pass: "scram-pass-1"}.AsSha512Mechanism()),
		"plain": kgo.SASL(plain.Auth{User: "plain-user", Pass: "plain-pass-1"}.AsMechanism()),
	} {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.DialTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}), mech)
		if err != nil {
			t.Fatal(err)
		}
		r := cl.ProduceSync(ctx, &kgo.Record{Topic: prodlab.DefaultTopic, Value: []byte(name)})
		cl.Close()
		if err := r.FirstErr(); err != nil {
			t.Fatalf("%s: produce: %v", name, err)
		}
	}
}
