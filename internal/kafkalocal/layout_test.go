package kafkalocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/prodlab/prodlab"
)

func TestLayout(t *testing.T) {
	for _, tc := range []struct {
		mode string
		n    int
	}{{ModeSingleNode, 1}, {ModeCluster, 3}} {
		bs, err := Layout(tc.mode)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) != tc.n {
			t.Fatalf("%s: %d brokers, want %d", tc.mode, len(bs), tc.n)
		}
		for k, b := range bs {
			i := k + 1
			if b.NodeID != i {
				t.Errorf("%s broker %d: node id %d", tc.mode, i, b.NodeID)
			}
			wantL := fmt.Sprintf("DIRECT://127.0.0.1:%d,PROXIED://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", 9091+i, 31091+i, 19091+i)
			settings := ServerSettings(b, bs)
			if got := settings["listeners"]; got != wantL {
				t.Errorf("listeners = %q, want %q", got, wantL)
			}
			wantA := fmt.Sprintf("DIRECT://localhost:%d,PROXIED://127.0.0.1:%d", 9091+i, 29092+i)
			if got := settings["advertised.listeners"]; got != wantA {
				t.Errorf("advertised.listeners = %q, want %q", got, wantA)
			}
			if b.InterBrokerListener != ListenerDirect {
				t.Errorf("inter-broker listener %q", b.InterBrokerListener)
			}
			wantProxy := Proxy{Name: map[int]string{1: "kafka", 2: "kafka-2", 3: "kafka-3"}[i], ListenPort: 29092 + i, Upstream: fmt.Sprintf("127.0.0.1:%d", 31091+i)}
			if b.Proxy != wantProxy || ProxyName(i) != wantProxy.Name || prodlab.DefaultPorts.ProxyPort(i) != wantProxy.ListenPort || ProxiedUpstream(i) != wantProxy.Upstream {
				t.Errorf("proxy = %+v, want %+v", b.Proxy, wantProxy)
			}
			if DirectAddr(i) != fmt.Sprintf("localhost:%d", 9091+i) {
				t.Errorf("DirectAddr(%d) = %q", i, DirectAddr(i))
			}
		}
	}
	if _, err := Layout("three"); err == nil {
		t.Error("Layout accepted an unknown mode")
	}
	bs, _ := Layout(ModeCluster)
	settings := ServerSettings(bs[0], bs)
	if got, want := settings["controller.quorum.voters"], "1@127.0.0.1:19092,2@127.0.0.1:19093,3@127.0.0.1:19094"; got != want {
		t.Errorf("controller.quorum.voters = %q, want %q", got, want)
	}
}

func TestServerProperties(t *testing.T) {
	bs, _ := Layout(ModeCluster)
	f := filesIn(t.TempDir())
	if err := writeBrokerFiles(f, "", ServerSettings(bs[1], bs)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f.props)
	if err != nil {
		t.Fatal(err)
	}
	props := string(b)
	for _, want := range []string{
		"node.id=2\n",
		"process.roles=broker,controller\n",
		"listeners=DIRECT://127.0.0.1:9093,PROXIED://127.0.0.1:31093,CONTROLLER://127.0.0.1:19093\n",
		"advertised.listeners=DIRECT://localhost:9093,PROXIED://127.0.0.1:29094\n",
		"listener.security.protocol.map=DIRECT:PLAINTEXT,PROXIED:PLAINTEXT,CONTROLLER:PLAINTEXT\n",
		"inter.broker.listener.name=DIRECT\n",
		"controller.listener.names=CONTROLLER\n",
		"controller.quorum.voters=1@127.0.0.1:19092,2@127.0.0.1:19093,3@127.0.0.1:19094\n",
		"log.dirs=" + f.data + "\n",
		"auto.create.topics.enable=false\n",
		"offsets.topic.replication.factor=3\n",
		"transaction.state.log.min.isr=2\n",
		"group.initial.rebalance.delay.ms=0\n",
		"log.cleaner.backoff.ms=1000\n",
	} {
		if !strings.Contains(props, want) {
			t.Errorf("server.properties lacks %q:\n%s", want, props)
		}
	}
	spec, _ := Topic(ModeCluster)
	if spec.ReplicationFactor != 3 || spec.Configs["min.insync.replicas"] != "2" || spec.Partitions != 3 {
		t.Errorf("cluster topic = %+v", spec)
	}
	spec, _ = Topic(ModeSingleNode)
	if spec.ReplicationFactor != 1 || len(spec.Configs) != 0 {
		t.Errorf("single-node topic = %+v", spec)
	}
}

