package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// TestRoutesContract drives Server.Routes() over the fake engine: every bad
// input is a 400 naming its field, and 404, 405 and the refused sends each
// have their JSON error; nothing refused reaches the producer.
func TestRoutesContract(t *testing.T) {
	eng, h := parseAPI(t)
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, c := range []struct {
		method, target string
		code           int
		field          string
		allow          string // the 405's Allow header
	}{
		{"POST", "/api/v1/send", 400, "mode", ""},
		{"POST", "/api/v1/send?mode=fast&eventId=e", 400, "mode", ""},
		{"POST", "/api/v1/send?mode=plain", 400, "eventId", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=", 400, "eventId", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=" + long(api.MaxEventIDLen+1), 400, "eventId", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&key=", 400, "key", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&key=" + long(api.MaxKeyLen+1), 400, "key", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&partition=x", 400, "partition", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&partition=-1", 400, "partition", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&partition=3", 400, "partition", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&partition=99999999999", 400, "partition", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&sendMode=later", 400, "sendMode", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&topic=a/b", 400, "topic", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&topic=..", 400, "topic", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&acks=0", 400, "acks", ""},
		{"POST", "/api/v1/send?mode=plain&mode=idempotent&eventId=e", 400, "mode", ""},
		{"GET", "/api/v1/status", 400, "requestId", ""},
		{"GET", "/api/v1/status?requestId=a&requestId=b", 400, "requestId", ""},
		{"GET", "/api/v1/status?requestId=a&x=1", 400, "x", ""},
		{"POST", "/api/v1/send?mode=plain&eventId=e&topic=nope", 404, "topic", ""},
		{"GET", "/api/v1/status?requestId=unknown", 404, "requestId", ""},
		{"GET", "/nope", 404, "", ""},
		{"GET", "/api/v1", 404, "", ""},
		{"POST", "/api/v1/sends", 404, "", ""},
		{"GET", "/api/v1/send?mode=plain&eventId=e", 405, "", "POST"},
		{"PUT", "/api/v1/send?mode=plain&eventId=e", 405, "", "POST"},
		{"POST", "/api/v1/status?requestId=a", 405, "", "GET, HEAD"},
		{"DELETE", "/health", 405, "", "GET, HEAD"},
	} {
		w := serve(t, h, c.method, c.target)
		name := c.method + " " + c.target
		if len(name) > 80 {
			name = name[:80] + "..."
		}
		t.Run(name, func(t *testing.T) {
			labtest.CheckError(t, w.Code, w.Body.Bytes(), c.code, c.field)
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := w.Header().Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}
	if sent := eng.take(); len(sent) != 0 {
		t.Fatalf("%d records produced by refused requests", len(sent))
	}
}

// TestRoutesUnavailable: a producer that takes no more sends answers 503
// with Retry-After, sync and async, and leaves no async status behind; any
// other producer error is a 500.
func TestRoutesUnavailable(t *testing.T) {
	for _, c := range []struct {
		err   error
		code  int
		retry string
	}{
		{prodlab.ErrBufferFull, 503, "1"},
		{prodlab.ErrClosed, 503, "1"},
		{errors.New("boom"), 500, ""},
	} {
		for _, sm := range []string{"sync", "async"} {
			eng := &fakeEngine{produceErr: c.err}
			h := fakeRoutes(t, eng)
			w := serve(t, h, "POST", "/api/v1/send?mode=idempotent&eventId=e&sendMode="+sm)
			labtest.CheckError(t, w.Code, w.Body.Bytes(), c.code, "")
			if got := w.Header().Get("Retry-After"); got != c.retry {
				t.Errorf("%v %s: Retry-After %q, want %q", c.err, sm, got, c.retry)
			}
			if strings.Contains(w.Body.String(), "requestId") {
				t.Errorf("%v %s: refused send has a requestId: %s", c.err, sm, w.Body)
			}
		}
	}
}

// TestRoutesShapes checks the bodies of a sync send, an async send and its
// status, a failed delivery and /health.
func TestRoutesShapes(t *testing.T) {
	eng, h := parseAPI(t)
	decode := func(t *testing.T, raw []byte) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%q is not JSON: %v", raw, err)
		}
		return m
	}

	w := serve(t, h, "POST", "/api/v1/send?mode=plain&eventId=E1&partition=2&topic=t2")
	want := map[string]any{"status": "OK", "topic": "t2", "partition": float64(2), "offset": float64(1),
		"eventId": "E1", "mode": "plain", "sendMode": "sync", "key": "E1", "engine": "fake"}
	if got := decode(t, w.Body.Bytes()); w.Code != 200 || !reflect.DeepEqual(got, want) {
		t.Fatalf("sync send = %d %v, want 200 %v", w.Code, got, want)
	}
	if sent := eng.take(); len(sent) != 1 || sent[0].Topic != "t2" || sent[0].Partition != 2 || string(sent[0].Key) != "E1" {
		t.Fatalf("produced %+v", sent)
	}

	w = serve(t, h, "POST", "/api/v1/send?mode=idempotent&eventId=E2&sendMode=async&key=k")
	got := decode(t, w.Body.Bytes())
	id, _ := got["requestId"].(string)
	if w.Code != 202 || len(id) != 32 {
		t.Fatalf("async send = %d %v, want 202 with a requestId", w.Code, got)
	}
	delete(got, "requestId")
	want = map[string]any{"status": "ACCEPTED", "state": "PENDING", "topic": prodlab.DefaultTopic,
		"eventId": "E2", "mode": "idempotent", "sendMode": "async", "key": "k", "engine": "fake"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("async send = %v, want %v", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var st map[string]any
	if err := wait.Until(ctx, func() bool {
		st = decode(t, serve(t, h, "GET", "/api/v1/status?requestId="+id).Body.Bytes())
		return st["state"] != "PENDING"
	}); err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"state": "OK", "requestId": id, "eventId": "E2", "topic": prodlab.DefaultTopic,
		"partition": float64(1), "offset": float64(1)} // take() reset the count
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("status = %v, want %v", st, want)
	}

	// A failed delivery: 502, or 404 when the broker says the topic is gone.
	held := &fakeEngine{hold: true}
	hh := fakeRoutes(t, held)
	for _, c := range []struct {
		err  error
		code int
	}{{errors.New("NOT_ENOUGH_REPLICAS"), 502}, {prodlab.ErrUnknownTopic, 404}} {
		done := make(chan int, 1)
		go func() { done <- serve(t, hh, "POST", "/api/v1/send?mode=plain&eventId=F").Code }()
		held.waitHeld(t, 1)
		held.release(prodlab.Delivery{Err: c.err})
		if code := <-done; code != c.code {
			t.Errorf("delivery error %v: %d, want %d", c.err, code, c.code)
		}
	}

	for _, m := range []string{"GET", "HEAD"} {
		w = serve(t, h, m, "/health")
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("%s /health = %d %q", m, w.Code, w.Header().Get("Content-Type"))
		}
	}
	if w := serve(t, h, "GET", "/health"); w.Body.String() != "OK" {
		t.Errorf("/health body %q", w.Body)
	}
}
