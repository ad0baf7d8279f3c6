package api_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/metrics"
	"github.com/prodlab/prodlab/internal/status"
	"github.com/prodlab/prodlab/internal/wait"
)

// fakeEngine is the one fake producer of the api tests. Produce records
// every message; it fails with produceErr if set, holds the answer until
// release with hold, and otherwise answers at once from another goroutine:
// partition m.Partition (1 for AnyPartition), offset the count of messages
// so far. Partitions answers from meta; a nil meta gives DefaultTopic and
// t2 three partitions and calls every other topic unknown. Ready answers
// notReady.
type fakeEngine struct {
	hold       bool
	produceErr error
	notReady   error

	mu   sync.Mutex
	meta func(topic string) (int32, error)
	sent []prodlab.Message
	held []func(prodlab.Delivery)
	gate chan struct{} // if set, Partitions waits on it

	lookups    atomic.Int32
	readyCalls atomic.Int64
}

func (f *fakeEngine) Name() string                   { return "fake" }
func (f *fakeEngine) DeliveryTimeout() time.Duration { return time.Second }
func (f *fakeEngine) Flush(context.Context) error    { return nil }
func (f *fakeEngine) Close()                         {}

func (f *fakeEngine) Ready(context.Context) error {
	f.readyCalls.Add(1)
	return f.notReady
}

func (f *fakeEngine) Produce(_ prodlab.Mode, m prodlab.Message, fn func(prodlab.Delivery)) error {
	if f.produceErr != nil {
		return f.produceErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	if f.hold {
		f.held = append(f.held, fn)
		return nil
	}
	p := m.Partition
	if p == prodlab.AnyPartition {
		p = 1
	}
	go fn(prodlab.Delivery{Topic: m.Topic, Partition: p, Offset: int64(len(f.sent))})
	return nil
}

func (f *fakeEngine) Partitions(ctx context.Context, topic string) (int32, error) {
	f.lookups.Add(1)
	f.mu.Lock()
	meta, gate := f.meta, f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if meta == nil {
		if topic == prodlab.DefaultTopic || topic == "t2" {
			return 3, nil
		}
		return 0, prodlab.ErrUnknownTopic
	}
	return meta(topic)
}

func (f *fakeEngine) setMeta(fn func(string) (int32, error)) {
	f.mu.Lock()
	f.meta = fn
	f.mu.Unlock()
}

// take returns the messages produced so far and forgets them.
func (f *fakeEngine) take() (out []prodlab.Message) {
	f.mu.Lock()
	out, f.sent = f.sent, nil
	f.mu.Unlock()
	return
}

// release answers every held delivery with d.
func (f *fakeEngine) release(d prodlab.Delivery) int {
	f.mu.Lock()
	held := f.held
	f.held = nil
	f.mu.Unlock()
	for _, fn := range held {
		fn(d)
	}
	return len(held)
}

// waitHeld waits until f holds n deliveries, failing t after 5s.
func (f *fakeEngine) waitHeld(t testing.TB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := wait.Until(ctx, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.held) == n
	}); err != nil {
		t.Fatal(err)
	}
}

// fakeRoutes returns the routes of a Server over eng, its logs discarded:
// Routes(), and the fasthttp handler the lab serves, which serve uses.
func fakeRoutes(t testing.TB, eng *fakeEngine, opts ...api.Opt) http.Handler {
	t.Helper()
	store, err := status.New()
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]api.Opt{api.Logger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	srv := newServer(t, eng, store, opts...)
	guard, err := httpguard.New()
	if err != nil {
		t.Fatal(err)
	}
	return fastRoutes{srv.Routes(), guard.Fast(srv.Fast, srv.Routes())}
}

// fastRoutes is a Server's Routes() and the guarded fasthttp handler in
// front of them, as the lab serves it.
type fastRoutes struct {
	http.Handler
	fast fasthttp.RequestHandler
}

// readBufferSize is lab.ServeAPI's fasthttp ReadBufferSize: the longest
// request head the API reads.
const readBufferSize = 64 << 10

// serveFast runs one request through h in process and returns its answer
// as a recorder. The request is read from its wire form by fasthttp's own
// parser, with the server's buffer size: a target the parser refuses gets
// the server's plain-text answer (431 for a head longer than the buffer, 400
// for a control byte or a space) and never reaches h.
func (h fastRoutes) serveFast(method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	var req fasthttp.Request
	wire := method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
	if err := req.Read(bufio.NewReaderSize(strings.NewReader(wire), readBufferSize)); err != nil {
		if _, ok := err.(*fasthttp.ErrSmallBuffer); ok {
			w.WriteHeader(http.StatusRequestHeaderFieldsTooLarge)
			_, _ = w.WriteString("Too big request header")
			return w
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.WriteString("Error when parsing request")
		return w
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)
	h.fast(&ctx)
	for k, v := range ctx.Response.Header.All() {
		w.Header().Add(string(k), string(v))
	}
	w.WriteHeader(ctx.Response.StatusCode())
	_, _ = w.Write(ctx.Response.Body())
	return w
}

// newServer is api.New, failing t on error.
func newServer(t testing.TB, eng prodlab.Producer, store *status.Store, opts ...api.Opt) *api.Server {
	t.Helper()
	srv, err := api.New(eng, store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// parseAPI returns a fake engine and the routes in front of it.
func parseAPI(t testing.TB) (*fakeEngine, http.Handler) {
	eng := &fakeEngine{}
	return eng, fakeRoutes(t, eng)
}

// fakeServer serves a Server over eng on a loopback port with the lab's
// server (lab.ServeAPI), until t ends, and returns its URL.
func fakeServer(t *testing.T, eng *fakeEngine, opts ...api.Opt) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return fakeServerOn(t, ln, eng, opts...)
}

// fakeServerOn is fakeServer on ln.
func fakeServerOn(t *testing.T, ln net.Listener, eng *fakeEngine, opts ...api.Opt) string {
	t.Helper()
	store, err := status.New()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := &lab.API{Server: newServer(t, eng, store, append([]api.Opt{api.Logger(logger)}, opts...)...), Store: store, Metrics: metrics.New(eng, store)}
	guard, err := httpguard.New()
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := lab.ServeAPI(ln, a, guard, 10*time.Second, time.Minute, logger)
	t.Cleanup(func() { srv.Shutdown() })
	return "http://" + ln.Addr().String()
}
