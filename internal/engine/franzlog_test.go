package engine_test

import (
	"context"
	"fmt"
	"github.com/prodlab/prodlab/internal/wait"
	"log/slog"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/logtest"
)

// lines renders the records of level min and above, one line each.
func lines(h *logtest.Handler, min slog.Level) []string {
	var out []string
	for _, rec := range h.Records(min) {
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
	logs := &logtest.Handler{}
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
	if wait.Until(ctx, func() bool { return len(lines(logs, slog.LevelInfo)) > 0 }) != nil {
		t.Fatalf("franz-go logged nothing under a 3 s latency toxic; debug lines:\n%s", strings.Join(lines(logs, slog.LevelDebug), "\n"))
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
	shown := lines(logs, slog.LevelInfo)
	t.Logf("lines at INFO and above:\n%s", strings.Join(shown, "\n"))
	t.Logf("franz-go's own lines, now at DEBUG:\n%s", strings.Join(lines(logs, slog.LevelDebug), "\n"))
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
