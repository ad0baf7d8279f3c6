package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// Outcomes of one send as the API reported it.
const (
	pending = iota // no answer yet: indeterminate if it stays so
	acked          // 200 (sync) or state OK (async), with partition and offset
	failed         // an error answer
)

// sent is one send of a stream and what the API answered.
type sent struct {
	eventID   string
	seq       int
	requestID string // async only
	outcome   int
	partition int32
	offset    int64
	err       string
	ackedAt   time.Time // sync only
}

// stream sends idempotent records with one key and rising sequence numbers
// through one API to one partition, each after the previous one was
// answered (sync) or accepted (async), so their order is the key's order.
type stream struct {
	api       *lab.API
	key       string
	partition int32
	sendMode  string

	mu    sync.Mutex
	sends []*sent
	acks  atomic.Int64 // sync acks, counted as they come
}

var failoverHTTP = &http.Client{Timeout: 90 * time.Second}

func (s *stream) run(stop <-chan struct{}, topic string) {
	tick := time.NewTicker(20 * time.Millisecond) // pacing, not synchronisation
	defer tick.Stop()
	for seq := 1; ; seq++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		snd := &sent{eventID: fmt.Sprintf("%s-%06d", s.key, seq), seq: seq}
		s.mu.Lock()
		s.sends = append(s.sends, snd)
		s.mu.Unlock()
		q := url.Values{"mode": {"idempotent"}, "sendMode": {s.sendMode}, "eventId": {snd.eventID},
			"key": {s.key}, "partition": {strconv.Itoa(int(s.partition))}, "topic": {topic}}
		var body struct {
			RequestID string `json:"requestId"`
			Partition *int32 `json:"partition"`
			Offset    *int64 `json:"offset"`
			Error     string `json:"error"`
		}
		code, err := postJSON(s.api.URL+"/api/v1/send?"+q.Encode(), &body)
		s.mu.Lock()
		switch {
		case err != nil:
			snd.err = err.Error() // no answer: stays pending
		case code == http.StatusOK && body.Partition != nil && body.Offset != nil:
			snd.outcome, snd.partition, snd.offset, snd.ackedAt = acked, *body.Partition, *body.Offset, time.Now()
			s.acks.Add(1)
		case code == http.StatusAccepted && body.RequestID != "":
			snd.requestID = body.RequestID
		default:
			snd.outcome, snd.err = failed, fmt.Sprintf("%d %s", code, body.Error)
		}
		s.mu.Unlock()
	}
}

// resolve asks the API for the state of every async send still pending and
// reports how many remain so.
func (s *stream) resolve() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := 0
	for _, snd := range s.sends {
		if snd.outcome != pending || snd.requestID == "" {
			continue
		}
		var st struct {
			State     string `json:"state"`
			Partition *int32 `json:"partition"`
			Offset    *int64 `json:"offset"`
			Error     string `json:"error"`
		}
		code, err := getJSON(s.api.URL+"/api/v1/status?requestId="+snd.requestID, &st)
		switch {
		case err != nil || code != http.StatusOK || st.State == "PENDING":
			left++
		case st.State == "OK" && st.Partition != nil && st.Offset != nil:
			snd.outcome, snd.partition, snd.offset = acked, *st.Partition, *st.Offset
		default:
			snd.outcome, snd.err = failed, st.State+" "+st.Error
		}
	}
	return left
}

func postJSON(u string, v any) (int, error) {
	resp, err := failoverHTTP.Post(u, "", nil)
	return decode(resp, err, v)
}

func getJSON(u string, v any) (int, error) {
	resp, err := failoverHTTP.Get(u)
	return decode(resp, err, v)
}

func decode(resp *http.Response, err error, v any) (int, error) {
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return resp.StatusCode, fmt.Errorf("%d %q: %w", resp.StatusCode, b, err)
	}
	return resp.StatusCode, nil
}

// TestClusterFailover streams idempotent sends through every API to every
// partition of an RF 3, min.insync.replicas=2 topic, SIGKILLs the leader of
// partition 0, restarts it, and checks that every acknowledged send is in
// the log exactly once, at the offset the API reported, in key order.
func TestClusterFailover(t *testing.T) { clusterFailover(t, lab.Proxied) }

// TestClusterFailoverRelay is TestClusterFailover in relay mode, over the
// brokers' DIRECT listeners, which advertise their own addresses: every
// API reaches the brokers through proxy kafka and the relay's broker-<id>.
func TestClusterFailoverRelay(t *testing.T) { clusterFailover(t, lab.Relayed) }