func TestPomAndMarker(t *testing.T) {
	pom := pomXML("9.9.9")
	for _, want := range []string{"<artifactId>kafka_2.13</artifactId>", "<version>9.9.9</version>", "log4j-slf4j-impl"} {
		if !strings.Contains(pom, want) {
			t.Errorf("pom lacks %q", want)
		}
	}
	dir := t.TempDir()
	if err := checkLibs(dir, "x"); !errors.Is(err, errIncomplete) {
		t.Errorf("empty dir: %v", err)
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.jar", "jar")
	// "jar": f92e777f4341930bad9b2422283c4680d00dbc06
	write(markerName, "pom-sha256 x\na.jar sha1 f92e777f4341930bad9b2422283c4680d00dbc06\nb.jar sha1 f92e777f4341930bad9b2422283c4680d00dbc06\n")
	if err := checkLibs(dir, "x"); !errors.Is(err, errIncomplete) {
		t.Errorf("dir with a missing jar: %v", err)
	}
	write("b.jar", "jar")
	if err := checkLibs(dir, "x"); err != nil {
		t.Errorf("complete dir: %v", err)
	}
	if err := checkLibs(dir, "other-pom"); !errors.Is(err, errIncomplete) {
		t.Errorf("marker of another pom: %v", err)
	}
	write(markerName, "pom-sha256 x\na.jar\nb.jar\n")
	if err := checkLibs(dir, "x"); !errors.Is(err, errIncomplete) {
		t.Errorf("marker without checksums (an older prodlab's): %v", err)
	}
}

// infraDir is the repo's infra directory, seen from this package.
var infraDir = filepath.Join("..", "..", "infra")

func loadCompose(t *testing.T, env map[string]string, files ...string) *types.Project {
	t.Helper()
	var paths, envList []string
	for _, f := range files {
		paths = append(paths, filepath.Join(infraDir, f))
	}
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}
	opts, err := cli.NewProjectOptions(paths,
		cli.WithWorkingDirectory(infraDir),
		cli.WithEnv(envList),
		cli.WithName("prodlab"),
	)
	if err != nil {
		t.Fatalf("compose options %v: %v", files, err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load compose %v: %v", files, err)
	}
	return p
}

func env(s types.ServiceConfig, k string) string {
	if v, ok := s.Environment[k]; ok && v != nil {
		return *v
	}
	return ""
}

func published(s types.ServiceConfig) map[int]int {
	out := map[int]int{}
	for _, p := range s.Ports {
		host, _ := strconv.Atoi(p.Published)
		out[int(p.Target)] = host
	}
	return out
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("compose project has no service %q (has %v)", name, slices.Sorted(mapKeys(p.Services)))
	}
	return s
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func dependsOn(t *testing.T, s types.ServiceConfig, dep, cond string) {
	t.Helper()
	d, ok := s.DependsOn[dep]
	if !ok {
		t.Errorf("service %s does not depend on %s", s.Name, dep)
		return
	}
	if d.Condition != cond {
		t.Errorf("service %s depends on %s with condition %q, want %q", s.Name, dep, d.Condition, cond)
	}
}

// composeFiles are every compose file in infra/ and how they are loaded.
var composeFiles = map[string]string{
	"docker-compose.single-node.yml": ModeSingleNode,
	"docker-compose.cluster.yml":     ModeCluster,
	"docker-compose.module.yml":      "", // loaded on top of each of the above
}

func TestComposeFilesAllKnown(t *testing.T) {
	found, err := filepath.Glob(filepath.Join(infraDir, "*compose*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		if _, ok := composeFiles[filepath.Base(f)]; !ok {
			t.Errorf("%s is not checked by layout_test.go: add it to composeFiles", f)
		}
	}
	if len(found) != len(composeFiles) {
		t.Errorf("found compose files %v, want %d", found, len(composeFiles))
	}
}

func TestComposeKafkaMatchesLayout(t *testing.T) {
	for file, mode := range composeFiles {
		if mode == "" {
			continue
		}
		t.Run(mode, func(t *testing.T) {
			p := loadCompose(t, nil, file)
			checkKafka(t, p, mode)
		})
	}
}

func TestComposeModule(t *testing.T) {
	for file, mode := range composeFiles {
		if mode == "" {
			continue
		}
		t.Run(mode, func(t *testing.T) {
			n, _ := BrokerCount(mode)
			var e map[string]string
			if n > 1 {
				e = map[string]string{"PRODLAB_KAFKA_BROKERS": strconv.Itoa(n)}
			}
			p := loadCompose(t, e, file, "docker-compose.module.yml")
			checkKafka(t, p, mode)
			checkModule(t, p, mode)
			checkGatedDependencies(t, p)
		})
	}
	// Without PRODLAB_KAFKA_BROKERS the module creates the single-node proxy only.
	p := loadCompose(t, nil, "docker-compose.single-node.yml", "docker-compose.module.yml")
	if got := env(service(t, p, "toxiproxy-init"), "KAFKA_BROKERS"); got != "1" {
		t.Errorf("default KAFKA_BROKERS = %q, want 1", got)
	}
}

// checkKafka compares the broker services of p with ComposeLayout(mode).
func checkKafka(t *testing.T, p *types.Project, mode string) {
	t.Helper()
	brokers, err := ComposeLayout(mode)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := Layout(mode)
	var internal []string
	for k, b := range brokers {
		// The compose layout keeps the jar layout's names and ports.
		j := jar[k]
		for _, pair := range [][2]Listener{{b.Direct, j.Direct}, {b.Proxied, j.Proxied}, {b.Controller, j.Controller}} {
			c, l := pair[0], pair[1]
			if c.Name != l.Name || c.Port != l.Port || c.AdvertisedPort != l.AdvertisedPort {
				t.Errorf("broker %d: compose listener %+v differs from jar listener %+v", b.NodeID, c, l)
			}
		}
		if b.Proxy.Name != j.Proxy.Name || b.Proxy.ListenPort != j.Proxy.ListenPort {
			t.Errorf("broker %d: compose proxy %+v differs from jar proxy %+v", b.NodeID, b.Proxy, j.Proxy)
		}

		s := service(t, p, ComposeService(b.NodeID))
		if s.Image != "apache/kafka:"+Version {
			t.Errorf("%s image %q, want apache/kafka:%s", s.Name, s.Image, Version)
		}
		want := map[string]string{"CLUSTER_ID": ClusterID, "KAFKA_HEAP_OPTS": HeapOpts}
		for k, v := range ServerSettings(b, brokers) {
			want["KAFKA_"+strings.ToUpper(strings.ReplaceAll(k, ".", "_"))] = v
		}
		for k, v := range want {
			if got := env(s, k); got != v {
				t.Errorf("%s %s = %q, want %q", s.Name, k, got, v)
			}
		}
		if got := published(s); len(got) != 1 || got[b.Direct.Port] != b.Direct.AdvertisedPort {
			t.Errorf("%s publishes %v, want only DIRECT %d:%d", s.Name, got, b.Direct.AdvertisedPort, b.Direct.Port)
		}
		if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 || !strings.Contains(strings.Join(s.HealthCheck.Test, " "), b.Internal.AdvertisedAddr()) {
			t.Errorf("%s healthcheck %+v does not probe %s", s.Name, s.HealthCheck, b.Internal.AdvertisedAddr())
		}
		internal = append(internal, b.Internal.AdvertisedAddr())
	}
	// No broker beyond the layout.
	for name, s := range p.Services {
		if strings.HasPrefix(s.Image, "apache/kafka:") && name != "kafka-init" && env(s, "KAFKA_NODE_ID") != "" {
			if id, _ := strconv.Atoi(env(s, "KAFKA_NODE_ID")); id < 1 || id > len(brokers) || name != ComposeService(id) {
				t.Errorf("service %s is a broker outside the layout", name)
			}
		}
	}

	spec, _ := Topic(mode)
	initS := service(t, p, "kafka-init")
	cmd := strings.Join(append(append([]string{}, initS.Entrypoint...), initS.Command...), " ")
	for _, want := range []string{
		"--bootstrap-server " + strings.Join(internal, ","),
		"--create", "--if-not-exists",
		"--topic " + spec.Name,
		"--partitions " + strconv.Itoa(int(spec.Partitions)),
		"--replication-factor " + strconv.Itoa(int(spec.ReplicationFactor)),
	} {
		if !strings.Contains(cmd, want) {
			t.Errorf("kafka-init command %q lacks %q", cmd, want)
		}
	}
	for k, v := range spec.Configs {
		if !strings.Contains(cmd, "--config "+k+"="+v) {
			t.Errorf("kafka-init command %q lacks --config %s=%s", cmd, k, v)
		}
	}
	if strings.Count(cmd, "--config") != len(spec.Configs) {
		t.Errorf("kafka-init command %q has other topic configs than %v", cmd, spec.Configs)
	}

	ui := service(t, p, "kafka-ui")
	if !strings.HasPrefix(ui.Image, "ghcr.io/kafbat/kafka-ui:") {
		t.Errorf("kafka-ui image %q", ui.Image)
	}
	if got := published(ui); got[8080] != 8080 {
		t.Errorf("kafka-ui publishes %v, want 8080", got)
	}
	if env(ui, "KAFKA_CLUSTERS_0_NAME") != "BHF-Training" {
		t.Errorf("kafka-ui cluster name %q", env(ui, "KAFKA_CLUSTERS_0_NAME"))
	}
	if got := env(ui, "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"); got != strings.Join(internal, ",") {
		t.Errorf("kafka-ui bootstrap %q, want %q", got, strings.Join(internal, ","))
	}
	for _, b := range brokers {
		dependsOn(t, initS, ComposeService(b.NodeID), types.ServiceConditionHealthy)
		dependsOn(t, ui, ComposeService(b.NodeID), types.ServiceConditionHealthy)
	}
	// `up --wait` accepts a one-shot's exit only if a running service
	// waits for its completion.
	dependsOn(t, ui, "kafka-init", types.ServiceConditionCompletedSuccessfully)
	checkGatedDependencies(t, p)
}

// checkModule checks Toxiproxy, its init job and the APIs against the layout.
func checkModule(t *testing.T, p *types.Project, mode string) {
	t.Helper()
	brokers, _ := ComposeLayout(mode)
	tp := service(t, p, "toxiproxy")
	if !strings.HasPrefix(tp.Image, "ghcr.io/shopify/toxiproxy:") { // its tag: TestPinnedVersions
		t.Errorf("toxiproxy image %q", tp.Image)
	}
	// Its REST API listens on every interface of the container and serves
	// /metrics, as the embedded Toxiproxy does.
	if want := []string{"-host=0.0.0.0", "-proxy-metrics", "-runtime-metrics"}; !slices.Equal(tp.Command, want) {
		t.Errorf("toxiproxy command %q, want %q", tp.Command, want)
	}
	ports := published(tp)
	if ports[8474] != 8474 {
		t.Errorf("toxiproxy publishes %v, want 8474", ports)
	}
	for _, b := range brokers {
		if ports[b.Proxy.ListenPort] != b.Proxy.ListenPort {
			t.Errorf("toxiproxy does not publish proxy port %d (%v)", b.Proxy.ListenPort, ports)
		}
		// What the broker advertises on PROXIED is the proxy.
		if b.Proxied.AdvertisedAddr() != hostPort("toxiproxy", b.Proxy.ListenPort) {
			t.Errorf("broker %d advertises %s on PROXIED", b.NodeID, b.Proxied.AdvertisedAddr())
		}
	}
	if tp.HealthCheck == nil || len(tp.HealthCheck.Test) == 0 {
		t.Error("toxiproxy has no healthcheck")
	}

	ti := service(t, p, "toxiproxy-init")
	dependsOn(t, ti, "toxiproxy", types.ServiceConditionHealthy)
	if got := env(ti, "KAFKA_BROKERS"); got != strconv.Itoa(len(brokers)) {
		t.Errorf("toxiproxy-init KAFKA_BROKERS = %q, want %d", got, len(brokers))
	}
	script := strings.Join(ti.Command, "\n")
	all, _ := ComposeLayout(ModeCluster)
	for _, b := range all {
		line := fmt.Sprintf("create %s 0.0.0.0:%d %s", b.Proxy.Name, b.Proxy.ListenPort, b.Proxy.Upstream)
		if !strings.Contains(script, line) {
			t.Errorf("toxiproxy-init script lacks %q:\n%s", line, script)
		}
		if b.NodeID > 1 && !strings.Contains(script, fmt.Sprintf(`if [ "$KAFKA_BROKERS" -ge %d ]; then %s;`, b.NodeID, line)) {
			t.Errorf("toxiproxy-init does not guard %q by KAFKA_BROKERS >= %d", line, b.NodeID)
		}
	}

	seed := brokers[0].Proxied.AdvertisedAddr()
	root, _ := filepath.Abs(filepath.Join(infraDir, ".."))
	for name, port := range map[string]int{"api-franz": 18080, "api-librdkafka": 18081} {
		s := service(t, p, name)
		engine := strings.TrimPrefix(name, "api-")
		cmd := strings.Join(s.Command, " ")
		want := fmt.Sprintf("api --engine %s --listen 0.0.0.0:%d --bootstrap %s", engine, port, seed)
		if cmd != want {
			t.Errorf("%s command %q, want %q", name, cmd, want)
		}
		if got := published(s); got[port] != port {
			t.Errorf("%s publishes %v, want %d", name, got, port)
		}
		if s.Build == nil || filepath.Clean(s.Build.Context) != root || s.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s build %+v, want the repo root Dockerfile", name, s.Build)
		} else if _, err := os.Stat(filepath.Join(root, "Dockerfile")); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		dependsOn(t, s, "toxiproxy-init", types.ServiceConditionCompletedSuccessfully)
		dependsOn(t, s, "kafka-init", types.ServiceConditionCompletedSuccessfully)
	}
}

