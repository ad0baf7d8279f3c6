package prodlab_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodlab/prodlab"
)

func TestParseProperties(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := `# a comment
! another comment

   security.protocol = SASL_SSL
sasl.mechanism:SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
    username="alice" \
    password="p\u00e9ss=:word";
ssl.ca.location ` + ca + `
client.id=my\ client
max.in.flight.requests.per.connection=1
bootstrap.servers=b1:9093, b2:9093
`
	var p prodlab.ClientProps
	if err := p.ParseProperties(strings.NewReader(text), "client.properties"); err != nil {
		t.Fatal(err)
	}
	s, err := p.Security()
	if err != nil {
		t.Fatal(err)
	}
	want := prodlab.Security{Protocol: "SASL_SSL", Mechanism: "SCRAM-SHA-256", Username: "alice", Password: "péss=:word",
		CAFile: ca, VerifyHostname: true, ClientID: "my client", MaxInFlight: 1, Bootstrap: []string{"b1:9093", "b2:9093"}}
	if fmt.Sprint(s) != fmt.Sprint(want) || string(s.Password) != string(want.Password) {
		t.Errorf("got %+v\nwant %+v (password %q)", s, want, string(s.Password))
	}
}

// TestClientPropsRefused: each bad setting is refused naming its key and
// the line, never showing a secret.
func TestClientPropsRefused(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"acks=all", "client.properties:1: client setting acks: unknown key"},
		{"# c\nsecurity.protocol=SASL_SSLL", "client.properties:2: client setting security.protocol: \"SASL_SSLL\" is not one of"},
		{"max.in.flight.requests.per.connection=0", "max.in.flight.requests.per.connection: \"0\" is not a whole number in 1..1000000"},
		{"sasl.password=", "sasl.password: is empty"},
		{"client.id=a\\u12", `client.id: malformed \uXXXX escape`},
	} {
		var p prodlab.ClientProps
		err := p.ParseProperties(strings.NewReader(tc.text), "client.properties")
		if !errors.Is(err, prodlab.ErrClientProp) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.text, err, tc.want)
		}
	}
	const pw = "hunter2-secret"
	for _, tc := range []struct {
		kv   []string
		want string
	}{
		{[]string{"sasl.username=a", "sasl.password=" + pw}, "sasl.username: is set but security.protocol=PLAINTEXT does not use SASL"},
		{[]string{"security.protocol=SASL_SSL", "sasl.username=a", "sasl.password=" + pw}, "sasl.mechanism: is required"},
		{[]string{"security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.username=a"}, "sasl.password: is required"},
		{[]string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"a\" password=\"" + pw + "\";"},
			"sasl.jaas.config: ScramLoginModule does not match sasl.mechanism=PLAIN"},
		{[]string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", "sasl.jaas.config=com.example.Login required password=\"" + pw + "\";"},
			`sasl.jaas.config: word 1, the login module, is not supported`},
		// The case: "required" left out, the password second.
		{[]string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule password=\"" + pw + "\" username=\"u\";"},
			"sasl.jaas.config: word 2, the control flag, is not 'required'"},
		{[]string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", "sasl.jaas.config=" + pw + " required username=\"u\";"},
			"sasl.jaas.config: word 1, the login module, is not supported"},
		{[]string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" " + pw + ";"},
			"sasl.jaas.config: word 4 is not an option key=value"},
		{[]string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required " + pw + "=x;"},
			"sasl.jaas.config: word 3 is an option other than username and password"},
		{[]string{"sasl.password:" + pw + "=x"}, "a key is not a setting name"},
		{[]string{"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required password=\"" + pw + "\""},
			"sasl.jaas.config: the entry must end with ';'"},
		{[]string{"security.protocol=SASL_SSL", "sasl.mechanism=OAUTHBEARER"}, "sasl.oauthbearer.token: is required"},
		{[]string{"security.protocol=SSL", "ssl.certificate.location=/etc/hosts"}, "ssl.key.location: ssl.certificate.location and ssl.key.location go together"},
		{[]string{"security.protocol=SSL", "ssl.ca.location=/nonexistent.pem"}, "ssl.ca.location: stat /nonexistent.pem"},
		{[]string{"ssl.ca.location=/etc/hosts"}, "ssl.ca.location: is set but security.protocol=PLAINTEXT does not use TLS"},
		{[]string{"security.protocol=SSL", "ssl.ca.location=/etc/hosts", "ssl.truststore.location=/etc/hosts"}, "ssl.truststore.location: give it or ssl.ca.location, not both"},
		{[]string{"ssl.truststore.type=JKS"}, `ssl.truststore.type: "JKS" is not one of PEM`},
		{[]string{"sasl.kerberos.service.name=kafka"}, "sasl.kerberos.service.name: unknown key"},
		{[]string{"client.id"}, "client.id: use client.id=value"},
		{[]string{pw}, "a -X value is not key=value"},
	} {
		var p prodlab.ClientProps
		err := p.SetPair(tc.kv...)
		if err == nil {
			_, err = p.Security()
		}
		if !errors.Is(err, prodlab.ErrClientProp) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.kv, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Errorf("%q: the error shows the password: %v", tc.kv, err)
		}
	}
}

