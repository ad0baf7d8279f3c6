package broker

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kfake"
)

// ErrMetadata means a data dir holds data but its metadata files are
// missing or unreadable: starting would silently drop topics.
var ErrMetadata = errors.New("data dir metadata is missing or corrupt")

// Logger receives kfake's logs (info and debug at Debug) and the data
// dir's recovery report, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// SyncWrites makes the brokers fsync every batch before acknowledging it
// (kfake.SyncWrites), to survive an OS crash; default off. Only with DataDir.
func SyncWrites(on bool) Opt { return func(c *cfg) { c.syncWrites = on } }

// slogLogger adapts slog to kfake.Logger.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	lv := slog.LevelDebug
	switch level {
	case kfake.LogLevelError:
		lv = slog.LevelError
	case kfake.LogLevelWarn:
		lv = slog.LevelWarn
	}
	s.l.Log(context.Background(), lv, "kfake: "+fmt.Sprintf(msg, args...))
}

// maxPartitions bounds a topic's partition count read from topics.json.
const maxPartitions = 1 << 16

// The names kfake gives its files in a data dir.
const (
	metaFile     = "meta.json"
	topicsFile   = "topics.json"
	snapshotFile = "snapshot.json"
	partsDir     = "partitions"
)

// checkDataDir reads dir before kfake loads it: unless it has none of
// kfake's files, meta.json and topics.json must parse, else ErrMetadata. It
// warns of each segment tail kfake will truncate and each orphan partition.
func checkDataDir(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	has := map[string]bool{}
	for _, e := range entries {
		has[e.Name()] = true
	}
	if !has[metaFile] && !has[topicsFile] && !has[partsDir] && !has["pids.log"] && !has["groups.log"] {
		return nil // brand new
	}
	if !has[metaFile] {
		return fmt.Errorf("%w: %s has Kafka data but no %s; refusing to start fresh over it (move the dir away to start empty)", ErrMetadata, dir, metaFile)
	}
	if err := readJSON(filepath.Join(dir, metaFile), &struct{ Version int }{}); err != nil {
		return err
	}
	if !has[topicsFile] {
		return fmt.Errorf("%w: %s has no %s, so its topics would be lost; refusing to start (move the dir away to start empty)", ErrMetadata, dir, topicsFile)
	}
	var topics struct {
		Topics []struct {
			Name       string `json:"name"`
			Partitions int    `json:"partitions"`
		} `json:"topics"`
	}
	if err := readJSON(filepath.Join(dir, topicsFile), &topics); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, t := range topics.Topics {
		if t.Partitions < 0 || t.Partitions > maxPartitions {
			return fmt.Errorf("%w: %s says topic %q has %d partitions; refusing to start", ErrMetadata, filepath.Join(dir, topicsFile), t.Name, t.Partitions)
		}
		for p := range t.Partitions {
			name := url.PathEscape(t.Name) + "-" + strconv.Itoa(p)
			known[name] = true
			scanPartition(filepath.Join(dir, partsDir, name), t.Name, int32(p), log)
		}
	}
	pdirs, _ := os.ReadDir(filepath.Join(dir, partsDir))
	for _, d := range pdirs {
		if d.IsDir() && !known[d.Name()] {
			log.Warn("data dir: a partition directory belongs to no topic in topics.json; its records will not be served",
				"dir", filepath.Join(dir, partsDir, d.Name()))
		}
	}
	return nil
}

func readJSON(path string, v any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMetadata, err)
	}
	if !utf8.Valid(raw) || json.Unmarshal(raw, v) != nil {
		return fmt.Errorf("%w: %s is not valid JSON; refusing to start (restore it, or move the dir away to start empty)", ErrMetadata, path)
	}
	return nil
}

type segment struct {
	kept    int64 // records in the batches kfake keeps
	keptEnd int64 // offset after the last kept batch
	bad     int64 // bytes kfake will truncate
	seenEnd int64 // offset after the last batch seen past the damage, or 0
	partial bool  // the look past the damage stopped at maxRescan
}

