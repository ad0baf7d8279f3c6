package broker

import (
	"bytes"
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// CompactOnKey makes a record with this key roll its partition's active
// segment at once, whatever segment.ms says, so that the cleaner runs
// right after it (see roller), default none. prodlab compaction-check
// writes such a record. The record must be uncompressed to be seen.
func CompactOnKey(key string) Opt { return func(c *cfg) { c.compactKey = key } }

// carriesKey reports whether an uncompressed batch of pr holds a record
// with key.
func carriesKey(pr *kmsg.ProduceRequest, key []byte) bool {
	for _, t := range pr.Topics {
		for _, p := range t.Partitions {
			if batchesCarry(p.Records, key) {
				return true
			}
		}
	}
	return false
}

func batchesCarry(b []byte, key []byte) bool {
	for len(b) >= 12 {
		// baseOffset int64, batchLength int32, then the rest of the batch.
		n := int(binary.BigEndian.Uint32(b[8:12])) + 12
		if n < 12 || n > len(b) {
			return false
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b[:n]); err == nil && rb.Attributes&0x07 == 0 && recordsCarry(rb.Records, int(rb.NumRecords), key) {
			return true
		}
		b = b[n:]
	}
	return false
}

func recordsCarry(b []byte, count int, key []byte) bool {
	for i := 0; i < count && len(b) > 0; i++ {
		l, w := binary.Varint(b)
		if w <= 0 || l < 0 || int(l) > len(b)-w {
			return false
		}
		var r kmsg.Record
		if err := r.ReadFrom(b[:w+int(l)]); err == nil && r.Key != nil && bytes.Equal(r.Key, key) {
			return true
		}
		b = b[w+int(l):]
	}
	return false
}
