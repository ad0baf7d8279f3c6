package toxi

import (
	"context"
	"errors"
	"github.com/prodlab/prodlab/internal/conntest"
	"github.com/prodlab/prodlab/internal/wait"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// serve runs handle on each connection to a free port until t ends, and
// returns its address.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln := conntest.Listen(t)
	conntest.Serve(t, ln, handle)
	return ln.Addr().String()
}

// echo serves an echo upstream on a free port.
func echo(t *testing.T) string {
	return serve(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
}

// roundTrip fails t unless addr echoes a line.
func roundTrip(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial proxy: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	if _, err := io.ReadFull(c, b); err != nil || string(b) != "ping\n" {
		t.Fatalf("echo through the proxy: %q %v", b, err)
	}
}

func start(t *testing.T, opts ...Opt) *Server {
	t.Helper()
	s, err := New(append([]Opt{Logger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// waitRestart waits until the server restarted n times and serves again.
func waitRestart(t *testing.T, s *Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if wait.Until(ctx, func() bool { return s.Restarts() >= n && s.pid() != 0 }) != nil {
		t.Fatalf("restarts = %d, want %d", s.Restarts(), n)
	}
}

func (s *Server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return 0
	}
	return s.cur.cmd.Process.Pid
}

// TestRestart kills the child, then stops it so that its API no longer
// answers: each time the supervisor starts a new one, with the proxy on the
// same address and no toxics.
func TestRestart(t *testing.T) {
	s := start(t, Watchdog(500*time.Millisecond))
	addr, err := s.AddProxy("echo", "127.0.0.1:0", echo(t))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, addr)
	srv := &http.Server{Handler: s.Routes()}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	api := "http://" + ln.Addr().String()
	post := func(path, body string) int {
		resp, err := http.Post(api+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/proxies/echo/toxics", `{"name":"slow","type":"latency","attributes":{"latency":10}}`); code != http.StatusOK {
		t.Fatalf("add toxic: %d", code)
	}

	old := s.pid()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitRestart(t, s, 1)
	if s.pid() == old {
		t.Fatal("same child after a kill")
	}
	roundTrip(t, addr)
	resp, err := http.Get(api + "/proxies/echo/toxics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(raw)) != "[]" {
		t.Fatalf("toxics after a restart: %s", raw)
	}

	// A stopped child answers nothing, as a wedged one: the watchdog kills it.
	old = s.pid()
	if err := syscall.Kill(old, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitRestart(t, s, 2)
	roundTrip(t, addr)
	if code := post("/reset", ""); code != http.StatusNoContent {
		t.Fatalf("reset: %d", code)
	}

	// Close stops the child.
	ch := s.cur
	s.Close()
	select {
	case <-ch.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the child outlived Close")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Reset(ctx); err != ErrClosed {
		t.Fatalf("Reset after Close: %v", err)
	}
}

// TestAddProxyPortInUse: the child's failed bind comes back as the
// parent's own would, an EADDRINUSE, and a name the child refuses as its
// status and sentence.
func TestAddProxyPortInUse(t *testing.T) {
	s := start(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := s.AddProxy("busy", held.Addr().String(), echo(t)); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("AddProxy on a held port = %v, want EADDRINUSE", err)
	}
	if _, err := s.AddProxy("twice", "127.0.0.1:0", echo(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddProxy("twice", "127.0.0.1:0", echo(t)); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("AddProxy of a taken name = %v, want Toxiproxy's 409", err)
	}
}
