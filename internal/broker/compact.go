package broker

import (
	"bytes"
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CompactOnKey makes the cluster run its log cleaner (kfake's
// Cluster.Compact) right after a record with this key is written, default
// off. prodlab compaction-check writes such a record to roll the active
// segment: real Kafka's cleaner picks a segment up once it has rolled,
// and the embedded one then does the same, at the pace of whoever runs
// the check. The record must be uncompressed to be seen.
func CompactOnKey(key string) Opt { return func(c *cfg) { c.compactKey = key } }

// watchCompactKey observes every produce request, without handling it,
// and asks for a compaction once the request that carries key is written.
func watchCompactKey(kc *kfake.Cluster, key []byte) {
	kc.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if pr, ok := req.(*kmsg.ProduceRequest); ok && carriesKey(pr, key) {
			// Compact runs on the cluster's loop, after this request.
			go kc.Compact()
		}
		return nil, nil, false
	})
}

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
