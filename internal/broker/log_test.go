package broker_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/logtest"
)

// warnings returns the WARN messages matching re.
func warnings(h *logtest.Handler, re *regexp.Regexp) []slog.Record {
	var out []slog.Record
	for _, r := range h.Records(slog.LevelWarn) {
		if r.Level == slog.LevelWarn && re.MatchString(r.Message) {
			out = append(out, r)
		}
	}
	return out
}

func logAttr(r slog.Record, key string) string {
	var v string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

const (
	segBatches  = 50
	segPerBatch = 20
	segTopic    = "t"
)

// fillSegments starts a cluster on dir, writes segBatches×segPerBatch records to one
// partition, one batch per ProduceSync, and closes it cleanly.
func fillSegments(t *testing.T, dir string) {
	t.Helper()
	c, err := broker.Start(broker.DataDir(dir), broker.Topics(1, segTopic), broker.Logger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.DirectAddrs()...), kgo.DefaultProduceTopic(segTopic))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for b := range segBatches {
		recs := make([]*kgo.Record, segPerBatch)
		for i := range recs {
			recs[i] = &kgo.Record{Value: []byte("record-" + strconv.Itoa(b*segPerBatch+i))}
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	c.Close()
}

// reopenLogged starts a cluster on dir with a logtest.Handler logger and returns the
// partition's end offset as the restarted broker serves it.
func reopenLogged(t *testing.T, dir string) (*logtest.Handler, int64) {
	t.Helper()
	h := &logtest.Handler{}
	c, err := broker.Start(broker.DataDir(dir), broker.Topics(1, segTopic), broker.Logger(slog.New(h)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.DirectAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	return h, endOffset(t, cl, segTopic)
}

// endOffset returns the end offset of partition 0 of topic.
func endOffset(t *testing.T, cl *kgo.Client, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := ends.Lookup(topic, 0)
	return o.Offset
}

// filledSegment fills a data dir and returns it, the path of its first
// segment and that segment's bytes.
func filledSegment(t *testing.T) (dir, seg string, raw []byte) {
	t.Helper()
	dir = t.TempDir()
	fillSegments(t, dir)
	seg = filepath.Join(dir, "partitions", segTopic+"-0", "0.dat")
	raw, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	return dir, seg, raw
}

var dropsRe = regexp.MustCompile(`^data dir: recovery drops (\d+) records of (\d+)`)

// checkDropWarning checks one WARN names the segment and a count of
// dropped records that matches what the restarted broker lost.
func checkDropWarning(t *testing.T, h *logtest.Handler, seg string, end int64) {
	t.Helper()
	const total = segBatches * segPerBatch
	if end >= total {
		t.Fatalf("end offset %d after the damage: nothing was dropped, the test damaged nothing", end)
	}
	ws := warnings(h, dropsRe)
	if len(ws) != 1 {
		t.Fatalf("%d recovery warnings, want 1", len(ws))
	}
	m := dropsRe.FindStringSubmatch(ws[0].Message)
	if m[1] != strconv.FormatInt(total-end, 10) || m[2] != strconv.Itoa(total) {
		t.Fatalf("warning %q: want %d of %d dropped (the broker serves up to offset %d)", ws[0].Message, total-end, total, end)
	}
	if logAttr(ws[0], "segment") != seg || logAttr(ws[0], "topic") != segTopic || logAttr(ws[0], "partition") != "0" {
		t.Fatalf("warning attrs: segment %q topic %q partition %q", logAttr(ws[0], "segment"), logAttr(ws[0], "topic"), logAttr(ws[0], "partition"))
	}
}

// TestCorruptSegmentWarns flips a byte in the middle of a segment: kfake
// truncates there, dropping every later batch, and the lab says how many.
func TestCorruptSegmentWarns(t *testing.T) {
	dir, seg, raw := filledSegment(t)
	// A byte of a record in the middle batch: under its CRC (a batch's
	// first 21 bytes, its base offset among them, are not).
	pos := 0
	for range segBatches / 2 {
		pos += 12 + int(binary.BigEndian.Uint32(raw[pos+8:]))
	}
	raw[pos+100] ^= 0xff
	if err := os.WriteFile(seg, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	h, end := reopenLogged(t, dir)
	checkDropWarning(t, h, seg, end)
	if len(warnings(h, regexp.MustCompile(`^kfake: .*truncating \d+ corrupt bytes`))) != 1 {
		t.Fatal("kfake's own truncation warning did not reach the logger")
	}
}

// TestTornTailWarns cuts the last batch in half, as a crash mid-write
// does.
func TestTornTailWarns(t *testing.T) {
	dir, seg, raw := filledSegment(t)
	if err := os.WriteFile(seg, raw[:len(raw)-40], 0o644); err != nil {
		t.Fatal(err)
	}
	h, end := reopenLogged(t, dir)
	checkDropWarning(t, h, seg, end)
	if end != (segBatches-1)*segPerBatch {
		t.Fatalf("end offset %d, want %d: one batch torn", end, (segBatches-1)*segPerBatch)
	}
}

// TestCleanRestartIsQuiet checks an undamaged dir gives no warning.
func TestCleanRestartIsQuiet(t *testing.T) {
	dir := t.TempDir()
	fillSegments(t, dir)
	h, end := reopenLogged(t, dir)
	if end != segBatches*segPerBatch {
		t.Fatalf("end offset %d, want %d", end, segBatches*segPerBatch)
	}
	if ws := warnings(h, regexp.MustCompile(`.`)); len(ws) != 0 {
		t.Fatalf("warnings on a clean restart: %v", ws[0].Message)
	}
}

// TestMetadataFiles checks a missing or corrupt metadata file stops the
// start, while a missing or empty dir is a fresh start.
func TestMetadataFiles(t *testing.T) {
	start := func(dir string) error {
		c, err := broker.Start(broker.DataDir(dir), broker.Topics(1, segTopic), broker.Logger(slog.New(slog.DiscardHandler)))
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "new"), t.TempDir()} {
		if err := start(dir); err != nil {
			t.Fatalf("fresh dir %s: %v", dir, err)
		}
	}
	for name, damage := range map[string]func(dir string) error{
		"topics.json missing": func(dir string) error { return os.Remove(filepath.Join(dir, "topics.json")) },
		"topics.json corrupt": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "topics.json"), []byte(`{"version":1,"topics":[{"na`), 0o644)
		},
		"meta.json missing": func(dir string) error { return os.Remove(filepath.Join(dir, "meta.json")) },
		"meta.json corrupt": func(dir string) error { return os.WriteFile(filepath.Join(dir, "meta.json"), []byte{0xff, '{'}, 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			fillSegments(t, dir)
			if err := damage(dir); err != nil {
				t.Fatal(err)
			}
			err := start(dir)
			if !errors.Is(err, broker.ErrMetadata) || !bytes.Contains([]byte(err.Error()), []byte(dir)) {
				t.Fatalf("start: %v, want ErrMetadata naming %s", err, dir)
			}
		})
	}
}

// TestOrphanPartitionWarns checks a partition directory that no topic in
// topics.json names is reported: its records would silently not be served.
func TestOrphanPartitionWarns(t *testing.T) {
	dir := t.TempDir()
	fillSegments(t, dir)
	ghost := filepath.Join(dir, "partitions", "ghost-0")
	if err := os.MkdirAll(ghost, 0o755); err != nil {
		t.Fatal(err)
	}
	h, _ := reopenLogged(t, dir)
	ws := warnings(h, regexp.MustCompile(`belongs to no topic`))
	if len(ws) != 1 || logAttr(ws[0], "dir") != ghost {
		t.Fatalf("%d orphan warnings, want 1 naming %s", len(ws), ghost)
	}
}
