package validate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/validate"
)

// seedAPI is a producer API that follows the seed's contract the way the
// seed's Java API does: the eventId only in the JSON value, no header. It
// produces through the lab's proxies with the lab's 1 s request timeout.
func seedAPI(t *testing.T, proxies []string) string {
	t.Helper()
	common := []kgo.Opt{
		kgo.SeedBrokers(proxies...),
		kgo.ProduceRequestTimeout(500 * time.Millisecond),
		kgo.RequestTimeoutOverhead(500 * time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
		kgo.ProducerLinger(0),
	}
	plain, err := kgo.NewClient(append(common, kgo.DisableIdempotentWrite(), kgo.RequiredAcks(kgo.LeaderAck()), kgo.RecordRetries(10))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plain.Close)
	idem, err := kgo.NewClient(append(common, kgo.RequiredAcks(kgo.AllISRAcks()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idem.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "OK") })
	mux.HandleFunc("POST /api/v1/send", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		cl := idem
		if q.Get("mode") == "plain" {
			cl = plain
		}
		v, _ := json.Marshal(map[string]any{"eventId": q.Get("eventId"), "mode": q.Get("mode"), "sendMode": "sync"})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rec, err := cl.ProduceSync(ctx, &kgo.Record{Topic: q.Get("topic"), Key: []byte(q.Get("eventId")), Value: v}).First()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `{"status":"OK","partition":%d,"offset":%d}`, rec.Partition, rec.Offset)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestValidateSeedContract validates an API whose records carry the eventId
// only in their JSON value, as the seed's: its copies are counted, and its
// windows end as soon as the broker holds the record and the request timed
// out, not at the 17 s deadline.
func TestValidateSeedContract(t *testing.T) {
	l := labtest.Start(t)
	topic := labtest.Topic(t, l, 3, nil)
	cfg := config(t, l, topic)
	cfg.APIs = []validate.API{{Name: "seed", URL: seedAPI(t, l.ProxyAddrs())}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := validate.Run(ctx, cfg)
	var out strings.Builder
	_ = rep.WriteText(&out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if got := rep.Summary(); got != "OK: seed_idempotent=1 seed_plain=2" {
		t.Fatalf("summary %q, want OK: seed_idempotent=1 seed_plain=2", got)
	}
	for _, r := range rep.Runs {
		if limit := cfg.RequestTimeout + 5*time.Second; r.Window > limit {
			t.Errorf("%s: the window lasted %v, more than %v: it did not end on the record it saw", r.Name(), r.Window, limit)
		}
		got := labtest.Count(t, l, topic, r.EventID)
		if len(got) != len(r.Copies) {
			t.Errorf("%s: the report has %d copies, the log %d", r.Name(), len(r.Copies), len(got))
		}
		for _, rec := range got {
			if len(rec.Headers) != 0 {
				t.Errorf("%s: a record with headers %v: the test must write none", r.Name(), rec.Headers)
			}
		}
	}
}
