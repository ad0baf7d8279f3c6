package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClientFlags: every command that talks to Kafka takes -X and a
// client.properties, -X wins over the file, bootstrap.servers stands in for
// --bootstrap, and a bad setting is refused naming its key.
func TestClientFlags(t *testing.T) {
	file := writeProps(t, "bootstrap.servers=from-file:9093\nclient.id=from-file\n")
	t.Setenv("KAFKA_BOOTSTRAP_SERVERS", "")
	os.Unsetenv("KAFKA_BOOTSTRAP_SERVERS")
	t.Run("consume", func(t *testing.T) {
		c, err := consumeFlags([]string{"--topic", "t", "--config", file, "-X", "client.id=from-x"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.conn.bootstrap != "from-file:9093" {
			t.Errorf("bootstrap %q, want the file's", c.conn.bootstrap)
		}
		if s, err := c.conn.client.Security(); err != nil || s.ClientID != "from-x" {
			t.Errorf("client.id %q (%v), want -X's", s.ClientID, err)
		}
	})
	t.Run("topic keeps --bootstrap", func(t *testing.T) {
		c, err := topicFlags([]string{"list", "--command-config", file, "--bootstrap", "flag:9092"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.conn.bootstrap != "flag:9092" {
			t.Errorf("bootstrap %q, want the flag's", c.conn.bootstrap)
		}
	})
	t.Run("api", func(t *testing.T) {
		c, err := apiFlags([]string{"--config", file}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.producer.Bootstrap, ",") != "from-file:9093" {
			t.Errorf("bootstrap %v, want the file's", c.producer.Bootstrap)
		}
	})
	for name, parse := range map[string]func([]string) error{
		"api":     func(a []string) error { _, err := apiFlags(a, io.Discard); return err },
		"consume": func(a []string) error { _, err := consumeFlags(append(a, "--topic", "t"), io.Discard); return err },
		"topic":   func(a []string) error { _, err := topicFlags(append(a, "list"), io.Discard); return err },
		"compaction-check": func(a []string) error {
			_, err := compactionFlags(append(a, "--key", "k", "--expect", "e"), io.Discard)
			return err
		},
		"validate":   func(a []string) error { _, err := validateFlags(a, io.Discard); return err },
		"experiment": func(a []string) error { _, err := experimentFlags(a, io.Discard); return err },
	} {
		t.Run(name+" refuses", func(t *testing.T) {
			for _, tc := range []struct {
				args []string
				key  string
			}{
				{[]string{"-X", "acks=all"}, "acks: unknown key"},
				{[]string{"-X", "security.protocol=SASL_SSL", "-X", "sasl.password=pw-in-flag"}, "sasl.mechanism: is required"},
			} {
				err := parse(tc.args)
				if err == nil || !strings.Contains(err.Error(), tc.key) || strings.Contains(err.Error(), "pw-in-flag") {
					t.Errorf("%v: err = %v, want one naming %q", tc.args, err, tc.key)
				}
			}
		})
	}
}

// writeProps writes text to a new client.properties file, readable by its
// owner only, and returns its path.
func writeProps(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "client.properties")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
