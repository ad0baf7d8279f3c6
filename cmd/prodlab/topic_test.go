package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

// connArgs points a command at l's direct listener and its Toxiproxy.
func connArgs(l *lab.Lab) []string {
	return []string{"--bootstrap", strings.Join(l.DirectAddrs(), ","), "--toxiproxy", l.ToxiproxyURL()}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// topicCmd runs 'prodlab topic args...' and returns its output.
func topicCmd(t *testing.T, l *lab.Lab, args ...string) (string, error) {
	t.Helper()
	c, err := topicFlags(append(args, connArgs(l)...), io.Discard)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	err = topicRun(testCtx(t), c, &out)
	return out.String(), err
}

// oneLine fails t unless err is a single line that contains want.
func oneLine(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Fatalf("error %q: want one line containing %q", msg, want)
	}
	if exitCode(err) == 0 {
		t.Fatal("exit code 0 for an error")
	}
}

func TestTopicCommand(t *testing.T) {
	l := labtest.Start(t)
	name := "cli-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "-")
	out, err := topicCmd(t, l, "create", name, "--partitions", "3", "--config", "cleanup.policy=compact", "--config", "segment.ms=1000")
	if err != nil || !strings.Contains(out, "Created topic "+name+" (partitions 3") {
		t.Fatalf("create: %q, %v", out, err)
	}
	_, err = topicCmd(t, l, "create", name, "--partitions", "3")
	if !errors.Is(err, admin.ErrTopicExists) {
		t.Fatalf("create again: %v, want ErrTopicExists", err)
	}
	oneLine(t, err, "already exists")
	out, err = topicCmd(t, l, "create", name, "--if-not-exists")
	if err != nil || !strings.Contains(out, "already exists") {
		t.Fatalf("create --if-not-exists: %q, %v", out, err)
	}
	out, err = topicCmd(t, l, "list")
	if err != nil || !strings.Contains(out, name) {
		t.Fatalf("list: %q, %v", out, err)
	}
	labtest.Send(t, l.APIs()[0], "topic", name, "eventId", "d1", "key", "k", "partition", "2")
	out, err = topicCmd(t, l, "describe", name)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PartitionCount: 3", "cleanup.policy=compact", "segment.ms=1000", "PARTITION", "\n2 "} {
		if !strings.Contains(out, want) {
			t.Errorf("describe output lacks %q:\n%s", want, out)
		}
	}
	out, err = topicCmd(t, l, "describe", name, "--json")
	var d admin.TopicDescription
	if err != nil || json.Unmarshal([]byte(out), &d) != nil || len(d.Partitions) != 3 || d.Partitions[2].EndOffset != 1 {
		t.Fatalf("describe --json: %q, %v", out, err)
	}
	if out, err = topicCmd(t, l, "delete", name); err != nil || !strings.Contains(out, "Deleted topic "+name) {
		t.Fatalf("delete: %q, %v", out, err)
	}
	_, err = topicCmd(t, l, "describe", name)
	if !errors.Is(err, prodlab.ErrUnknownTopic) {
		t.Fatalf("describe deleted: %v", err)
	}
	oneLine(t, err, "unknown topic")
	_, err = topicCmd(t, l, "delete", name)
	oneLine(t, err, "unknown topic")
	if out, err = topicCmd(t, l, "delete", name, "--if-exists"); err != nil {
		t.Fatalf("delete --if-exists: %q, %v", out, err)
	}
	// More replicas than brokers: the broker's refusal, in the trainee's
	// language around Kafka's error code.
	inLang(t, i18n.FR)
	_, err = topicCmd(t, l, "create", name, "--replication-factor", "5")
	if !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("create with 5 replicas: %v, want ErrInvalid", err)
	}
	oneLine(t, err, `le broker refuse le topic "`+name+`" : INVALID_REPLICATION_FACTOR`)
}

func TestTopicFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "no action"},
		{[]string{"shred", "x"}, "unknown action"},
		{[]string{"create"}, "name is required"},
		{[]string{"create", "x", "--config", "segment.ms"}, "not key=value"},
		{[]string{"create", "x", "--config", "segment.ms=soon"}, "not a whole number"},
		{[]string{"create", "x", "--config", "segment.msec=1000"}, "unknown topic config"},
		{[]string{"create", "x", "--partitions", "0"}, "--partitions 0"},
		{[]string{"create", "x/y"}, "not a legal Kafka topic name"},
		{[]string{"list", "extra"}, "unexpected argument"},
		{[]string{"list", "--timeout", "0s"}, "--timeout"},
	} {
		_, err := topicFlags(tc.args, io.Discard)
		oneLine(t, err, tc.want)
	}
}

