package admin

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/direct"
)

// DefaultIdle is how long Consume waits for a record before it stops.
const DefaultIdle = 5 * time.Second

// ConsumeSpec says what to read.
type ConsumeSpec struct {
	Topic string
	// FromBeginning reads from each partition's start offset and stops at
	// the end offsets listed when the read starts; otherwise only records
	// written after the read starts are read.
	FromBeginning bool
	Partitions    []int32 // the partitions to read; empty means all
	// Key, Grep and EventID, when set, keep only the records whose key
	// equals *Key, whose key, value or a header value contains Grep, whose
	// eventId (direct.EventID) equals EventID.
	Key     *string
	Grep    string
	EventID string
	// Idle stops the read after this long without a record, default
	// DefaultIdle; Max after this many matching records, default no limit.
	Idle time.Duration
	Max  int
}

// Stop says why a read ended.
type Stop string

// The reasons a read ends.
const (
	StopEnd  Stop = "end"  // every partition reached its end offset
	StopIdle Stop = "idle" // no record for ConsumeSpec.Idle
	StopMax  Stop = "max"  // ConsumeSpec.Max records matched
)

// ConsumeResult summarises a read.
type ConsumeResult struct {
	Read    int           `json:"read"`    // records fetched
	Matched int           `json:"matched"` // records that passed the filters
	Per     map[int32]int `json:"perPartition"`
	Stop    Stop          `json:"stop"`
}

// Partitions returns the partitions with matching records, sorted.
func (r ConsumeResult) Partitions() []int32 { return slices.Sorted(maps.Keys(r.Per)) }

func (s ConsumeSpec) match(r Record) bool {
	if s.Key != nil && (r.Key == nil || *r.Key != *s.Key) || s.EventID != "" && r.EventID != s.EventID {
		return false
	}
	return s.Grep == "" || strings.Contains(r.KeyString(), s.Grep) || strings.Contains(r.ValueString(), s.Grep) ||
		slices.ContainsFunc(r.Headers, func(h Header) bool { return strings.Contains(h.Value, s.Grep) })
}

// Consume reads s.Topic without a consumer group and calls fn for each
// matching record, in offset order within a partition. It returns when the
// read ends (see Stop), ctx ends, or fn returns an error.
func (c *Client) Consume(ctx context.Context, s ConsumeSpec, fn func(Record) error) (ConsumeResult, error) {
	res := ConsumeResult{Per: map[int32]int{}}
	switch err, i := checkTopic(s.Topic), slices.IndexFunc(s.Partitions, func(p int32) bool { return p < 0 }); {
	case err != nil:
		return res, err
	case i >= 0:
		return res, errm(ErrInvalid, "admin.negative", "what", "partition", "n", s.Partitions[i])
	case s.Max < 0:
		return res, errm(ErrInvalid, "admin.negative", "what", "max", "n", s.Max)
	}
	if s.Idle <= 0 {
		s.Idle = DefaultIdle
	}
	from, to, err := c.plan(ctx, s)
	if err != nil {
		return res, err
	}
	rd, err := c.path.NewReader(s.Topic, from, to, append(c.opts, kgo.FetchMaxWait(250*time.Millisecond))...)
	if err != nil {
		return res, err
	}
	defer rd.Close()
	last := time.Now()
	for !rd.Done() {
		pctx, cancel := context.WithDeadline(ctx, last.Add(s.Idle))
		read := res.Read
		var fnErr error
		err := rd.Poll(pctx, func(kr *kgo.Record) error {
			res.Read++
			r := fromKgo(kr)
			if !s.match(r) {
				return nil
			}
			res.Matched++
			res.Per[r.Partition]++
			if fnErr = fn(r); fnErr == nil && s.Max > 0 && res.Matched >= s.Max {
				return errMax
			}
			return fnErr
		})
		cancel()
		switch {
		case err == errMax:
			res.Stop = StopMax
			return res, nil
		case fnErr != nil:
			return res, fnErr
		case err != nil:
			return res, c.wrap(err)
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if res.Read > read {
			last = time.Now()
		} else if time.Since(last) >= s.Idle {
			res.Stop = StopIdle
			return res, nil
		}
	}
	res.Stop = StopEnd
	return res, nil
}

// errMax stops a read at ConsumeSpec.Max.
var errMax = errors.New("max records read")

// plan returns where each partition's read starts (its end offset, or its
// start offset from the beginning) and, from the beginning, where it ends.
func (c *Client) plan(ctx context.Context, s ConsumeSpec) (from, to map[int32]int64, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	t, err := c.topic(ctx, s.Topic)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range s.Partitions {
		if _, ok := t.Partitions[p]; !ok {
			return nil, nil, errm(ErrInvalid, "admin.noPartition", "topic", strconv.Quote(s.Topic), "p", p, "n", len(t.Partitions))
		}
	}
	ends, err := direct.EndOffsets(ctx, c.adm, s.Topic)
	if err != nil {
		return nil, nil, c.wrap(err)
	}
	if len(s.Partitions) > 0 {
		maps.DeleteFunc(ends, func(p int32, _ int64) bool { return !slices.Contains(s.Partitions, p) })
	}
	if !s.FromBeginning {
		return ends, nil, nil
	}
	starts, err := direct.StartOffsets(ctx, c.adm, s.Topic)
	if err != nil {
		return nil, nil, c.wrap(err)
	}
	maps.DeleteFunc(starts, func(p int32, _ int64) bool { _, ok := ends[p]; return !ok })
	return starts, ends, nil
}

func fromKgo(r *kgo.Record) Record {
	out := Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp}
	if r.Key != nil {
		out.Key = new(string(r.Key))
	}
	if r.Value != nil {
		out.Value = new(string(r.Value))
	}
	for _, h := range r.Headers {
		out.Headers = append(out.Headers, Header{h.Key, string(h.Value)})
	}
	out.EventID = direct.EventID(r)
	return out
}
