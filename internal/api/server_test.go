package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/status"
	"github.com/prodlab/prodlab/internal/wait"
)

func threePartitions(string) (int32, error) { return 3, nil }

// client gives up after 10s, so a send that hangs fails the test.
var client = &http.Client{Timeout: 10 * time.Second}

func post(t *testing.T, u string) (int, map[string]any, string) { return do(t, http.MethodPost, u) }

func get(t *testing.T, u string) (int, map[string]any, string) { return do(t, http.MethodGet, u) }

// do sends one request without a body and decodes the JSON answer.
func do(t *testing.T, method, u string) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body, string(raw)
}

// TestSyncBoundAnswers504 holds a sync send's delivery past the sync bound:
// the API answers 504 with the error shape and a requestId, whose status is
// PENDING, then OK once the delivery comes.
func TestSyncBoundAnswers504(t *testing.T) {
	eng := &fakeEngine{hold: true, meta: threePartitions}
	const bound = 300 * time.Millisecond
	srv := fakeServer(t, eng, api.SyncTimeout(bound))
	start := time.Now()
	code, body, raw := post(t, srv+"/api/v1/send?mode=idempotent&sendMode=sync&eventId=slow-1")
	took := time.Since(start)
	labtest.CheckError(t, code, []byte(raw), http.StatusGatewayTimeout, "")
	if took < bound || took > bound+2*time.Second {
		t.Fatalf("504 after %v, want about %v", took, bound)
	}
	id, _ := body["requestId"].(string)
	if id == "" || body["eventId"] != "slow-1" {
		t.Fatalf("504 body lacks requestId or eventId: %s", raw)
	}
	if code, st, raw := get(t, srv+"/api/v1/status?requestId="+id); code != 200 || st["state"] != "PENDING" {
		t.Fatalf("status before the delivery = %d %s, want PENDING", code, raw)
	}
	if n := eng.release(prodlab.Delivery{Topic: prodlab.DefaultTopic, Partition: 2, Offset: 41}); n != 1 {
		t.Fatalf("%d deliveries held, want 1", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var st map[string]any
	err := wait.Until(ctx, func() bool {
		_, st, _ = get(t, srv+"/api/v1/status?requestId="+id)
		return st["state"] != "PENDING"
	})
	if err != nil || st["state"] != "OK" || st["partition"] != float64(2) || st["offset"] != float64(41) {
		t.Fatalf("status after the delivery = %v (%v), want OK at 2/41", st, err)
	}
}

// TestStaleCountServed: once the count is stale, sends keep answering from
// it while a single background lookup, here stuck as behind a faulted
// proxy, runs.
func TestStaleCountServed(t *testing.T) {
	eng := &fakeEngine{meta: threePartitions}
	srv := fakeServer(t, eng, api.MetadataTTL(time.Millisecond), api.LookupTimeout(time.Minute))
	send := srv + "/api/v1/send?mode=plain&sendMode=sync&eventId=e&partition=2"
	if code, _, raw := post(t, send); code != 200 {
		t.Fatalf("first send = %d %s", code, raw)
	}
	gate := make(chan struct{})
	eng.mu.Lock()
	eng.gate = gate
	eng.mu.Unlock()
	defer close(gate)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fresh := time.Now()
	if err := wait.Until(ctx, func() bool { return time.Since(fresh) > 10*time.Millisecond }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	codes := make([]int, 20)
	start := time.Now()
	for i := range codes {
		wg.Go(func() {
			if resp, err := client.Post(send, "", nil); err == nil {
				codes[i] = resp.StatusCode
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("send %d on a stale count = %d, want 200", i, c)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("20 sends on a stale count took %v", d)
	}
	// The refresh runs in the background: wait until it has asked, then
	// check that the 20 stale sends shared that one lookup.
	if err := wait.Until(ctx, func() bool { return eng.lookups.Load() >= 2 }); err != nil {
		t.Fatalf("%d lookups: the stale count was never refreshed", eng.lookups.Load())
	}
	if n := eng.lookups.Load(); n != 2 {
		t.Fatalf("%d lookups, want 2: the first and one shared refresh", n)
	}
}

// TestNotFoundOnlyWhenBrokerSaysSo: 404 comes from ErrUnknownTopic alone;
// another lookup error lets a send go ahead, except one naming a partition
// that cannot be checked.
func TestNotFoundOnlyWhenBrokerSaysSo(t *testing.T) {
	eng := &fakeEngine{}
	eng.setMeta(func(topic string) (int32, error) {
		if topic == "gone" {
			return 0, prodlab.ErrUnknownTopic
		}
		return 0, errors.New("i/o timeout")
	})
	srv := fakeServer(t, eng)
	code, _, raw := post(t, srv+"/api/v1/send?mode=plain&eventId=e&topic=gone")
	labtest.CheckError(t, code, []byte(raw), 404, "topic")
	if code, _, raw := post(t, srv+"/api/v1/send?mode=plain&eventId=e&topic=slow"); code != 200 {
		t.Fatalf("send with unreadable metadata = %d %s, want 200", code, raw)
	}
	code, _, raw = post(t, srv+"/api/v1/send?mode=plain&eventId=e&topic=slow&partition=1")
	labtest.CheckError(t, code, []byte(raw), 503, "")
}

// TestDeletedTopicDropsCount: a cached topic that a refresh finds deleted
// answers 404 from then on.
func TestDeletedTopicDropsCount(t *testing.T) {
	eng := &fakeEngine{meta: threePartitions}
	srv := fakeServer(t, eng, api.MetadataTTL(time.Millisecond))
	send := srv + "/api/v1/send?mode=plain&eventId=e"
	if code, _, raw := post(t, send); code != 200 {
		t.Fatalf("send = %d %s", code, raw)
	}
	eng.setMeta(func(string) (int32, error) { return 0, prodlab.ErrUnknownTopic })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code := 0
	if err := wait.Until(ctx, func() bool { code, _, _ = post(t, send); return code == 404 }); err != nil {
		t.Fatalf("sends to a deleted topic still answer %d: %v", code, err)
	}
}

// TestPartitionPastCountLooksAgain: a partition past a count over a second
// old waits for a fresh lookup (the topic recreated with more partitions),
// and at most one such lookup runs a second.
func TestPartitionPastCountLooksAgain(t *testing.T) {
	eng := &fakeEngine{meta: threePartitions}
	srv := fakeServer(t, eng)
	send := srv + "/api/v1/send?mode=plain&eventId=e&partition="
	if code, _, raw := post(t, send+"2"); code != 200 {
		t.Fatalf("send = %d %s", code, raw)
	}
	fetched := time.Now()
	eng.setMeta(func(string) (int32, error) { return 6, nil })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool { return time.Since(fetched) > time.Second }); err != nil {
		t.Fatal(err)
	}
	if code, _, raw := post(t, send+"5"); code != 200 {
		t.Fatalf("partition 5 of a topic grown to 6 = %d %s, want 200", code, raw)
	}
	code, _, raw := post(t, send+"6")
	labtest.CheckError(t, code, []byte(raw), 400, "partition")
	if n := eng.lookups.Load(); n != 2 {
		t.Fatalf("%d lookups, want 2: the first, then one for partition 5", n)
	}
}

// TestWaitReadyBacksOff: while the brokers are down, WaitReady pauses
// between tries instead of spinning a core.
func TestWaitReadyBacksOff(t *testing.T) {
	eng := &fakeEngine{notReady: errors.New("brokers unreachable")}
	store, _ := status.New()
	srv := newServer(t, eng, store)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := srv.WaitReady(ctx); err == nil {
		t.Fatal("WaitReady succeeded on an engine that is never ready")
	}
	if n := eng.readyCalls.Load(); n < 2 || n > 10 {
		t.Fatalf("%d readiness checks in 1s, want a few (50ms, 100ms, 200ms... apart)", n)
	}
}

// TestSyncBoundStoreFull: a 504 with the status store full of pending sends
// still answers, without a requestId, and says why.
func TestSyncBoundStoreFull(t *testing.T) {
	eng := &fakeEngine{hold: true, meta: threePartitions}
	store, err := status.New(status.MaxEntries(1))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newServer(t, eng, store, api.SyncTimeout(100*time.Millisecond),
		api.Logger(slog.New(slog.NewTextHandler(io.Discard, nil)))).Routes())
	defer srv.Close()
	_, first, _ := post(t, srv.URL+"/api/v1/send?mode=idempotent&eventId=a")
	if first["requestId"] == nil {
		t.Fatalf("first 504 has no requestId: %v", first)
	}
	code, second, raw := post(t, srv.URL+"/api/v1/send?mode=idempotent&eventId=b")
	labtest.CheckError(t, code, []byte(raw), http.StatusGatewayTimeout, "")
	if _, ok := second["requestId"]; ok {
		t.Fatalf("second 504 has a requestId with the store full: %s", raw)
	}
	if p, f := store.Counts(); p != 1 || f != 0 {
		t.Fatalf("store holds %d pending, %d finished; want 1, 0", p, f)
	}
	eng.release(prodlab.Delivery{Partition: 0, Offset: 1})
}
