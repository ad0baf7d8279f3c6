package api_test

import (
	"encoding/binary"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

// shape describes a decoded JSON object by its field names and JSON types.
func shape(v any) string {
	switch v := v.(type) {
	case map[string]any:
		s := "{"
		for _, k := range slices.Sorted(maps.Keys(v)) {
			s += k + ":" + shape(v[k]) + " "
		}
		return s + "}"
	case []any:
		if len(v) == 0 {
			return "[]"
		}
		return "[" + shape(v[0]) + "]"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// TestResponseParity sends the same eventId through every engine's API and
// checks that each kind of answer has the same fields with the same JSON
// types; only the values may differ.
func TestResponseParity(t *testing.T) {
	l := labtest.Start(t)
	if len(l.APIs()) < 2 {
		t.Skip("parity needs at least two engines")
	}
	topic := labtest.Topic(t, l, 3, nil)
	ev := "parity-1"
	type answer struct {
		code  int
		shape string
	}
	answers := map[string]map[string]answer{} // kind → engine → answer
	record := func(kind string, a *lab.API, r result) {
		if r.body == nil {
			t.Fatalf("%s %s: not a JSON object: %d %q", a.Engine.Name(), kind, r.code, r.raw)
		}
		if answers[kind] == nil {
			answers[kind] = map[string]answer{}
		}
		answers[kind][a.Engine.Name()] = answer{r.code, shape(r.body)}
	}
	for _, a := range l.APIs() {
		for _, mode := range []string{"plain", "idempotent"} {
			r := send(t, a, params("mode", mode, "sendMode", "sync", "eventId", ev, "topic", topic))
			record("sync "+mode, a, r)
			r = send(t, a, params("mode", mode, "sendMode", "async", "eventId", ev, "topic", topic))
			record("async "+mode, a, r)
			id, _ := r.body["requestId"].(string)
			if id == "" {
				t.Fatalf("%s: no requestId in %s", a.Engine.Name(), r.raw)
			}
			record("status "+mode, a, waitState(t, a, id))
		}
		record("unknown topic", a, send(t, a, params("mode", "plain", "eventId", ev, "topic", "no-such-topic")))
		record("bad partition", a, send(t, a, params("mode", "plain", "eventId", ev, "topic", topic, "partition", "7")))
		record("unknown requestId", a, call(t, http.MethodGet, a.URL+"/api/v1/status?requestId=nope"))
	}
	for _, kind := range slices.Sorted(maps.Keys(answers)) {
		byEngine := answers[kind]
		ref := l.APIs()[0].Engine.Name()
		for name, got := range byEngine {
			if got != byEngine[ref] {
				t.Errorf("%s: %s answered %d %s, %s answered %d %s", kind, name, got.code, got.shape, ref, byEngine[ref].code, byEngine[ref].shape)
			}
		}
		t.Logf("%-18s %d %s", kind, byEngine[ref].code, byEngine[ref].shape)
	}
}

// murmur2 is the Java client's key hash (Utils.murmur2).
func murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(data)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := binary.LittleEndian.Uint32(data[i:])
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// javaPartition is the Java client's partition for a keyed record.
func javaPartition(key string, partitions int32) int32 {
	return (murmur2([]byte(key)) & 0x7fffffff) % partitions
}

func TestMurmur2MatchesJava(t *testing.T) {
	// Kafka's own test vectors for Utils.murmur2.
	for key, want := range map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	} {
		if got := murmur2([]byte(key)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", key, got, want)
		}
	}
}

// TestKeyPartitionParity sends 1,000 keys through every API and checks
// that each key lands on the same partition on every engine, the one the
// Java client would choose, in the responses and in the log.
func TestKeyPartitionParity(t *testing.T) {
	l := labtest.Start(t)
	const partitions = 12
	topic := labtest.Topic(t, l, partitions, nil)
	keys := make([]string, 1000)
	for i := range keys {
		// Lengths 5 to 11 cover every murmur2 tail.
		keys[i] = fmt.Sprintf("acct-%d", i*7919)
	}
	for _, a := range l.APIs() {
		got := make([]int64, len(keys))
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < len(keys); i += 8 {
					r := send(t, a, url.Values{"mode": {"plain"}, "eventId": {a.Engine.Name() + "-" + keys[i]}, "key": {keys[i]}, "topic": {topic}})
					if r.code != 200 {
						t.Errorf("%s: send %s = %d %s", a.Engine.Name(), keys[i], r.code, r.raw)
						return
					}
					got[i] = num(t, r.body, "partition")
				}
			})
		}
		wg.Wait()
		wrong := 0
		for i, k := range keys {
			if want := int64(javaPartition(k, partitions)); got[i] != want {
				if wrong++; wrong <= 5 {
					t.Errorf("%s: key %q answered partition %d, Java's murmur2 gives %d", a.Engine.Name(), k, got[i], want)
				}
			}
		}
		if wrong > 0 {
			t.Errorf("%s: %d of %d keys on another partition than Java's", a.Engine.Name(), wrong, len(keys))
		}
	}
	seen := map[string]int{}
	used := map[int32]bool{}
	for _, r := range labtest.Records(t, l, topic) {
		k := string(r.Key)
		if want := javaPartition(k, partitions); r.Partition != want {
			t.Errorf("key %q written to partition %d, Java's murmur2 gives %d", k, r.Partition, want)
		}
		seen[k]++
		used[r.Partition] = true
	}
	for _, k := range keys {
		if seen[k] != len(l.APIs()) {
			t.Errorf("key %q written %d times, want once per engine (%d)", k, seen[k], len(l.APIs()))
		}
	}
	if len(used) != partitions {
		t.Errorf("1,000 keys used only %d of %d partitions", len(used), partitions)
	}
}

