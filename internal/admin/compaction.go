package admin

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/wait"
)

// RollKey is the key of the record CompactionCheck writes to roll the
// active segment.
const RollKey = "prodlab-segment-roll"

// CompactionSpec says what CompactionCheck waits for.
type CompactionSpec struct {
	Topic  string
	Key    string
	Expect string        // the version the key must keep (see Record.Is)
	Wait   time.Duration // bounds the whole check
	// Roll writes one record (key RollKey) once segment.ms has passed since
	// the newest record, so that the active segment, which Kafka never
	// cleans, rolls.
	Roll bool
	// Progress, if set, receives each state the check observes.
	Progress func(CompactionState)
}

// CompactionState is what a topic held at one moment.
type CompactionState struct {
	At time.Time `json:"at"`
	// Versions are the records of the checked key, Others the latest
	// record of every other key, both in offset order.
	Versions []Record `json:"versions"`
	Others   []Record `json:"others"`
	Records  int      `json:"records"` // the topic's record count
}

// CompactionReport is the outcome of CompactionCheck.
type CompactionReport struct {
	Topic         string          `json:"topic"`
	Key           string          `json:"key"`
	Expect        string          `json:"expect"`
	CleanupPolicy string          `json:"cleanupPolicy"`
	SegmentMs     int64           `json:"segmentMs"`
	Before        CompactionState `json:"before"`
	After         CompactionState `json:"after"`
	// Rolled is the record written to roll the segment, if any; Compacted
	// is true once the key holds one record, OK when that one is Expect.
	Rolled    *Record       `json:"rolled,omitempty"`
	Compacted bool          `json:"compacted"`
	OK        bool          `json:"ok"`
	Elapsed   time.Duration `json:"elapsedNs"`
}

// CompactionCheck reads s.Topic until its log holds a single record for
// s.Key, then checks that record is s.Expect. It fails with ErrNotCompacted
// if s.Wait passes first, and with ErrUnexpected if another value is kept;
// the report is filled either way.
func (c *Client) CompactionCheck(ctx context.Context, s CompactionSpec) (rep CompactionReport, err error) {
	rep = CompactionReport{Topic: s.Topic, Key: s.Key, Expect: s.Expect}
	switch {
	case s.Key == "":
		return rep, errm(ErrInvalid, "admin.needKey")
	case s.Expect == "":
		return rep, errm(ErrInvalid, "admin.needExpect")
	case s.Wait <= 0:
		return rep, invalidf("wait %s must be positive", s.Wait)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.Wait)
	defer cancel()
	d, err := c.DescribeTopic(ctx, s.Topic)
	if err != nil {
		return rep, err
	}
	rep.CleanupPolicy, _ = d.Config("cleanup.policy")
	if !strings.Contains(rep.CleanupPolicy, "compact") {
		return rep, errm(ErrInvalid, "admin.notCompact", "topic", strconv.Quote(s.Topic), "policy", rep.CleanupPolicy)
	}
	if v, ok := d.Config("segment.ms"); ok {
		rep.SegmentMs, _ = strconv.ParseInt(v, 10, 64)
	}
	defer func() { rep.Elapsed = time.Since(start) }()
	stillHolds := func() error {
		return errm(ErrNotCompacted, "admin.stillHolds", "topic", strconv.Quote(s.Topic), "n", len(rep.After.Versions), "key", strconv.Quote(s.Key), "wait", s.Wait)
	}
	var newest time.Time
	for first := true; ; first = false {
		st, latest, err := c.snapshot(ctx, s.Topic, s.Key)
		switch {
		case err != nil && ctx.Err() != nil && !first:
			return rep, stillHolds()
		case err != nil:
			return rep, err
		}
		if first {
			rep.Before = st
			if len(st.Versions) == 0 {
				return rep, errm(ErrInvalid, "admin.noKey", "topic", strconv.Quote(s.Topic), "key", strconv.Quote(s.Key))
			}
		}
		rep.After = st
		if s.Progress != nil {
			s.Progress(st)
		}
		if len(st.Versions) == 1 {
			rep.Compacted = true
			rep.OK = st.Versions[0].Is(s.Expect)
			if !rep.OK {
				return rep, errm(ErrUnexpected, "admin.keptOther", "key", strconv.Quote(s.Key), "kept", describe(st.Versions[0]), "offset", st.Versions[0].Offset, "expect", s.Expect)
			}
			return rep, nil
		}
		if latest.After(newest) {
			newest = latest
		}
		// segment.ms after the newest record is past the segment's first.
		if s.Roll && rep.Rolled == nil && rep.SegmentMs > 0 && time.Since(newest) >= time.Duration(rep.SegmentMs)*time.Millisecond+100*time.Millisecond {
			r, err := c.roll(ctx, s.Topic, st.Versions[len(st.Versions)-1].Partition)
			if err != nil {
				return rep, err
			}
			rep.Rolled = &r
		}
		if wait.For(ctx, 250*time.Millisecond) != nil {
			return rep, stillHolds()
		}
	}
}

// snapshot reads the whole topic: its state for key, and the newest
// record's timestamp.
func (c *Client) snapshot(ctx context.Context, topic, key string) (CompactionState, time.Time, error) {
	st := CompactionState{At: time.Now(), Versions: []Record{}, Others: []Record{}}
	others := map[string]Record{}
	var newest time.Time
	_, err := c.Consume(ctx, ConsumeSpec{Topic: topic, FromBeginning: true, Idle: c.cfg.timeout}, func(r Record) error {
		st.Records++
		if r.Timestamp.After(newest) {
			newest = r.Timestamp
		}
		switch {
		case r.Key != nil && *r.Key == key:
			st.Versions = append(st.Versions, r)
		case r.Key != nil: // the read hands a partition's records in offset order
			others[*r.Key] = r
		}
		return nil
	})
	if err != nil {
		return st, newest, err
	}
	st.Others = slices.AppendSeq(st.Others, maps.Values(others))
	byOffset := func(a, b Record) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	}
	slices.SortFunc(st.Versions, byOffset)
	slices.SortFunc(st.Others, byOffset)
	return st, newest, nil
}

// roll writes one record with key RollKey to partition p of topic.
func (c *Client) roll(ctx context.Context, topic string, p int32) (Record, error) {
	now := time.Now()
	v, _ := json.Marshal(struct {
		EventID string `json:"eventId"`
		Note    string `json:"note"`
		TS      int64  `json:"ts"`
	}{"segment-roll", i18n.T("compaction.rollNote"), now.UnixMilli()})
	kr := &kgo.Record{Topic: topic, Partition: p, Key: []byte(RollKey), Value: v, Timestamp: now,
		Headers: []kgo.RecordHeader{{Key: prodlab.HeaderEventID, Value: []byte("segment-roll")}}}
	// Uncompressed, so that the embedded broker sees the key (broker.CompactOnKey).
	cl, err := c.path.Client(append(c.opts, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))...)
	if err != nil {
		return Record{}, err
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, kr).FirstErr(); err != nil {
		return Record{}, c.wrap(fmt.Errorf("rolling the segment of %s: %w", topic, err))
	}
	return fromKgo(kr), nil
}

func describe(r Record) string {
	if r.EventID != "" {
		return r.EventID
	}
	return strconv.Quote(r.ValueString())
}
