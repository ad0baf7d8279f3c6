package engine_test

import (
	"context"
	"fmt"
	"github.com/prodlab/prodlab/internal/wait"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/labtest"
)

// records is a slog.Handler that keeps every record.
type records struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec.Clone())
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) lines(min slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.recs {
		if rec.Level < min {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
		rec.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		out = append(out, b.String())
	}
	return out
}

// TestFranzLogsNameTheFault: under a latency toxic longer than the request
// timeout, franz-go's warnings (is_retryable_err=false while it retries,
// "is SASL missing?") become one INFO line naming the fault.
func TestFranzLogsNameTheFault(t *testing.T) {
	l := labtest.Start(t)
	logs := &records{}
	e := newEngine(t, l, prodlab.Franz, func(c *prodlab.Config) { c.Logger = slog.New(logs) })
	ready(t, e)
	topic := labtest.Topic(t, l, 1, nil)
	syncSend(t, e, prodlab.Plain, message(topic, "warm"))

	proxy, err := toxiproxy.NewClient(l.ToxiproxyURL()).Proxy("kafka")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proxy.AddToxic("slow", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 3000}); err != nil {
		t.Fatal(err)
	}
	removed := false
	remove := func() {
		if !removed {
			removed = true
			if err := proxy.RemoveToxic("slow"); err != nil {
				t.Errorf("remove toxic: %v", err)
			}
		}
	}
	defer remove()
	done := make(chan prodlab.Delivery, 1)
	if err := e.Produce(prodlab.Plain, message(topic, "slow"), func(d prodlab.Delivery) { done <- d }); err != nil {
		t.Fatal(err)
	}
	// Wait until franz-go has said something about the fault.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if wait.Until(ctx, func() bool { return len(logs.lines(slog.LevelInfo)) > 0 }) != nil {
		t.Fatalf("franz-go logged nothing under a 3 s latency toxic; debug lines:\n%s", strings.Join(logs.lines(slog.LevelDebug), "\n"))
	}
	remove()
	select {
	case d := <-done:
		if d.Err != nil {
			t.Fatalf("send after the toxic: %v", d.Err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no delivery 60 s after the toxic was removed")
	}
	shown := logs.lines(slog.LevelInfo)
	t.Logf("lines at INFO and above:\n%s", strings.Join(shown, "\n"))
	t.Logf("franz-go's own lines, now at DEBUG:\n%s", strings.Join(logs.lines(slog.LevelDebug), "\n"))
	named := false
	for _, s := range shown {
		for _, bad := range []string{"is_retryable_err", "SASL", "TLS misconfigured"} {
			if strings.Contains(s, bad) {
				t.Errorf("a misleading line reaches the terminal: %s", s)
			}
		}
		named = named || strings.Contains(s, "cause=")
	}
	if !named {
		t.Errorf("no line names the fault's cause")
	}
}
