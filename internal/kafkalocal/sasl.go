package kafkalocal

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
)

// Secure describes a test broker whose client listener is SASL_SSL (PLAIN,
// SCRAM-SHA-512, unsecured OAUTHBEARER): Dir holds its files, CertFile and
// KeyFile its PEM chain and PKCS#8 key (WriteCerts); the users map names
// to passwords.
type Secure struct {
	Dir, CertFile, KeyFile string
	ScramUsers, PlainUsers map[string]string
}

// SecureBroker is a broker StartSecure started; Addr is its SASL_SSL
// listener, localhost:<port>.
type SecureBroker struct {
	Addr  string
	files brokerFiles
	c     cfg
}

// The listener names of a Secure broker.
const (
	listenerSecure   = "SECURE"
	listenerInternal = "INTERNAL"
)

// StartSecure starts the broker s describes on free ports and waits until
// it answers and prodlab.DefaultTopic exists.
func StartSecure(ctx context.Context, s Secure, opts ...Opt) (*SecureBroker, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if s.Dir == "" || s.CertFile == "" || s.KeyFile == "" || len(s.ScramUsers)+len(s.PlainUsers) == 0 {
		return nil, fmt.Errorf("%w: Secure needs Dir, CertFile, KeyFile and at least one user", ErrOption)
	}
	if _, err := fetch(ctx, c); err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	f := filesIn(s.Dir)
	b := &SecureBroker{Addr: hostPort(directHost, ports[0]), files: f, c: c}
	if err := writeBrokerFiles(f, ": one KRaft broker with a SASL_SSL listener.", secureSettings(s, ports)); err != nil {
		return nil, err
	}
	var scram []string
	for _, name := range slices.Sorted(maps.Keys(s.ScramUsers)) {
		scram = append(scram, "--add-scram", fmt.Sprintf("SCRAM-SHA-512=[name=%s,password=%s]", name, s.ScramUsers[name]))
	}
	if err := formatWith(ctx, c, f, scram...); err != nil {
		return nil, err
	}
	// Tied: a test killed at its timeout leaves no JVM behind.
	if _, err := startWith(c, f, tied); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, c.readyTimeout)
	defer cancel()
	alive := func() error { return exited(f) }
	err = waitFor(rctx, "the SASL_SSL broker", alive, func(context.Context) error { return dialOnce(b.Addr) })
	if err == nil {
		spec, _ := Topic(ModeSingleNode)
		err = ensureTopic(rctx, spec, alive, hostPort(loopbackIP, ports[1])) // the PLAINTEXT listener
	}
	if err != nil {
		_ = b.Stop(context.Background())
		return nil, err
	}
	return b, nil
}

// Stop stops the broker (SIGTERM, SIGKILL after the StopTimeout).
func (b *SecureBroker) Stop(ctx context.Context) error {
	return stopProcess(ctx, b.files, syscall.SIGTERM, b.c.stopTimeout)
}

// secureSettings returns s's settings on ports (SASL_SSL, internal,
// controller).
func secureSettings(s Secure, ports []int) map[string]string {
	settings := brokerSettings(1)
	plain := "org.apache.kafka.common.security.plain.PlainLoginModule required"
	for _, name := range slices.Sorted(maps.Keys(s.PlainUsers)) {
		plain += fmt.Sprintf(" user_%s=%q", name, s.PlainUsers[name])
	}
	prefix := "listener.name." + strings.ToLower(listenerSecure) + "."
	for k, v := range map[string]string{
		"node.id":                                        "1",
		"listeners":                                      fmt.Sprintf("%s://%s,%s://%s,%s://%s", listenerSecure, hostPort(loopbackIP, ports[0]), listenerInternal, hostPort(loopbackIP, ports[1]), ListenerController, hostPort(loopbackIP, ports[2])),
		"advertised.listeners":                           fmt.Sprintf("%s://%s,%s://%s", listenerSecure, hostPort(directHost, ports[0]), listenerInternal, hostPort(loopbackIP, ports[1])),
		"listener.security.protocol.map":                 fmt.Sprintf("%s:SASL_SSL,%s:PLAINTEXT,%s:PLAINTEXT", listenerSecure, listenerInternal, ListenerController),
		"inter.broker.listener.name":                     listenerInternal,
		"controller.quorum.voters":                       "1@" + hostPort(loopbackIP, ports[2]),
		"sasl.enabled.mechanisms":                        "PLAIN,SCRAM-SHA-512,OAUTHBEARER",
		prefix + "sasl.enabled.mechanisms":               "PLAIN,SCRAM-SHA-512,OAUTHBEARER",
		prefix + "plain.sasl.jaas.config":                plain + ";",
		prefix + "scram-sha-512.sasl.jaas.config":        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
		prefix + "oauthbearer.sasl.jaas.config":          "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
		prefix + "ssl.keystore.type":                     "PEM",
		prefix + "ssl.keystore.certificate.chain":        readPEM(s.CertFile),
		prefix + "ssl.keystore.key":                      readPEM(s.KeyFile),
		prefix + "ssl.client.auth":                       "none",
		prefix + "ssl.endpoint.identification.algorithm": "",
	} {
		settings[k] = v
	}
	return settings
}

// readPEM returns a PEM file's text, or "" (Kafka then names the setting).
func readPEM(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// formatWith formats f's storage with extra StorageTool arguments.
func formatWith(ctx context.Context, c cfg, f brokerFiles, extra ...string) error {
	args := append([]string{"-Xmx256m"}, c.javaArgs(f, "kafka.tools.StorageTool",
		append([]string{"format", "--cluster-id", ClusterID, "--config", f.props, "--ignore-formatted"}, extra...)...)...)
	cmd := exec.CommandContext(ctx, "java", args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kafkalocal: format %s: %w\n%s", f.dir, err, tail(out.String(), 30))
	}
	return nil
}

// freePorts returns n distinct ports the kernel has just handed out.
func freePorts(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", hostPort(loopbackIP, 0))
		if err != nil {
			return nil, fmt.Errorf("kafkalocal: no free port: %w", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}
