// Package toxi runs Toxiproxy's REST API in a supervised child process, as
// v2.12.0 can panic or wedge it when toxics change while connections close
// (Shopify/toxiproxy#558). A child that exits or stops answering is replaced
// by one with the same proxies on the same ports and no toxics.
package toxi

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// ErrClosed means the Server was closed.
var ErrClosed = errors.New("toxiproxy is closed")

// errBusy means another toxic change held the lock past the caller's context.
var errBusy = errors.New("waiting for another toxic change")

// Opt configures a Server.
type Opt func(*cfg)

type cfg struct {
	verbose  bool
	watchdog time.Duration
	timeout  time.Duration
	logger   *slog.Logger

	observers []func(Change)
}

// Verbose lets Toxiproxy log every connection, default false (errors only).
func Verbose(v bool) Opt { return func(c *cfg) { c.verbose = v } }

// Watchdog is how long Toxiproxy's API may take to list its proxies
// before the child is killed and restarted, default 30 s (a slow toxic
// removal may take 25 s, see docs/experiment.md).
func Watchdog(d time.Duration) Opt { return func(c *cfg) { c.watchdog = d } }

// RequestTimeout bounds each REST call through Routes, default 25 s, as
// Toxiproxy's own server.
func RequestTimeout(d time.Duration) Opt { return func(c *cfg) { c.timeout = d } }

// Logger receives the supervisor's logs, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// Server is Toxiproxy in a supervised child process.
type Server struct {
	cfg    cfg
	token  string        // the child's secret, see guard.go
	change chan struct{} // one toxic change at a time
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup

	mu       sync.Mutex
	proxies  []proxySpec
	cur      *child        // nil while (re)starting
	up       chan struct{} // closed once cur is set
	restarts int
	closed   bool
}

type proxySpec struct{ name, listen, upstream string }

// child is one Toxiproxy process.
type child struct {
	cmd    *exec.Cmd
	api    string             // base URL of its REST API
	tc     *toxiclient.Client // its client, with the token
	exited chan struct{}
	err    error // set before exited closes
}

