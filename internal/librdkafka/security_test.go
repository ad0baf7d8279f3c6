//go:build cgo

package librdkafka

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/prodlab/prodlab"
)

func props(t *testing.T, kv ...string) prodlab.ClientProps {
	t.Helper()
	var p prodlab.ClientProps
	for _, s := range kv {
		if err := p.SetPair(s); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// TestClientConfig: the Java names map to librdkafka's own; the plain
// producer alone takes max.in.flight.
func TestClientConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	common, plain, err := clientConfig(props(t, "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
		"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";",
		"ssl.truststore.location="+ca, "ssl.endpoint.identification.algorithm=", "client.id=c",
		"max.in.flight.requests.per.connection=1"))
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.ConfigMap{"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "u",
		"sasl.password": "p", "ssl.ca.location": ca, "ssl.endpoint.identification.algorithm": "none", "client.id": "c"}
	if !reflect.DeepEqual(common, want) {
		t.Errorf("common = %v\nwant %v", common, want)
	}
	if !reflect.DeepEqual(plain, kafka.ConfigMap{"max.in.flight.requests.per.connection": 1}) {
		t.Errorf("plain = %v", plain)
	}
}

// TestClientConfigRefusesStaticToken: librdkafka takes no static
// OAUTHBEARER token here; the engine refuses it, naming the key.
func TestClientConfigRefusesStaticToken(t *testing.T) {
	cfg := prodlab.DefaultConfig()
	cfg.Client = props(t, "security.protocol=SASL_SSL", "sasl.mechanism=OAUTHBEARER", "sasl.oauthbearer.token=tok-secret")
	_, err := New(cfg)
	if !errors.Is(err, prodlab.ErrClientProp) || !strings.Contains(err.Error(), "sasl.mechanism") || strings.Contains(err.Error(), "tok-secret") {
		t.Fatalf("err = %v, want a refusal naming sasl.mechanism", err)
	}
}
