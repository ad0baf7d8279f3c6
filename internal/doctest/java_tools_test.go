package doctest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestKafkaTools runs Apache Kafka's own command-line tools, at the version
// real-Kafka mode runs, against an embedded lab through Toxiproxy:
// kafka-topics creates and describes a topic (and, as Lab 02.6 does, a
// compacted one with --config), kafka-console-producer writes
// three records in the seed's JSON, kafka-console-consumer reads them back,
// the direct path finds each eventId once, and kafka-consumer-groups
// describes and lists a KIP-848 group (group.protocol=consumer) while it
// reads.
func TestKafkaTools(t *testing.T) {
	java, _ := javaTools(t)
	l := labtest.Start(t)
	cp := mvnBuild(t, filepath.Join(repoRoot(), "tests", "java", "tools"), "", "kafka.version="+kafkalocal.Version)
	bootstrap := strings.Join(l.ProxyAddrs(), ",")
	tool := func(stdin string, main string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, java, append([]string{"-cp", cp, main, "--bootstrap-server", bootstrap}, args...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", main, strings.Join(args, " "), err, out.String(), errb.String())
		}
		t.Logf("%s %s: %v", main[strings.LastIndex(main, ".")+1:], args[0], time.Since(start).Round(time.Millisecond))
		return out.String()
	}

	topic := fmt.Sprintf("tools-%d", time.Now().UnixNano())
	tool("", "org.apache.kafka.tools.TopicCommand", "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1")
	if desc := tool("", "org.apache.kafka.tools.TopicCommand", "--describe", "--topic", topic); !strings.Contains(desc, "PartitionCount: 3") {
		t.Fatalf("kafka-topics --describe:\n%s", desc)
	}
	if list := tool("", "org.apache.kafka.tools.TopicCommand", "--list"); !strings.Contains(list, topic+"\n") {
		t.Fatalf("kafka-topics --list does not name %s:\n%s", topic, list)
	}
	// The seed's Lab 02.6 command: the answer names each config's source.
	if out := tool("", "org.apache.kafka.tools.TopicCommand", "--create", "--if-not-exists", "--topic", topic+"-compact",
		"--partitions", "1", "--replication-factor", "1", "--config", "cleanup.policy=compact",
		"--config", "segment.ms=1000", "--config", "min.cleanable.dirty.ratio=0.01"); !strings.Contains(out, "Created topic") {
		t.Fatalf("kafka-topics --create --config cleanup.policy=compact:\n%s", out)
	}

	var lines []string
	for i := range 3 {
		lines = append(lines, fmt.Sprintf(`{"eventId":"cli-%d","mode":"plain","sendMode":"sync"}`, i))
	}
	tool(strings.Join(lines, "\n")+"\n", "org.apache.kafka.tools.ConsoleProducer", "--topic", topic,
		"--producer-property", "enable.idempotence=true", "--producer-property", "acks=all")
	got := tool("", "org.apache.kafka.tools.consumer.ConsoleConsumer", "--topic", topic, "--from-beginning",
		"--max-messages", "3", "--timeout-ms", "30000")
	for i, want := range lines {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("kafka-console-consumer did not print %s:\n%s", want, got)
		}
		if recs := labtest.Count(t, l, topic, fmt.Sprintf("cli-%d", i)); len(recs) != 1 {
			t.Errorf("cli-%d: %d copies on the direct path, want 1", i, len(recs))
		}
	}

	// kafka-consumer-groups describes a KIP-848 group while its member reads.
	group := topic + "-group"
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	member := exec.CommandContext(ctx, java, "-cp", cp, "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bootstrap,
		"--topic", topic, "--group", group, "--from-beginning", "--consumer-property", "group.protocol=consumer")
	stdout, err := member.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := member.Start(); err != nil {
		t.Fatal(err)
	}
	var read atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := bufio.NewScanner(stdout); s.Scan(); {
			read.Add(1)
		}
	}()
	defer func() { cancel(); <-done; member.Wait() }()
	if err := wait.Until(ctx, func() bool { return read.Load() >= int32(len(lines)) }); err != nil {
		t.Fatalf("kafka-console-consumer --group %s read %d records: %v", group, read.Load(), err)
	}
	desc := tool("", "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--describe", "--group", group)
	if !strings.Contains(desc, topic) || strings.Contains(desc, "no active members") {
		t.Errorf("kafka-consumer-groups --describe --group %s, its member reading:\n%s", group, desc)
	}
	if list := tool("", "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--list"); !strings.Contains(list, group+"\n") {
		t.Errorf("kafka-consumer-groups --list does not name %s:\n%s", group, list)
	}
}