// scanPartition logs each segment kfake will truncate and the records lost.
func scanPartition(pdir, topic string, part int32, log *slog.Logger) {
	entries, err := os.ReadDir(pdir)
	if err != nil {
		return
	}
	var bases []int64
	for _, e := range entries {
		if b, ok := strings.CutSuffix(e.Name(), ".dat"); ok {
			if n, err := strconv.ParseInt(b, 10, 64); err == nil {
				bases = append(bases, n)
			}
		}
	}
	slices.Sort(bases)
	var hwm int64 = -1
	var snap struct {
		HighWatermark int64 `json:"high_watermark"`
	}
	if raw, err := os.ReadFile(filepath.Join(pdir, snapshotFile)); err == nil && json.Unmarshal(raw, &snap) == nil {
		hwm = snap.HighWatermark
	}
	for i, base := range bases {
		path := filepath.Join(pdir, strconv.FormatInt(base, 10)+".dat")
		raw, err := os.ReadFile(path)
		if err != nil {
			log.Warn("data dir: cannot read segment", "segment", path, "err", err)
			continue
		}
		s := scanSegment(base, raw)
		if s.bad == 0 {
			continue
		}
		// How far the log went: batches past the damage, the next
		// segment's base, the last clean shutdown's high watermark.
		end := s.seenEnd
		if i+1 < len(bases) {
			end = max(end, bases[i+1])
		} else {
			end = max(end, hwm)
		}
		attrs := []any{"topic", topic, "partition", part, "segment", path, "bytes", s.bad, "kept", s.kept}
		if dropped := end - s.keptEnd; dropped > 0 {
			atLeast := ""
			if s.partial {
				atLeast = "at least "
			}
			log.Warn(fmt.Sprintf("data dir: recovery drops %s%d records of %d from a corrupt or torn segment", atLeast, dropped, s.kept+dropped),
				append(attrs, "dropped", dropped, "offsets", fmt.Sprintf("%d..%d", s.keptEnd, end-1))...)
		} else {
			log.Warn("data dir: recovery drops the corrupt or torn tail of a segment; how many records it held is unknown",
				attrs...)
		}
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// batchAt decodes the RecordBatch header at raw[pos:], checking length and
// CRC as kfake does: ok is false where kfake stops; size is set if the CRC was checked.
func batchAt(raw []byte, pos int) (first int64, records int32, lastDelta int32, size int, ok bool) {
	if pos+61 > len(raw) {
		return 0, 0, 0, 0, false
	}
	length := int(int32(binary.BigEndian.Uint32(raw[pos+8:])))
	if length < 49 || length > 1<<30 || pos+12+length > len(raw) || raw[pos+16] != 2 {
		return 0, 0, 0, 0, false
	}
	size = 12 + length
	if binary.BigEndian.Uint32(raw[pos+17:]) != crc32.Checksum(raw[pos+21:pos+size], castagnoli) {
		return 0, 0, 0, size, false // size: the bytes checked
	}
	first = int64(binary.BigEndian.Uint64(raw[pos:]))
	lastDelta = int32(binary.BigEndian.Uint32(raw[pos+23:]))
	records = int32(binary.BigEndian.Uint32(raw[pos+57:]))
	return first, records, lastDelta, size, true
}

// scanSegment walks a segment's batches as kfake does, then past the first
// bad byte for whole batches, to count what a truncation there drops.
func scanSegment(base int64, raw []byte) segment {
	s := segment{keptEnd: base}
	pos := 0
	for {
		first, n, delta, size, ok := batchAt(raw, pos)
		if !ok {
			break
		}
		s.kept += int64(n)
		s.keptEnd = first + int64(delta) + 1
		pos += size
	}
	if pos >= len(raw) {
		return s
	}
	s.bad = int64(len(raw) - pos)
	// A torn batch whose header survived tells its own last offset.
	if pos+27 <= len(raw) && raw[pos+16] == 2 {
		first := int64(binary.BigEndian.Uint64(raw[pos:]))
		delta := int64(int32(binary.BigEndian.Uint32(raw[pos+23:])))
		if first == s.keptEnd && delta >= 0 && delta < 1<<20 {
			s.seenEnd = first + delta + 1
		}
	}
	// Whole batches past the damage: past a batch whose CRC failed, then
	// byte by byte, for at most maxRescan bytes of CRC.
	_, _, _, size, _ := batchAt(raw, pos)
	p, budget := pos+max(size, 1), maxRescan
	for ; p+61 <= len(raw); p++ {
		if raw[p+16] != 2 {
			continue
		}
		if budget <= 0 {
			s.partial = true
			break
		}
		first, _, delta, size, ok := batchAt(raw, p)
		budget -= size // 0 unless the CRC was checked
		if !ok || first < s.keptEnd {
			continue
		}
		s.seenEnd = max(s.seenEnd, first+int64(delta)+1)
		p += size - 1
	}
	return s
}

// maxRescan bounds the bytes checked for whole batches past a segment's
// damage, so a large damaged segment does not stall the start.
const maxRescan = 256 << 20
