package api_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
)

// TestObserve checks that every answer reaches the observers once, with
// what the send asked for and what the broker answered.
func TestObserve(t *testing.T) {
	var (
		mu     sync.Mutex
		events []api.Event
	)
	got := make(chan api.EventKind, 16)
	eng := &fakeEngine{}
	h := fakeRoutes(t, eng, api.Observe(func(ev api.Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
		got <- ev.Kind
	}))
	next := func(want api.EventKind) api.Event {
		t.Helper()
		select {
		case k := <-got:
			if k != want {
				t.Fatalf("event %s, want %s", k, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s event", want)
		}
		mu.Lock()
		defer mu.Unlock()
		return events[len(events)-1]
	}

	serve(t, h, "GET", "/health")
	if ev := next(api.Health); ev.Code != 200 || ev.Engine != "fake" {
		t.Fatalf("health event %+v", ev)
	}
	serve(t, h, "POST", "/api/v1/send?mode=plain")
	if ev := next(api.Sent); ev.Code != 400 {
		t.Fatalf("bad send event %+v", ev)
	}
	serve(t, h, "POST", "/api/v1/send?mode=idempotent&eventId=e1&key=k&partition=2")
	ev := next(api.Sent)
	if ev.Code != 200 || ev.Mode != prodlab.Idempotent || ev.SendMode != prodlab.Sync || ev.EventID != "e1" || ev.Key != "k" ||
		ev.Partition != 2 || ev.Delivery == nil || ev.Delivery.Partition != 2 || ev.Elapsed <= 0 {
		t.Fatalf("sync send event %+v", ev)
	}
	w := serve(t, h, "POST", "/api/v1/send?mode=plain&eventId=e2&sendMode=async")
	var acc api.SendResult
	if err := json.Unmarshal(w.Body.Bytes(), &acc); err != nil {
		t.Fatal(err)
	}
	// The fake answers from another goroutine: the delivery may come
	// before or after the 202's event.
	first, second := <-got, <-got
	if !(first == api.Sent && second == api.Delivered || first == api.Delivered && second == api.Sent) {
		t.Fatalf("async events %s, %s", first, second)
	}
	mu.Lock()
	for _, e := range events[len(events)-2:] {
		if e.RequestID != acc.RequestID || e.EventID != "e2" || e.SendMode != prodlab.Async {
			t.Fatalf("async event %+v, want requestId %s", e, acc.RequestID)
		}
		if e.Kind == api.Delivered && (e.Delivery == nil || e.Delivery.Err != nil || e.Code != 0) {
			t.Fatalf("delivery event %+v", e)
		}
		if e.Kind == api.Sent && e.Code != 202 {
			t.Fatalf("accepted event %+v", e)
		}
	}
	mu.Unlock()
	serve(t, h, "GET", "/api/v1/status?requestId="+acc.RequestID)
	if ev := next(api.Polled); ev.Code != 200 || ev.State != prodlab.OK || ev.EventID != "e2" {
		t.Fatalf("status event %+v", ev)
	}
}
