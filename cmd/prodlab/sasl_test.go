package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
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
	"github.com/prodlab/prodlab/internal/metrics"
	"github.com/prodlab/prodlab/internal/metrics/metricstest"
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
	// The certificate names localhost only, the name the broker
	// advertises: a client that reaches it through a proxy on 127.0.0.1
	// must still check that name.
	certs, err := kafkalocal.WriteCerts(dir, "localhost")
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
	props := writeProps(t, fmt.Sprintf(`# SCRAM over TLS, as a managed cluster's client.properties
bootstrap.servers=%s
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
    username="%s" password="%s";
ssl.truststore.location: %s
`, b.Addr, c.scramUser, c.scramPass, c.ca))
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
	c.keepBody(t, resp)
}

// keepBody reads and closes resp's body, keeps it for the secret check
// and returns it.
func (c *saslCluster) keepBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	c.keep(string(b))
	return string(b)
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

// TestUpSASLSSL runs the whole lab over the SASL_SSL broker, which
// advertises its own address: 'prodlab up --kafka --config' picks the
// relay mode (the lab CA towards the APIs, the broker's CA and name
// towards the broker) and its console reads the cluster with the
// settings; 'prodlab validate --config' proves Lab 02.4 on both APIs,
// franz-go and librdkafka, and moves franz's /metrics; so does the
// console's own validation. No password appears in anything the lab
// printed or served.
func TestUpSASLSSL(t *testing.T) {
	c := startSASL(t)
	p := launchUp(t, append([]string{"--kafka", c.addr, "--data-dir", filepath.Join(t.TempDir(), "data"),
		"--proxy-port", "0", "--toxiproxy-port", "0", "--franz-port", "0", "--librdkafka-port", "0", "--console-port", "0"},
		c.scramProps...)...)
	out, err := os.ReadFile(p.out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("prodlab up:\n%s", out)
	// broker-1: the relay's proxy for the broker the Metadata answer names.
	proxy := `(?m)^  Toxiproxy proxy broker-1 +127\.0\.0\.1:\d+ -> ` + regexp.QuoteMeta(c.addr) + `$`
	for _, re := range []string{proxy, `(?m)^  Faults +relay: `, `(?m)^  Lab CA +\S+lab-ca\.pem `, `(?m)^  Client settings +.*sasl\.jaas\.config=\[redacted\]`, `(?m)^  Metrics \(franz\) +http://\S+/metrics$`} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("the banner does not match %s", re)
		}
	}
	franzURL := p.apis[prodlab.Franz]
	if franzURL == "" || p.toxi == "" || p.console == "" {
		t.Fatalf("banner: apis %v toxiproxy %q console %q", p.apis, p.toxi, p.console)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The console's direct client reads the cluster with the settings.
	cluster := c.get(ctx, t, p.console+"/api/cluster")
	if !strings.Contains(cluster, `"advertised":"`+c.addr+`"`) {
		t.Errorf("the console's cluster view lacks the broker %s:\n%s", c.addr, cluster)
	}
	var apis []string
	for _, name := range []string{prodlab.Franz, prodlab.Librdkafka} {
		if u := p.apis[name]; u != "" {
			apis = append(apis, name+"="+u)
		}
	}
	before := metricstest.Scrape(t, franzURL+"/metrics")
	stdout, stderr, err := c.run(t, 5*time.Minute, append([]string{"validate", "--bootstrap", c.addr,
		"--api", strings.Join(apis, ","), "--toxiproxy", p.toxi}, c.scramProps...)...)
	t.Logf("prodlab validate:\n%s", stdout)
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, tail(stderr, 30))
	}
	want := `^OK: franz_idempotent=1 franz_plain=2`
	if p.apis[prodlab.Librdkafka] != "" {
		want += ` librdkafka_idempotent=1 librdkafka_plain=2`
	}
	if !regexp.MustCompile(want+"\n").MatchString(stdout) || strings.Contains(stdout, "not validated") {
		t.Errorf("validate does not prove Lab 02.4 on every API (%s):\n%s", want, stdout)
	}
	// A short experiment with the password given by -X: its table, its
	// reports (0600) and its messages are kept for the secret check.
	reports := t.TempDir()
	jsonFile, htmlFile := filepath.Join(reports, "r.json"), filepath.Join(reports, "r.html")
	stdout, stderr, err = c.run(t, 5*time.Minute, append([]string{"experiment", "--schedule", "latency", "--n", "4", "--quiet",
		"--api", strings.Join(apis, ","), "--toxiproxy", p.toxi, "--json", jsonFile, "--report", htmlFile}, c.plainArgs...)...)
	t.Logf("prodlab experiment:\n%s", stdout)
	if err != nil {
		t.Fatalf("experiment: %v\n%s%s", err, stdout, tail(stderr, 30))
	}
	for _, f := range []string{jsonFile, htmlFile} {
		b := readReport(t, f)
		if !strings.Contains(b, "sasl.password="+prodlab.Redacted) {
			t.Errorf("%s: the command line lacks sasl.password=%s", filepath.Base(f), prodlab.Redacted)
		}
		c.keep(b)
	}
	// Lab 02.4 in the franz API's /metrics (see TestValidateCounters).
	le := ""
	for _, b := range metrics.Buckets {
		if b >= prodlab.DefaultConfig().RequestTimeout.Seconds() {
			le = strconv.FormatFloat(b, 'f', -1, 64)
			break
		}
	}
	delta := func(after metricstest.Families, metric string, labels map[string]string) float64 {
		return after.Value(metric, labels) - before.Value(metric, labels)
	}
	var after metricstest.Families
	timedOut := func(producer string) float64 {
		return delta(after, "prodlab_franz_read_errors_total", map[string]string{"producer": producer})
	}
	if err := wait.Until(ctx, func() bool {
		after = metricstest.Scrape(t, franzURL+"/metrics")
		return timedOut("plain") >= 1 && timedOut("idempotent") >= 1
	}); err != nil {
		t.Errorf("franz /metrics: no timed-out request counted: plain %v, idempotent %v", timedOut("plain"), timedOut("idempotent"))
	}
	for _, mode := range []prodlab.Mode{prodlab.Plain, prodlab.Idempotent} {
		ok := map[string]string{"mode": string(mode), "outcome": "ok"}
		sends := delta(after, "prodlab_api_send_duration_seconds", ok)
		slow := sends - delta(after, "prodlab_api_send_duration_seconds_bucket", map[string]string{"mode": string(mode), "outcome": "ok", "le": le})
		t.Logf("franz /metrics delta: %s: prodlab_api_send_duration_seconds{outcome=ok} +%v (+%v above le=%s); prodlab_franz_read_errors_total{producer=%s} +%v",
			mode, sends, slow, le, mode, timedOut(string(mode)))
		if slow < 1 {
			t.Errorf("franz %s: no OK send took longer than the request timeout", mode)
		}
	}
	// The console's validation: its target reads the log with the settings.
	resp, err := http.Post(p.console+"/api/runs?kind=validate", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		t.Fatalf("console: POST /api/runs?kind=validate: %s", resp.Status)
	}
	var run struct {
		State, Error string
		Validate     *struct {
			Summary  string
			NoFaults []struct{ API, Reason string }
		}
	}
	if err := wait.Until(ctx, func() bool {
		return json.Unmarshal([]byte(c.get(ctx, t, p.console+"/api/runs/current")), &run) == nil && run.State != "running"
	}); err != nil {
		t.Fatalf("the console's validation did not finish: %v", err)
	}
	if run.State != "ok" || run.Validate == nil || !strings.HasPrefix(run.Validate.Summary, "OK: franz_idempotent=1 franz_plain=") {
		t.Fatalf("the console's validation: %+v", run)
	}
	t.Logf("console validate: %s; not validated: %+v", run.Validate.Summary, run.Validate.NoFaults)
	if len(run.Validate.NoFaults) != 0 {
		t.Errorf("the console's validation reports APIs as not validated in relay mode: %+v", run.Validate.NoFaults)
	}
	for _, u := range p.apis {
		cl, err := api.NewClient(u)
		if err != nil {
			t.Fatal(err)
		}
		c.keepHealth(ctx, t, cl)
		c.get(ctx, t, u+"/metrics")
	}
	c.get(ctx, t, p.console+"/api/progress")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 2*time.Minute); code != 0 {
		t.Errorf("prodlab up exited %d after SIGTERM", code)
	}
	for _, f := range []string{p.out, p.log} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c.keep(string(b))
	}
	c.mu.Lock()
	all := c.output.String()
	c.mu.Unlock()
	for _, pw := range []string{c.scramPass, c.plainPass} {
		if strings.Contains(all, pw) {
			t.Errorf("a password appears in what the lab printed, served or reported")
		}
	}
}

// get GETs url, requires a 200 and returns the body, also kept for the
// secret check.
func (c *saslCluster) get(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := c.keepBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return b
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