// TestFailureParity makes plain sends time out behind a 5 s latency toxic
// and checks that a failed sync send and a failed async status have the
// same shape on every engine.
func TestFailureParity(t *testing.T) {
	l := labtest.Start(t, func(c *lab.Config) { c.Producer.DeliveryTimeout = 1500 * time.Millisecond })
	if len(l.APIs()) < 2 {
		t.Skip("parity needs at least two engines")
	}
	topic := labtest.Topic(t, l, 1, nil)
	labtest.Warm(t, l, topic)
	addLatency(t, l, 5000)
	shapes := map[string]map[string]string{} // kind → shape → engines
	note := func(kind, eng string, r result) {
		if shapes[kind] == nil {
			shapes[kind] = map[string]string{}
		}
		shapes[kind][fmt.Sprint(r.code, " ", shape(r.body))] += eng + " "
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, a := range l.APIs() {
		wg.Go(func() {
			r := send(t, a, params("mode", "plain", "eventId", "fail-sync", "topic", topic))
			mu.Lock()
			note("sync", a.Engine.Name(), r)
			mu.Unlock()
		})
		wg.Go(func() {
			r := send(t, a, params("mode", "plain", "sendMode", "async", "eventId", "fail-async", "topic", topic))
			id, _ := r.body["requestId"].(string)
			if id == "" {
				t.Errorf("%s: async send = %d %s", a.Engine.Name(), r.code, r.raw)
				return
			}
			st := waitState(t, a, id)
			mu.Lock()
			note("status", a.Engine.Name(), st)
			mu.Unlock()
		})
	}
	wg.Wait()
	for kind, byShape := range shapes {
		if len(byShape) != 1 {
			t.Errorf("%s: the engines disagree: %v", kind, byShape)
		}
		for s, engines := range byShape {
			t.Logf("%-6s %s ← %s", kind, s, engines)
		}
	}
	for _, want := range []string{"sync", "status"} {
		for s := range shapes[want] {
			if !strings.HasPrefix(s, map[string]string{"sync": "502 ", "status": "200 "}[want]) || !strings.Contains(s, "error:string") {
				t.Errorf("%s failure answered %s, want a JSON error", want, s)
			}
		}
	}
}