func TestUnreachableBroker(t *testing.T) {
	conn := []string{"--bootstrap", closedAddr(t), "--toxiproxy", ""}
	start := time.Now()
	c, err := topicFlags(append([]string{"list", "--timeout", "2s"}, conn...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	oneLine(t, topicRun(testCtx(t), c, io.Discard), "no broker reachable")
	cc, err := consumeFlags(append([]string{"--topic", "x", "--connect-timeout", "2s"}, conn...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	oneLine(t, consumeRun(testCtx(t), cc, io.Discard, io.Discard), "no broker reachable")
	kc, err := compactionFlags(append([]string{"--key", "k", "--expect", "V3", "--timeout", "2s"}, conn...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	oneLine(t, compactionRun(testCtx(t), kc, io.Discard), "no broker reachable")
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("three commands took %s with 2s timeouts", d)
	}
}

// TestConsumeCommand is Lab 02.5's check: after a send to each partition,
// consume --print partition,offset shows records on all three.
func TestConsumeCommand(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	for p := range 3 {
		labtest.Send(t, l.APIs()[0], "topic", topic, "eventId", "P"+string(rune('0'+p)), "partition", string(rune('0'+p)), "key", "k")
	}
	consume := func(args ...string) (string, string, error) {
		c, err := consumeFlags(append(append([]string{"--topic", topic}, args...), connArgs(l)...), io.Discard)
		if err != nil {
			return "", "", err
		}
		var out, errOut bytes.Buffer
		err = consumeRun(testCtx(t), c, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	out, summary, err := consume("--from-beginning", "--timeout", "5s", "--print", "partition,offset")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	slices.Sort(lines)
	if want := []string{"Partition:0\tOffset:0", "Partition:1\tOffset:0", "Partition:2\tOffset:0"}; !slices.Equal(lines, want) {
		t.Fatalf("consume --print partition,offset:\n%s\nwant %q", out, want)
	}
	if !strings.Contains(summary, "Processed a total of 3 messages") {
		t.Fatalf("summary %q", summary)
	}
	out, _, err = consume("--from-beginning", "--partition", "1", "--print", "key,value")
	if err != nil || !strings.HasPrefix(out, "k\t{") || !strings.Contains(out, `"eventId":"P1"`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("--partition 1: %q, %v", out, err)
	}
	out, _, err = consume("--from-beginning", "--grep", "P2", "--print", "headers")
	if err != nil || out != "eventId:P2,mode:plain\n" {
		t.Fatalf("--grep P2 --print headers: %q, %v", out, err)
	}
	out, _, err = consume("--from-beginning", "--key", "nobody", "--count")
	if err != nil || out != "Total\t0\n" {
		t.Fatalf("--key nobody --count: %q, %v", out, err)
	}
	out, _, err = consume("--from-beginning", "--count")
	if err != nil || out != "Partition:0\t1\nPartition:1\t1\nPartition:2\t1\nTotal\t3\n" {
		t.Fatalf("--count: %q, %v", out, err)
	}
	out, _, err = consume("--from-beginning", "--json", "--partition", "0")
	var r admin.Record
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.EventID != "P0" || r.Partition != 0 {
		t.Fatalf("--json: %q, %v", out, err)
	}
	// Without --from-beginning it waits for new records, then stops.
	start := time.Now()
	out, summary, err = consume("--timeout", "1s")
	if err != nil || out != "" || !strings.Contains(summary, "no new record for 1s") {
		t.Fatalf("idle read: %q %q, %v", out, summary, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("idle read took %s with --timeout 1s", d)
	}
	_, _, err = consume("--partition", "7")
	oneLine(t, err, "has no partition 7")
	_, _, err = consume("--print", "partition,size")
	oneLine(t, err, `unknown --print field "size"`)
	c, err := consumeFlags(append([]string{"--topic", "no-such-topic"}, connArgs(l)...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	oneLine(t, consumeRun(testCtx(t), c, io.Discard, io.Discard), `unknown topic "no-such-topic"`)
}

// TestCompactionCommand is Lab 02.6 through the CLI: create the topic with
// the seed's configs, send V1, V2, V3 and a control key, check.
func TestCompactionCommand(t *testing.T) {
	l := labtest.Start(t)
	topic := "compact-demo-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "-")
	if out, err := topicCmd(t, l, "create", topic, "--partitions", "1", "--replication-factor", "1",
		"--config", "cleanup.policy=compact", "--config", "segment.ms=1000", "--config", "min.cleanable.dirty.ratio=0.01"); err != nil {
		t.Fatalf("create: %q, %v", out, err)
	}
	a := l.APIs()[len(l.APIs())-1]
	for _, v := range []string{"V1", "V2", "V3"} {
		labtest.Send(t, a, "topic", topic, "eventId", v, "key", "customer-42")
	}
	labtest.Send(t, a, "topic", topic, "eventId", "C1", "key", "customer-7")
	check := func(args ...string) (string, error) {
		c, err := compactionFlags(append(append([]string{"--topic", topic, "--key", "customer-42"}, args...), connArgs(l)...), io.Discard)
		if err != nil {
			return "", err
		}
		var out bytes.Buffer
		err = compactionRun(testCtx(t), c, &out)
		return out.String(), err
	}
	out, err := check("--expect", "V3", "--wait", "60s")
	if err != nil {
		t.Fatalf("compaction-check: %v\n%s", err, out)
	}
	for _, want := range []string{"Before: key customer-42 has", "eventId=V3", "key customer-42 has 1 record(s)", "key=customer-7\teventId=C1", "OK: compaction kept only V3"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("compaction-check output:\n%s", out)
	_, err = check("--expect", "V2", "--wait", "10s")
	if !errors.Is(err, admin.ErrUnexpected) || exitCode(err) != 3 {
		t.Fatalf("--expect V2: %v (exit %d), want ErrUnexpected and exit 3", err, exitCode(err))
	}
	oneLine(t, err, "kept V3 at offset 2, not V2")
	// A key the topic never held: the check stops before any wait, and
	// prints no "not compacted within the wait".
	out, err = check("--key", "nobody", "--expect", "V3", "--wait", "10s")
	if !errors.Is(err, admin.ErrInvalid) || strings.Contains(out, "not compacted") {
		t.Fatalf("absent key: %v, output:\n%s", err, out)
	}
	oneLine(t, err, `holds no record with key "nobody"`)
	_, err = compactionFlags([]string{"--expect", "V3"}, io.Discard)
	oneLine(t, err, "--key is required")
}

// TestConsumeRelay: on a lab in relay mode over brokers that advertise
// their own addresses, consume and topic given only Toxiproxy's address
// find the running lab's bootstrap by themselves (the relay, upstream of
// proxy kafka) and read around the faults; --bootstrap still overrides.
func TestConsumeRelay(t *testing.T) {
	l, _ := labtest.Relayed(t, 3)
	id := "consume-relay-" + time.Now().Format("150405.000000000")
	labtest.Send(t, l.APIs()[0], "mode", "idempotent", "eventId", id)
	toxi := []string{"--toxiproxy", l.ToxiproxyURL()}
	// A fault on every proxy must not reach the lab's own reader.
	labtest.SlowBrokers(t, l, 5*time.Second)
	c, err := consumeFlags(append([]string{"--topic", prodlab.DefaultTopic, "--from-beginning", "--event-id", id, "--count", "--timeout", "2s"}, toxi...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	start := time.Now()
	if err := consumeRun(testCtx(t), c, &out, io.Discard); err != nil {
		t.Fatalf("consume with no --bootstrap on a relayed lab: %v", err)
	}
	if !strings.Contains(out.String(), "Total\t1\n") {
		t.Errorf("consume --event-id %s --count:\n%s\nwant Total 1", id, out.String())
	}
	t.Logf("consume through the discovered bootstrap in %v", time.Since(start).Round(time.Millisecond))
	tc, err := topicFlags(append([]string{"list"}, toxi...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := topicRun(testCtx(t), tc, &out); err != nil || !strings.Contains(out.String(), prodlab.DefaultTopic) {
		t.Errorf("topic list with no --bootstrap: %v\n%s", err, out.String())
	}
	c, err = consumeFlags(append([]string{"--topic", prodlab.DefaultTopic, "--connect-timeout", "2s", "--bootstrap", closedAddr(t)}, toxi...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	oneLine(t, consumeRun(testCtx(t), c, io.Discard, io.Discard), "no broker reachable")
}