// New starts the child, with no proxy, and supervises it until Close.
func New(opts ...Opt) (*Server, error) {
	c := cfg{watchdog: 30 * time.Second, timeout: 25 * time.Second, logger: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	switch {
	case c.watchdog < 100*time.Millisecond:
		return nil, fmt.Errorf("toxi: Watchdog must be >= 100ms, got %v", c.watchdog)
	case c.timeout <= 0:
		return nil, fmt.Errorf("toxi: RequestTimeout must be > 0, got %v", c.timeout)
	case c.logger == nil:
		return nil, errors.New("toxi: Logger must not be nil")
	}
	// 256 random bits: 128 per Text.
	s := &Server{cfg: c, token: rand.Text() + rand.Text(), change: make(chan struct{}, 1), done: make(chan struct{}), up: make(chan struct{})}
	if err := s.spawn(); err != nil {
		return nil, err
	}
	s.wg.Add(1)
	go s.supervise()
	return s, nil
}

// spawn starts a child, gives it the proxies and makes it current.
func (s *Server) spawn() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("toxiproxy: %w", err)
	}
	mode := "quiet"
	if s.cfg.verbose {
		mode = "verbose"
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = ownGroup() // a terminal's Ctrl-C is the parent's to handle
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("toxiproxy: start %s: %w", exe, err)
	}
	ch := &child{cmd: cmd, exited: make(chan struct{})}
	// The token goes through the pipe, which no other process can read.
	go func() { _, _ = io.WriteString(stdin, s.token+"\n") }()
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		l, _ := r.ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, r)
	}()
	go func() {
		ch.err = cmd.Wait()
		close(ch.exited)
	}()
	fail := func(err error) error {
		_ = cmd.Process.Kill()
		<-ch.exited
		return err
	}
	select {
	case l := <-line:
		if _, _, err := net.SplitHostPort(strings.TrimSuffix(l, "\n")); err != nil {
			return fail(fmt.Errorf("toxiproxy: the child said %q", l))
		}
		ch.api = "http://" + strings.TrimSuffix(l, "\n")
	case <-ch.exited:
		return fail(fmt.Errorf("toxiproxy: the child exited at start: %v", ch.err))
	case <-time.After(60 * time.Second): // a cold start of a big binary on a loaded machine
		return fail(errors.New("toxiproxy: the child did not start in 60s"))
	}
	// The caller's User-Agent, no redirect, no timeout but the context.
	ch.tc, err = toxiclient.New(ch.api, httpjson.WithHTTPClient(&http.Client{}), httpjson.WithUserAgent(""),
		httpjson.WithHeader(tokenHeader, s.token), httpjson.NoRedirects())
	if err != nil {
		return fail(err)
	}
	s.mu.Lock()
	specs := slices.Clone(s.proxies)
	s.mu.Unlock()
	for _, p := range specs {
		if _, err := s.createProxy(ch, p); err != nil {
			return fail(err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = ch
	close(s.up)
	return nil
}

// createProxy adds p to the child ch and returns its listen address.
func (s *Server) createProxy(ch *child, p proxySpec) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	px, err := ch.tc.CreateProxy(ctx, p.name, p.listen, p.upstream)
	var ae *toxiclient.APIError
	switch {
	case errors.As(err, &ae) && strings.Contains(ae.Message, "address already in use"):
		// The child's bind failed: say so as the parent's own would.
		addr, _ := net.ResolveTCPAddr("tcp", p.listen)
		return "", fmt.Errorf("toxiproxy proxy %s: %w", p.name,
			&net.OpError{Op: "listen", Net: "tcp", Addr: addr, Err: os.NewSyscallError("bind", syscall.EADDRINUSE)})
	case ae != nil:
		return "", fmt.Errorf("toxiproxy proxy %s on %s: %d %s", p.name, p.listen, ae.Status, ae.Message)
	case err != nil:
		// The raw error names the child's address: logged, not returned.
		s.cfg.logger.Warn("toxiproxy: creating a proxy", "proxy", p.name, "err", err)
		return "", fmt.Errorf("toxiproxy proxy %s on %s: toxiproxy did not answer", p.name, p.listen)
	}
	return px.Listen, nil
}

// acquire waits, until ctx ends, for the change lock if change is true,
// then for a running child; release gives the lock back.
func (s *Server) acquire(ctx context.Context, change bool) (_ *child, release func(), err error) {
	unlock := func() {}
	if change {
		select {
		case s.change <- struct{}{}:
			unlock = func() { <-s.change }
		case <-s.done:
			return nil, nil, ErrClosed
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("%w: %w", errBusy, ctx.Err())
		}
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	for {
		s.mu.Lock()
		ch, up, closed := s.cur, s.up, s.closed
		s.mu.Unlock()
		if closed {
			return nil, nil, ErrClosed
		}
		if ch != nil {
			return ch, unlock, nil
		}
		select {
		case <-up:
		case <-s.done:
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("toxiproxy is restarting: %w", ctx.Err())
		}
	}
}

// supervise restarts the child each time it exits, until Close, and every
// quarter watchdog checks it.
func (s *Server) supervise() {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.watchdog / 4)
	defer tick.Stop()
	for {
		s.mu.Lock()
		ch := s.cur
		s.mu.Unlock()
		select {
		case <-s.done:
			return
		case <-tick.C:
			s.check(ch)
			continue
		case <-ch.exited:
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		s.cur, s.up = nil, make(chan struct{})
		s.restarts++
		n := s.restarts
		s.mu.Unlock()
		s.cfg.logger.Error("toxiproxy stopped: restarting it with its proxies and no toxics", "exit", fmt.Sprint(ch.err), "restarts", n)
		backoff := 100 * time.Millisecond
		for {
			err := s.spawn()
			if err == nil {
				s.emit(Change{Reset: true, Lost: true})
				break
			}
			s.cfg.logger.Error("toxiproxy restart failed", "err", err, "retry_in", backoff)
			select {
			case <-s.done:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

// check kills ch if its API does not list the proxies (which takes every
// proxy's lock) within the watchdog.
func (s *Server) check(ch *child) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.watchdog)
	defer cancel()
	if _, err := ch.tc.Proxies(ctx); err != nil && ctx.Err() != nil {
		select {
		case <-ch.exited:
		case <-s.done:
		default:
			s.cfg.logger.Error("toxiproxy wedged: its API did not list the proxies in time; killing it", "watchdog", s.cfg.watchdog)
			_ = ch.cmd.Process.Kill()
		}
	}
}

// AddProxy starts a proxy from listen (port 0: any) to upstream and
// returns its address, which a restarted child keeps.
func (s *Server) AddProxy(name, listen, upstream string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch, release, err := s.acquire(ctx, true)
	if err != nil {
		return "", err
	}
	defer release()
	addr, err := s.createProxy(ch, proxySpec{name, listen, upstream})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.proxies = append(s.proxies, proxySpec{name, addr, upstream})
	s.mu.Unlock()
	return addr, nil
}

// Proxies maps each proxy's listen address to its upstream.
func (s *Server) Proxies() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]string, len(s.proxies))
	for _, p := range s.proxies {
		m[p.listen] = p.upstream
	}
	return m
}

// Restarts counts the child's restarts since New.
func (s *Server) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// Reset removes every toxic and enables every proxy; if Toxiproxy does
// not answer before ctx ends, it kills the child, whose successor has none.
func (s *Server) Reset(ctx context.Context) error {
	ch, release, err := s.acquire(ctx, true)
	if err != nil {
		return err
	}
	defer release()
	if err := ch.tc.Reset(ctx); err != nil {
		s.cfg.logger.Error("toxiproxy reset failed: killing it", "err", err)
		_ = ch.cmd.Process.Kill()
		<-ch.exited
	}
	s.emit(Change{Reset: true, Lost: true})
	return nil
}

// Close stops the child and its proxies.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.wg.Wait() // no restart after this
	s.mu.Lock()
	ch := s.cur
	s.mu.Unlock()
	if ch == nil {
		return
	}
	// Kill: the child holds nothing to save, and may be wedged.
	_ = ch.cmd.Process.Kill()
	<-ch.exited
}
