package kproxy_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/conntest"
	"github.com/prodlab/prodlab/internal/kproxy"
	"github.com/prodlab/prodlab/internal/toxi"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// echo serves an echo upstream on a free port until t ends.
func echo(t *testing.T) string {
	t.Helper()
	ln := conntest.Listen(t)
	conntest.Serve(t, ln, func(c net.Conn) { _, _ = io.Copy(c, c) })
	return ln.Addr().String()
}

// toxiClient serves s's REST API on an httptest front for the test, and its client.
func toxiClient(t testing.TB, s *toxi.Server) *toxiclient.Client {
	t.Helper()
	front := httptest.NewServer(s.Routes())
	t.Cleanup(front.Close)
	tc, err := toxiclient.New(front.URL)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// dialer returns a relay in front of a new Toxiproxy, for DialContext.
func dialer(t *testing.T, opts ...kproxy.Opt) (*kproxy.Relay, *toxi.Server) {
	t.Helper()
	s, err := toxi.New(toxi.Logger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	r, err := kproxy.New(s, append([]kproxy.Opt{kproxy.Logger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, s
}

// TestDialerOnce dials two brokers and a seed from 64 goroutines at once:
// Toxiproxy ends up with exactly one proxy per address, named after the
// broker's node id (or, for the seed no broker advertises, its address),
// each forwarding to its address, and every connection echoes through it.
func TestDialerOnce(t *testing.T) {
	b0, b1, seed := echo(t), echo(t), echo(t)
	var lookups atomic.Int32
	d, s := dialer(t, kproxy.NodeIDs(func(context.Context) (map[string]int32, error) {
		lookups.Add(1)
		return map[string]int32{b0: 0, b1: 1}, nil
	}))
	addrs := []string{b0, b1, seed}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			<-start
			c, err := d.DialContext(ctx, "tcp", addrs[i%len(addrs)])
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write([]byte("ping")); err != nil {
				errs <- err
				return
			}
			b := make([]byte, 4)
			if _, err := io.ReadFull(c, b); err != nil || string(b) != "ping" {
				errs <- errors.Join(errors.New("no echo through the proxy: "+string(b)), err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := lookups.Load(); n != 3 {
		t.Errorf("node ids looked up %d times, want once per address (3)", n)
	}
	tc := toxiClient(t, s)
	m, err := tc.Proxies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, seedPort, _ := net.SplitHostPort(seed)
	want := map[string]string{"broker-0": b0, "broker-1": b1, "broker-127.0.0.1-" + seedPort: seed}
	if len(m) != len(want) {
		t.Fatalf("Toxiproxy has %d proxies, want %d: %v", len(m), len(want), m)
	}
	for name, up := range want {
		p := m[name]
		if p == nil || p.Upstream != up || !toxiclient.IsDialerProxy(name) {
			t.Errorf("proxy %s = %+v, want one to %s", name, p, up)
		}
	}
	if got := len(d.Brokers()); got != 3 {
		t.Errorf("Relay.Brokers lists %d, want 3", got)
	}
}

// TestDialerCap refuses a broker past the cap with ErrTooManyBrokers, not
// a connection around Toxiproxy, and keeps serving the others.
func TestDialerCap(t *testing.T) {
	a, b := echo(t), echo(t)
	d, s := dialer(t, kproxy.MaxBrokers(1))
	c, err := d.DialContext(t.Context(), "tcp", a)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := d.DialContext(t.Context(), "tcp", b); !errors.Is(err, kproxy.ErrTooManyBrokers) {
		t.Fatalf("dial past the cap = %v, want ErrTooManyBrokers", err)
	}
	if c, err = d.DialContext(t.Context(), "tcp", a); err != nil {
		t.Fatalf("dial of the proxied broker after a refusal: %v", err)
	}
	c.Close()
	for _, bad := range []string{"nohost", ":9092", "h:"} {
		if _, err := d.DialContext(t.Context(), "tcp", bad); err == nil {
			t.Errorf("dial of %q succeeded", bad)
		}
	}
	if _, err := d.DialContext(t.Context(), "udp", a); err == nil {
		t.Error("udp dial succeeded")
	}
	if _, err := kproxy.New(s, kproxy.MaxBrokers(0)); err == nil {
		t.Error("New took MaxBrokers(0)")
	}
}
