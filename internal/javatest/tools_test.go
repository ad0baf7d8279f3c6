package javatest_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/javatest"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/labtest"
)

// TestKafkaTools runs Apache Kafka's own command-line tools, at the version
// real-Kafka mode runs, against an embedded lab through Toxiproxy:
// kafka-topics creates and describes a topic, kafka-console-producer writes
// three records in the seed's JSON, kafka-console-consumer reads them back,
// and the direct path finds each eventId once.
func TestKafkaTools(t *testing.T) {
	java, _ := javatest.Tools(t)
	l := labtest.Start(t)
	cp := javatest.Build(t, filepath.Join(javatest.Root(t), "tests", "java", "tools"), "", "kafka.version="+kafkalocal.Version)
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
}