// checkGatedDependencies requires every depends_on to wait for health or
// completion, and every service waited on for health to have a healthcheck.
func checkGatedDependencies(t *testing.T, p *types.Project) {
	t.Helper()
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if hc := p.Services[dep].HealthCheck; hc == nil || hc.Disable || len(hc.Test) == 0 {
					t.Errorf("%s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
				if r := p.Services[dep].Restart; r != "" && r != "no" {
					t.Errorf("%s waits for one-shot %s, which has restart %q", name, dep, r)
				}
			default:
				t.Errorf("%s depends on %s with condition %q, want service_healthy or service_completed_successfully", name, dep, d.Condition)
			}
		}
	}
}

// TestBindPortsOutsideEphemeralRange: no jar-layout listener binds inside
// the kernel's ephemeral port range, where an outgoing connection could
// hold it, so nothing needs a machine-wide sysctl.
func TestBindPortsOutsideEphemeralRange(t *testing.T) {
	lo, hi := 32768, 60999 // Linux's default
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			lo, _ = strconv.Atoi(f[0])
			hi, _ = strconv.Atoi(f[1])
		}
	}
	for _, mode := range []string{ModeSingleNode, ModeCluster} {
		bs, err := Layout(mode)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			for _, l := range b.Listeners() {
				_, p, _ := net.SplitHostPort(l.BindAddr())
				if n, _ := strconv.Atoi(p); n >= lo && n <= hi {
					t.Errorf("%s: broker %d listener %s binds %s, inside the ephemeral range %d-%d", mode, b.NodeID, l.Name, l.BindAddr(), lo, hi)
				}
			}
		}
	}
}

