package broker

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// roller gives compacted partitions Kafka's segment roll. kfake has no
// segments: its cleaner (Cluster.Compact) cleans all but a partition's last
// batch. The roller keeps when each compacted partition's active segment
// began; a write segment.ms later rolls it, and once that write is in the
// log the cleaner runs, so only the rolling batch stays uncleaned, as on
// Kafka. Limits: Compact cleans every compacted partition at once; after a
// restart a segment begins with its first new write.
type roller struct {
	kc  *kfake.Cluster
	key []byte // CompactOnKey's key: a record with it rolls at once

	mu      sync.Mutex
	topics  map[string]*segments
	pending []rolled // rolls whose write the cleaner waits for
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// segments are the active segments of one topic's partitions.
type segments struct {
	id    [16]byte // a recreated topic starts afresh
	start map[int32]time.Time
}

// rolled is a roll whose rolling write lands past offset hwm.
type rolled struct {
	topic string
	part  int32
	hwm   int64
	at    time.Time
}

// defaultSegmentMs is Kafka's log.roll.ms (7 days).
const defaultSegmentMs = 7 * 24 * 3600 * 1000

// How often the rolling write is looked for, and for how long.
const (
	rollPoll = 5 * time.Millisecond
	rollWait = 2 * time.Second
)

func startRoller(kc *kfake.Cluster, key []byte) *roller {
	r := &roller{kc: kc, key: key, topics: map[string]*segments{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	// The control only observes the request, before kfake handles it.
	kc.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		r.produce(req.(*kmsg.ProduceRequest), time.Now())
		return nil, nil, false
	})
	go r.work()
	return r
}

// produce records the writes of pr and queues the rolls they make.
func (r *roller) produce(pr *kmsg.ProduceRequest, now time.Time) {
	forced := len(r.key) > 0 && carriesKey(pr, r.key)
	r.mu.Lock()
	defer r.mu.Unlock()
	queued := len(r.pending)
	for _, t := range pr.Topics {
		info := r.kc.TopicInfo(t.Topic)
		if t.Topic == "" { // Produce v13+ names topics by ID
			info = r.kc.TopicIDInfo(t.TopicID)
		}
		compact, segMs := compaction(info)
		if !compact {
			if info != nil {
				delete(r.topics, info.Topic) // no longer compacted
			}
			continue
		}
		s := r.topics[info.Topic]
		if s == nil || s.id != info.TopicID {
			s = &segments{id: info.TopicID, start: map[int32]time.Time{}}
			r.topics[info.Topic] = s
		}
		for _, p := range t.Partitions {
			began, ok := s.start[p.Partition]
			due := ok && (forced || now.Sub(began) >= segMs)
			if !ok || due {
				s.start[p.Partition] = now
			}
			if !due {
				continue
			}
			if pi := r.kc.PartitionInfo(info.Topic, p.Partition); pi != nil {
				r.pending = append(r.pending, rolled{topic: info.Topic, part: p.Partition, hwm: pi.HighWatermark, at: now})
			}
		}
	}
	if len(r.pending) > queued {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// compaction reads a topic's cleanup.policy and segment.ms.
func compaction(info *kfake.TopicInfo) (compact bool, segMs time.Duration) {
	if info == nil {
		return false, 0
	}
	ms := int64(defaultSegmentMs)
	if v := info.Configs["segment.ms"]; v != nil {
		if n, err := strconv.ParseInt(*v, 10, 64); err == nil && n > 0 {
			ms = n
		}
	}
	v := info.Configs["cleanup.policy"]
	return v != nil && strings.Contains(*v, "compact"), time.Duration(ms) * time.Millisecond
}

// work runs the cleaner once every pending roll's write is in the log, so
// that kfake's last batch, which it never cleans, is the rolling one.
func (r *roller) work() {
	defer close(r.done)
	t := time.NewTimer(0)
	<-t.C
	for {
		select {
		case <-r.stop:
			return
		case <-r.wake:
		case <-t.C:
		}
		r.mu.Lock()
		pending := r.pending
		r.mu.Unlock()
		if len(pending) == 0 {
			continue
		}
		if slices.ContainsFunc(pending, func(p rolled) bool {
			pi := r.kc.PartitionInfo(p.topic, p.part)
			return pi != nil && pi.HighWatermark <= p.hwm && time.Since(p.at) <= rollWait
		}) {
			t.Reset(rollPoll)
			continue
		}
		r.mu.Lock()
		r.pending = r.pending[len(pending):]
		more := len(r.pending) > 0
		r.mu.Unlock()
		r.kc.Compact()
		if more {
			t.Reset(rollPoll)
		}
	}
}

// close stops the worker; the cluster must still be running.
func (r *roller) close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}

// CompactOnKey makes an uncompressed record with key roll its partition's
// segment at once, whatever segment.ms says, so that the cleaner runs right
// after it (see roller), default none; prodlab compaction-check writes one.
func CompactOnKey(key string) Opt { return func(c *cfg) { c.compactKey = key } }

// carriesKey reports whether an uncompressed batch of pr has a record with key.
func carriesKey(pr *kmsg.ProduceRequest, key []byte) bool {
	for _, t := range pr.Topics {
		for _, p := range t.Partitions {
			for pos := 0; ; {
				_, _, _, size, ok := batchAt(p.Records, pos) // as kfake checks it
				if !ok {
					break
				}
				var rb kmsg.RecordBatch
				if rb.ReadFrom(p.Records[pos:pos+size]) == nil && rb.Attributes&0x07 == 0 && recordsCarry(rb.Records, int(rb.NumRecords), key) {
					return true
				}
				pos += size
			}
		}
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
		if r.ReadFrom(b[:w+int(l)]) == nil && bytes.Equal(r.Key, key) {
			return true
		}
		b = b[w+int(l):]
	}
	return false
}