// TestClientPropsRedacted: no way of printing the settings or a Security
// shows a secret.
func TestClientPropsRedacted(t *testing.T) {
	const pw, token = "hunter2-secret", "eyJ-token-secret"
	var p prodlab.ClientProps
	if err := p.SetPair("security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.username=alice",
		"sasl.password="+pw, "sasl.oauthbearer.token="+token, "client.id=c1",
		"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\""+pw+"\";"); err != nil {
		t.Fatal(err)
	}
	cfg := prodlab.DefaultConfig()
	cfg.Client = p
	s := prodlab.Security{Username: "alice", Password: pw, Token: token}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "props", p, "security", s, "config", cfg)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "props", p, "security", s, "config", cfg)
	for _, v := range []any{p, &p, s, &s, cfg, &cfg} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&buf, verb+"\n", v)
		}
	}
	for _, v := range []any{p, s} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(j)
	}
	out := buf.String()
	for _, secret := range []string{pw, token} {
		if strings.Contains(out, secret) {
			t.Fatalf("a secret is printed:\n%s", out)
		}
	}
	if !strings.Contains(out, "sasl.password=[redacted]") || !strings.Contains(out, "client.id=c1") {
		t.Fatalf("settings not listed with secrets redacted:\n%s", out)
	}
}

// TestRedactPair: a -X pair prints with its value only for a known key
// that is no secret.
func TestRedactPair(t *testing.T) {
	for in, want := range map[string]string{
		"security.protocol=SASL_SSL": "security.protocol=SASL_SSL",
		"sasl.password=hunter2":      "sasl.password=[redacted]",
		" sasl.jaas.config = x":      " sasl.jaas.config =[redacted]",
		"sasl.oauthbearer.token=t":   "sasl.oauthbearer.token=[redacted]",
		"ssl.key.password=hunter2":   "ssl.key.password=[redacted]",
		"hunter2":                    "[redacted]",
		"Hunter2:x=y":                "[redacted]",
		"sasl.mechanisms=PLAIN":      "sasl.mechanisms=PLAIN",
		"client.id=c1":               "client.id=c1",
	} {
		if got := prodlab.RedactPair(in); got != want {
			t.Errorf("RedactPair(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClientPropsWith: With copies, and ssl.ca.location replaces the
// Java spelling ssl.truststore.location.
func TestClientPropsWith(t *testing.T) {
	dir := t.TempDir()
	brokerCA, labCA := filepath.Join(dir, "broker-ca.pem"), filepath.Join(dir, "lab-ca.pem")
	for _, f := range []string{brokerCA, labCA} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var p prodlab.ClientProps
	for k, v := range map[string]string{"security.protocol": "SSL", "ssl.truststore.location": brokerCA} {
		if err := p.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	q, err := p.With("ssl.ca.location", labCA)
	if err != nil {
		t.Fatal(err)
	}
	s, err := q.Security()
	if err != nil || s.CAFile != labCA {
		t.Fatalf("With: CA %q, %v", s.CAFile, err)
	}
	if s, err := p.Security(); err != nil || s.CAFile != brokerCA {
		t.Fatalf("the original changed: CA %q, %v", s.CAFile, err)
	}
}
