package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// saslCluster is a real Kafka broker whose only client listener is
// SASL_SSL (kafkalocal.StartSecure), and what clients need to reach it.
type saslCluster struct {
	addr                  string
	ca                    string // the CA that signed the broker's certificate
	scramUser, scramPass  string
	plainUser, plainPass  string
	scramProps, plainArgs []string // --config file / -X pairs for each user
	token                 string   // an unsecured OAUTHBEARER token
	oauthArgs             []string // -X pairs for the token
	dir                   string

	mu     sync.Mutex
	output bytes.Buffer // everything the commands of the test printed
}

func secret(t *testing.T, prefix string) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// startSASL starts the SASL_SSL broker for t, with random passwords.
func startSASL(t *testing.T) *saslCluster {
	t.Helper()
	if !labtest.Local() {
		t.Skip("real Kafka only: PRODLAB_KAFKA=local (java and mvn)")
	}
	dir := t.TempDir()
	certs, err := kafkalocal.WriteCerts(dir, "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c := &saslCluster{ca: certs.CAFile, dir: dir,
		scramUser: "alice", scramPass: secret(t, "scram-pw-"),
		plainUser: "bob", plainPass: secret(t, "plain-pw-")}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b, err := kafkalocal.StartSecure(ctx, kafkalocal.Secure{
		Dir: filepath.Join(dir, "broker"), CertFile: certs.CertFile, KeyFile: certs.KeyFile,
		ScramUsers: map[string]string{c.scramUser: c.scramPass},
		PlainUsers: map[string]string{c.plainUser: c.plainPass},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	c.addr = b.Addr
	props := filepath.Join(dir, "client.properties")
	text := fmt.Sprintf(`# SCRAM over TLS, as a managed cluster's client.properties
bootstrap.servers=%s
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
    username="%s" password="%s";
ssl.truststore.location: %s
`, b.Addr, c.scramUser, c.scramPass, c.ca)
	if err := os.WriteFile(props, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c.scramProps = []string{"--config", props}
	// Kafka's default OAUTHBEARER validator takes unsecured (alg "none")
	// tokens; the signature part stays empty.
	enc := base64.RawURLEncoding.EncodeToString
	now := time.Now().Unix()
	c.token = enc([]byte(`{"alg":"none"}`)) + "." +
		enc(fmt.Appendf(nil, `{"sub":"carol","iat":%d,"exp":%d,"jti":%q}`, now, now+3600, secret(t, "jti-"))) + "."
	c.oauthArgs = []string{"--bootstrap", b.Addr, "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanism=OAUTHBEARER",
		"-X", "sasl.oauthbearer.token=" + c.token, "-X", "ssl.ca.location=" + c.ca}
	c.plainArgs = []string{"--bootstrap", b.Addr, "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanism=PLAIN",
		"-X", "sasl.username=" + c.plainUser, "-X", "sasl.password=" + c.plainPass, "-X", "ssl.ca.location=" + c.ca}
	return c
}

// run runs prodlab args, bounded by d, and returns its stdout and stderr;
// both are kept for the secret check.
func (c *saslCluster) run(t *testing.T, d time.Duration, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, prodlabBin(t), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("prodlab %s: still running after %s", args[0], d)
	}
	c.keep(o.String() + e.String())
	return o.String(), e.String(), err
}

// keepHealth keeps the API's /health answer for the secret check.
func (c *saslCluster) keepHealth(ctx context.Context, t *testing.T, cl *api.Client) {
	t.Helper()
	resp, err := cl.Do(ctx, http.MethodGet, "/health", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	c.keep(string(b))
}

func (c *saslCluster) keep(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.output.WriteString(s)
}

// startAPI runs 'prodlab api' with args on a free port and returns its
// client once it listens, and a function that returns its log so far; the
// log is also kept for the secret check.
func (c *saslCluster) startAPI(t *testing.T, args ...string) (*api.Client, func() string) {
	t.Helper()
	cmd := exec.Command(prodlabBin(t), append([]string{"api", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	done := make(chan struct{})
	var mu sync.Mutex
	var log strings.Builder
	logged := func() string {
		mu.Lock()
		defer mu.Unlock()
		return log.String()
	}
	go func() {
		defer close(done)
		re := regexp.MustCompile(`producer API listening.*addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			c.keep(sc.Text() + "\n")
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
		_ = cmd.Wait()
	})
	select {
	case a := <-addr:
		cl, err := api.NewClient("http://" + a)
		if err != nil {
			t.Fatal(err)
		}
		return cl, logged
	case <-done:
		t.Fatalf("prodlab api %s exited before listening", strings.Join(args, " "))
	case <-time.After(time.Minute):
		t.Fatal("prodlab api did not listen within a minute")
	}
	return nil, nil
}

// TestSASLSSL drives prodlab's commands against a real broker whose only
// client listener is SASL_SSL: the send round trip on both engines with
// SCRAM-SHA-512 (client.properties) and PLAIN (-X), and on franz with a
// static OAUTHBEARER token (which librdkafka refuses), consume and topic
// list, a wrong password and an unknown CA (one-line errors), and no
// password anywhere in what the commands printed.
func TestSASLSSL(t *testing.T) {
	c := startSASL(t)
	engines := []string{prodlab.Franz}
	if engine.Built(prodlab.Librdkafka) {
		engines = append(engines, prodlab.Librdkafka)
	}
	type auth struct {
		name string
		args []string
	}
	for _, eng := range engines {
		auths := []auth{{"SCRAM-SHA-512", c.scramProps}, {"PLAIN", c.plainArgs}}
		if eng == prodlab.Franz {
			auths = append(auths, auth{"OAUTHBEARER", c.oauthArgs})
		}
		for _, auth := range auths {
			t.Run("send/"+eng+"/"+auth.name, func(t *testing.T) {
				cl, _ := c.startAPI(t, append([]string{"--engine", eng}, auth.args...)...)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := wait.Until(ctx, func() bool { return cl.Health(ctx) == nil }); err != nil {
					t.Fatalf("the API never became healthy: %v", err)
				}
				c.keepHealth(ctx, t, cl)
				for _, mode := range prodlab.Modes {
					id := secret(t, "sasl-"+string(mode)+"-")
					res, err := cl.Send(ctx, api.SendParams{Mode: mode, EventID: id, Key: "k"})
					if err != nil {
						t.Fatalf("%s send: %v", mode, err)
					}
					if res.Status != "OK" || res.Offset == nil {
						t.Fatalf("%s send: %s", mode, res.Body)
					}
					c.keep(res.Body)
					t.Logf("%s %s: %s", eng, auth.name, res.Body)
					out, _, err := c.run(t, time.Minute, append([]string{"consume", "--topic", prodlab.DefaultTopic,
						"--from-beginning", "--event-id", id, "--count"}, auth.args...)...)
					if err != nil || !strings.Contains(out, "Total\t1") {
						t.Fatalf("consume --event-id %s: %v\n%s", id, err, out)
					}
				}
			})
		}
	}
	if engine.Built(prodlab.Librdkafka) {
		t.Run("OAUTHBEARER refused by librdkafka", func(t *testing.T) {
			_, stderr, err := c.run(t, time.Minute, append([]string{"api", "--engine", prodlab.Librdkafka, "--listen", "127.0.0.1:0"}, c.oauthArgs...)...)
			oneLineError(t, err, stderr, `sasl\.mechanism: the librdkafka engine takes no static OAUTHBEARER token`)
		})
	}
	t.Run("topic list", func(t *testing.T) {
		out, _, err := c.run(t, time.Minute, append([]string{"topic", "list"}, c.plainArgs...)...)
		if err != nil || !strings.Contains(out, prodlab.DefaultTopic) {
			t.Fatalf("topic list: %v\n%s", err, out)
		}
	})
	wrong := secret(t, "wrong-pw-")
	t.Run("wrong password", func(t *testing.T) {
		args := append(append([]string{"topic", "list"}, c.plainArgs...), "-X", "sasl.password="+wrong)
		_, stderr, err := c.run(t, time.Minute, args...)
		oneLineError(t, err, stderr, `(?i)authentication`)
	})
	for _, eng := range engines {
		t.Run("wrong password/api/"+eng, func(t *testing.T) {
			args := append([]string{"--engine", eng, "--delivery-timeout-ms", "5000"}, c.plainArgs...)
			cl, logged := c.startAPI(t, append(args, "-X", "sasl.password="+wrong)...)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := cl.Health(ctx); err == nil {
				t.Error("/health answers 200 with a wrong password")
			}
			c.keepHealth(ctx, t, cl)
			// Within the 5 s delivery timeout: the engines do not hang.
			_, err := cl.Send(ctx, api.SendParams{Mode: prodlab.Idempotent, EventID: "wrong-pw", Key: "k"})
			if err == nil {
				t.Fatal("a send succeeded with a wrong password")
			}
			authFailed := regexp.MustCompile(`(?i)authentication failed`)
			if !authFailed.MatchString(err.Error()) {
				t.Errorf("the send error does not name authentication: %v", err)
			}
			if !authFailed.MatchString(logged()) {
				t.Errorf("the API's log does not name authentication:\n%s", tail(logged(), 20))
			}
			c.keep(err.Error())
			t.Logf("send: %v", err)
		})
	}
	t.Run("unknown CA", func(t *testing.T) {
		other, err := kafkalocal.WriteCerts(t.TempDir(), "localhost")
		if err != nil {
			t.Fatal(err)
		}
		args := append(append([]string{"topic", "list"}, c.plainArgs...), "-X", "ssl.ca.location="+other.CAFile)
		_, stderr, err := c.run(t, time.Minute, args...)
		oneLineError(t, err, stderr, `(?i)tls|x509|certificate`)
	})
	t.Run("no secret printed", func(t *testing.T) {
		c.mu.Lock()
		out := c.output.String()
		c.mu.Unlock()
		// The API logs its client settings, secrets redacted.
		if !strings.Contains(out, "sasl.password=[redacted]") || !strings.Contains(out, "sasl.jaas.config=[redacted]") {
			t.Fatalf("the APIs did not log their client settings:\n%s", tail(out, 40))
		}
		for _, s := range []string{c.scramPass, c.plainPass, wrong, c.token} {
			if strings.Contains(out, s) {
				t.Errorf("a password appears in the commands' output:\n%s", tail(out, 40))
			}
		}
	})
}

// oneLineError checks that a command failed with one line on stderr that
// matches pattern, and no stack trace.
func oneLineError(t *testing.T, err error, stderr, pattern string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the command succeeded; stderr:\n%s", stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 || !regexp.MustCompile(pattern).MatchString(lines[0]) || strings.Contains(stderr, "goroutine ") {
		t.Fatalf("want one line matching %s, got:\n%s", pattern, stderr)
	}
	t.Logf("error: %s", lines[0])
}