// The compose layout: the layout's ports and listener names, with every
// listener bound to 0.0.0.0, PROXIED advertising toxiproxy:2909x (inside
// the compose network), the proxies' upstreams at the brokers' service
// names, and an INTERNAL listener (service:4909x) for inter-broker traffic
// and Kafka UI, as DIRECT's localhost is each container itself.
const (
	internalBasePort = 49092
	composeBind      = "0.0.0.0"
	composeProxyHost = "toxiproxy"
)

// ComposeLayout returns the brokers of a mode as the compose files run them.
func ComposeLayout(mode string) ([]Broker, error) {
	bs, err := Layout(mode)
	if err != nil {
		return nil, err
	}
	for k := range bs {
		b := &bs[k]
		svc := ComposeService(b.NodeID)
		b.Host = svc
		b.Direct.BindHost = composeBind
		b.Proxied.BindHost = composeBind
		b.Proxied.AdvertisedHost = composeProxyHost
		b.Controller.BindHost = composeBind
		b.Internal = Listener{listenerInternal, composeBind, InternalPort(b.NodeID), svc, InternalPort(b.NodeID)}
		b.InterBrokerListener = listenerInternal
		b.Proxy.Upstream = hostPort(svc, prodlab.DefaultPorts.ProxiedPort(b.NodeID))
	}
	return bs, nil
}

// InternalPort returns the INTERNAL port of broker i in compose (49092+i-1).
func InternalPort(i int) int { return internalBasePort + i - 1 }

// ComposeService returns the compose service of broker i: its proxy's name.
func ComposeService(i int) string { return ProxyName(i) }