func clusterFailover(t *testing.T, mode lab.FaultMode) {
	if !labtest.Local() || labtest.Mode() != kafkalocal.ModeCluster {
		t.Skip("needs the real 3-node cluster: PRODLAB_KAFKA=local PRODLAB_KAFKA_MODE=cluster (scripts/test-local.sh)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := kafkalocal.WaitReady(ctx); err != nil {
		t.Fatalf("cluster not ready: %v", err)
	}
	l := labtest.Start(t, func(c *lab.Config) { c.Faults = mode })
	if l.FaultMode() != mode {
		t.Fatalf("lab in mode %q, want %q", l.FaultMode(), mode)
	}
	if n, want := len(l.ProxyAddrs()), map[lab.FaultMode]int{lab.Proxied: 3, lab.Relayed: 1}[mode]; n != want {
		t.Fatalf("lab has %d proxies at start, want %d", n, want)
	}
	topic := labtest.Topic(t, l, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")})
	adm := labtest.Admin(t, l)
	leaders := func() (map[int32]int32, map[int32]int) {
		td, err := adm.ListTopics(ctx, topic)
		if err != nil || td[topic].Err != nil {
			return nil, nil
		}
		ld, isr := map[int32]int32{}, map[int32]int{}
		for _, p := range td[topic].Partitions {
			if len(p.Replicas) != 3 {
				t.Fatalf("%s[%d] has replicas %v, want 3", topic, p.Partition, p.Replicas)
			}
			ld[p.Partition], isr[p.Partition] = p.Leader, len(p.ISR)
		}
		return ld, isr
	}
	if err := wait.Until(ctx, func() bool {
		_, isr := leaders()
		return len(isr) == 3 && isr[0] == 3 && isr[1] == 3 && isr[2] == 3
	}); err != nil {
		t.Fatalf("%s never got full ISRs: %v", topic, err)
	}
	labtest.Warm(t, l, topic)

	// Per API, one sync and one async stream to each partition.
	var streams []*stream
	for _, a := range l.APIs() {
		for k, mode := range []string{"sync", "sync", "sync", "async", "async", "async"} {
			streams = append(streams, &stream{api: a, key: fmt.Sprintf("%s-k%d", a.Engine.Name(), k),
				partition: int32(k % 3), sendMode: mode})
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Add(1)
		go func() { defer wg.Done(); s.run(stop, topic) }()
	}
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer halt()
	// progress waits until every sync stream has n more acks than in from.
	progress := func(what string, from map[*stream]int64, n int64) map[*stream]int64 {
		t.Helper()
		if err := wait.Until(ctx, func() bool {
			for _, s := range streams {
				if s.sendMode == "sync" && s.acks.Load() < from[s]+n {
					return false
				}
			}
			return true
		}); err != nil {
			for _, s := range streams {
				t.Logf("%s: %d acks (had %d)", s.key, s.acks.Load(), from[s])
			}
			t.Fatalf("%s: sync streams stalled: %v", what, err)
		}
		now := map[*stream]int64{}
		for _, s := range streams {
			now[s] = s.acks.Load()
		}
		return now
	}
	before := progress("before the kill", nil, 10)

	ld, _ := leaders()
	victim := int(ld[0])
	t.Cleanup(func() {
		if err := kafkalocal.StartBroker(context.Background(), victim); err != nil {
			t.Errorf("restart broker %d: %v", victim, err)
		}
	})
	killed := time.Now()
	if err := kafkalocal.KillBroker(ctx, victim); err != nil {
		t.Fatalf("kill broker %d: %v", victim, err)
	}
	if err := wait.Until(ctx, func() bool {
		ld, _ := leaders()
		return ld != nil && ld[0] >= 0 && ld[0] != int32(victim)
	}); err != nil {
		t.Fatalf("partition 0 never got a new leader after broker %d died: %v", victim, err)
	}
	elected := time.Since(killed)
	during := progress("with broker "+strconv.Itoa(victim)+" down", before, 10)
	failedOver := time.Since(killed)

	if err := kafkalocal.StartBroker(ctx, victim); err != nil {
		t.Fatalf("restart broker %d: %v", victim, err)
	}
	if err := wait.Until(ctx, func() bool {
		_, isr := leaders()
		return len(isr) == 3 && isr[0] == 3 && isr[1] == 3 && isr[2] == 3
	}); err != nil {
		t.Fatalf("broker %d never rejoined the ISRs of %s: %v", victim, topic, err)
	}
	rejoined := time.Since(killed)
	progress("after the restart", during, 10)
	halt()

	// Async sends end within the delivery timeout; give them that long.
	settle, cancelSettle := context.WithTimeout(ctx, 45*time.Second)
	_ = wait.Until(settle, func() bool {
		left := 0
		for _, s := range streams {
			left += s.resolve()
		}
		return left == 0
	})
	cancelSettle()

	type pos struct {
		partition int32
		offset    int64
		key       string
	}
	inLog := map[string][]pos{}
	for _, r := range labtest.Records(t, l, topic) {
		for _, h := range r.Headers {
			if h.Key == "eventId" && string(h.Value) != "warm-up" {
				inLog[string(h.Value)] = append(inLog[string(h.Value)], pos{r.Partition, r.Offset, string(r.Key)})
			}
		}
	}

	type figures struct {
		sent, acked, failed, indeterminate, lost, duplicated int
		failedButWritten, ackedNoOffset                      int
	}
	total := map[string]*figures{}
	known := map[string]bool{}
	for _, s := range streams {
		name := s.api.Engine.Name()
		if total[name] == nil {
			total[name] = &figures{}
		}
		f := total[name]
		var lastOffset int64 = -1
		var lastSeq int
		for _, snd := range s.sends {
			known[snd.eventID] = true
			f.sent++
			got := inLog[snd.eventID]
			if len(got) > 1 {
				f.duplicated++
				t.Errorf("%s: %d copies in the log at %v", snd.eventID, len(got), got)
			}
			switch snd.outcome {
			case pending:
				f.indeterminate++
				continue
			case failed:
				f.failed++
				if len(got) > 0 {
					f.failedButWritten++
				}
				continue
			}
			f.acked++
			if len(got) == 0 {
				f.lost++
				t.Errorf("%s: acknowledged at %d/%d but not in the log", snd.eventID, snd.partition, snd.offset)
				continue
			}
			g := got[0]
			if snd.offset < 0 {
				// librdkafka acknowledges a retried batch that the broker
				// reports as a duplicate without its offset.
				f.ackedNoOffset++
			} else if g.offset != snd.offset {
				t.Errorf("%s: acknowledged at offset %d, found at %d", snd.eventID, snd.offset, g.offset)
			}
			if g.partition != s.partition || snd.partition != s.partition || g.key != s.key {
				t.Errorf("%s: sent to partition %d with key %s, acknowledged on %d, found on %d with key %s", snd.eventID, s.partition, s.key, snd.partition, g.partition, g.key)
			}
			if g.offset <= lastOffset {
				t.Errorf("key %s out of order: seq %d at offset %d, after seq %d at offset %d", s.key, snd.seq, g.offset, lastSeq, lastOffset)
			}
			lastOffset, lastSeq = g.offset, snd.seq
		}
	}
	for id, ps := range inLog {
		if !known[id] {
			t.Errorf("the log holds %s at %v, which no stream sent", id, ps)
		}
	}
	// The stall sync sends to partition 0 saw: the longest wait between
	// two acknowledgements of one stream.
	var stall time.Duration
	for _, s := range streams {
		var last time.Time
		for _, snd := range s.sends {
			if s.partition != 0 || snd.ackedAt.IsZero() {
				continue
			}
			if !last.IsZero() {
				stall = max(stall, snd.ackedAt.Sub(last))
			}
			last = snd.ackedAt
		}
	}
	t.Logf("broker %d (leader of %s[0]) SIGKILLed: new leader seen after %v, sync sends to partition 0 stalled up to %v, every sync stream acked 10 more after %v, broker back in every ISR after %v",
		victim, topic, elected.Round(time.Millisecond), stall.Round(time.Millisecond), failedOver.Round(time.Millisecond), rejoined.Round(time.Millisecond))
	names := make([]string, 0, len(total))
	for n := range total {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		f := total[n]
		t.Logf("%-10s sent %d, acked %d (%d without offset), failed %d (%d of them written), indeterminate %d, lost %d, duplicated %d",
			n, f.sent, f.acked, f.ackedNoOffset, f.failed, f.failedButWritten, f.indeterminate, f.lost, f.duplicated)
		if f.acked == 0 {
			t.Errorf("%s: no send was acknowledged", n)
		}
	}
}