// TestKafkaToolsRelay runs Kafka's own CLI against the lab's bootstrap
// (proxy kafka) in relay mode, over three kfake brokers that advertise
// their own addresses, or with PRODLAB_KAFKA=local the real brokers'
// DIRECT listeners: kafka-broker-api-versions lists only the lab's
// proxies, and kafka-console-producer --sync, once connected, takes at
// least 1.5 s to deliver a record under a 1.5 s latency toxic on the
// broker proxies alone (not on the bootstrap).
func TestKafkaToolsRelay(t *testing.T) {
	java, _ := javaTools(t)
	l, brokers := labtest.RelayedHere(t)
	cp := mvnBuild(t, filepath.Join(repoRoot(), "tests", "java", "tools"), "", "kafka.version="+kafkalocal.Version)
	bootstrap := strings.Join(l.ProxyAddrs(), ",")

	out := javaRun(t, cp, 2*time.Minute, "org.apache.kafka.tools.BrokerApiVersionsCommand", "--bootstrap-server", bootstrap)
	var addrs []string
	for _, m := range regexp.MustCompile(`(?m)^(\S+:\d+) \(id: -?\d+`).FindAllStringSubmatch(out, -1) {
		addrs = append(addrs, m[1])
	}
	labtest.OnlyProxies(t, l, "kafka-broker-api-versions", addrs, brokers)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	topic := labtest.Topic(t, l, 3, nil)
	cmd := exec.CommandContext(ctx, java, "-cp", cp, "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap,
		"--topic", topic, "--sync", "--command-property", "enable.idempotence=true", "--command-property", "acks=all",
		"--command-property", "linger.ms=0",
		// The tool's own default request timeout is 1,500 ms, which the
		// 1.5 s toxic below would exceed: the producer's 30 s, as in Java.
		"--request-timeout-ms", "30000")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	line := func(id string) { fmt.Fprintf(stdin, `{"eventId":%q,"mode":"idempotent","sendMode":"sync"}`+"\n", id) }
	start := time.Now()
	line("cli-relay-warm")
	if err := wait.Until(ctx, func() bool { return len(labtest.Count(t, l, topic, "cli-relay-warm")) == 1 }); err != nil {
		t.Fatalf("kafka-console-producer's first record never reached the log: %v\n%s", err, logs.String())
	}
	t.Logf("kafka-console-producer: JVM start and first record in %v", time.Since(start).Round(time.Millisecond))
	labtest.SlowBrokers(t, l, 1500*time.Millisecond)
	line("cli-relay-slow")
	stdin.Close() // the producer closes, waiting for the record's answer, then exits
	start = time.Now()
	if err := <-exited; err != nil {
		t.Fatalf("kafka-console-producer: %v\n%s", err, logs.String())
	}
	took := time.Since(start)
	t.Logf("kafka-console-producer --sync, 1.5 s latency on the broker proxies: delivered and exited in %v", took.Round(time.Millisecond))
	if took < 1500*time.Millisecond {
		t.Errorf("kafka-console-producer delivered under a 1.5 s toxic on every broker proxy in %v: it did not cross them", took)
	}
	if recs := labtest.Count(t, l, topic, "cli-relay-slow"); len(recs) != 1 {
		t.Errorf("cli-relay-slow: %d copies in the log, want 1\n%s", len(recs), logs.String())
	}
}
