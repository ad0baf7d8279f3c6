package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
)

// TestClient checks the client's requests and its decoding of every answer
// shape of the contract, against a handler that answers them.
func TestClient(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
		switch r.URL.Query().Get("eventId") + r.URL.Query().Get("requestId") + r.URL.Path {
		case "ok/api/v1/send":
			fmt.Fprint(w, `{"status":"OK","topic":"t","partition":2,"offset":7,"eventId":"ok","engine":"franz"}`)
		case "bad/api/v1/send":
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"partition 9 is out of range","field":"partition","status":400}`)
		case "full/api/v1/send":
			w.WriteHeader(503)
			fmt.Fprint(w, `{"error":"too many async sends in flight: retry later","status":503}`)
		case "slow/api/v1/send":
			w.WriteHeader(504)
			fmt.Fprint(w, `{"error":"no answer","status":504,"requestId":"r1","eventId":"slow"}`)
		case "text/api/v1/send":
			w.WriteHeader(502)
			fmt.Fprint(w, "broker down\n")
		case "r1/api/v1/status":
			fmt.Fprint(w, `{"state":"OK","requestId":"r1","eventId":"slow","topic":"t","partition":0,"offset":3}`)
		case "/health":
			w.WriteHeader(503)
			fmt.Fprint(w, `{"error":"NOT READY","status":503}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	if _, err := api.NewClient("127.0.0.1:1"); err == nil {
		t.Fatal("NewClient took a URL with no scheme")
	}
	c, err := api.NewClient(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	r, err := c.Send(ctx, api.SendParams{Mode: prodlab.Idempotent, SendMode: prodlab.Sync, EventID: "ok", Key: "k", Topic: "t", Partition: new(int32(2))})
	if err != nil || r.Status != "OK" || *r.Partition != 2 || *r.Offset != 7 || r.Engine != "franz" {
		t.Fatalf("send ok = %+v, %v", r, err)
	}
	if want := "POST /api/v1/send?eventId=ok&key=k&mode=idempotent&partition=2&sendMode=sync&topic=t"; got != want {
		t.Errorf("request = %q, want %q", got, want)
	}
	if _, err := c.Send(ctx, api.SendParams{EventID: "ok"}); err != nil || got != "POST /api/v1/send?eventId=ok" {
		t.Errorf("zero fields: request %q, %v; want them left out", got, err)
	}

	var ae *api.Error
	_, err = c.Send(ctx, api.SendParams{EventID: "bad"})
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Field != "partition" || ae.Error() != "400: partition 9 is out of range" {
		t.Errorf("400 = %#v", err)
	}
	if errors.Is(err, api.ErrRetryLater) || errors.Is(err, api.ErrUnknownOutcome) {
		t.Errorf("400 matches a sentinel: %v", err)
	}
	_, err = c.Send(ctx, api.SendParams{EventID: "full"})
	if !errors.Is(err, api.ErrRetryLater) || errors.Is(err, api.ErrUnknownOutcome) {
		t.Errorf("503 = %v, want ErrRetryLater only", err)
	}
	_, err = c.Send(ctx, api.SendParams{EventID: "slow"})
	if !errors.Is(err, api.ErrUnknownOutcome) || !errors.As(err, &ae) || ae.RequestID != "r1" || ae.EventID != "slow" {
		t.Errorf("504 = %#v, want ErrUnknownOutcome with its requestId", err)
	}
	_, err = c.Send(ctx, api.SendParams{EventID: "text"})
	if !errors.As(err, &ae) || ae.Status != 502 || ae.Message != "broker down" || ae.Body != "broker down" {
		t.Errorf("text error = %#v", err)
	}

	st, err := c.Status(ctx, "r1")
	if err != nil || st.State != "OK" || st.Offset == nil || *st.Offset != 3 || got != "GET /api/v1/status?requestId=r1" {
		t.Errorf("status = %+v, %v (request %q)", st, err, got)
	}
	if err := c.Health(ctx); !errors.Is(err, api.ErrRetryLater) {
		t.Errorf("health = %v, want a 503", err)
	}
}
