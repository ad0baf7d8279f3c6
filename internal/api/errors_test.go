package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/status"
	"github.com/prodlab/prodlab/internal/wait"
)

// lockedBuffer is a log sink the test reads while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestErrorBodiesHideClientErrors: a client error that names an address
// reaches the API's log whole, and its bodies (sync 502, async status,
// a refused send) with the address replaced; the README's error codes
// pass unchanged.
func TestErrorBodiesHideClientErrors(t *testing.T) {
	const addr = "10.9.8.7:29093"
	dial := errors.New("unable to dial: dial tcp " + addr + ": connect: connection refused")
	var log lockedBuffer
	routes := func(eng *fakeEngine) http.Handler {
		store, err := status.New()
		if err != nil {
			t.Fatal(err)
		}
		srv, err := api.New(eng, store, api.Logger(slog.New(slog.NewTextHandler(&log, nil))))
		if err != nil {
			t.Fatal(err)
		}
		return srv.Routes()
	}
	held := &fakeEngine{hold: true}
	h := routes(held)
	for _, c := range []struct {
		err        error
		want, hide string
	}{
		{dial, "send failed: unable to dial: dial tcp <address>: connect: connection refused", addr},
		{errors.New("Local: Message timed out"), "send failed: Local: Message timed out", ""},
		{fmt.Errorf("record failed after being retried too many times: %w", dial), "send failed: record failed after being retried too many times: unable to dial", addr},
		{errors.New("get http://[fd00::1]:8080/x: refused"), "send failed: get <address> refused", "fd00"},
	} {
		done := make(chan []byte, 1)
		go func() { done <- serve(t, h, "POST", "/api/v1/send?mode=plain&eventId=F").Body.Bytes() }()
		held.waitHeld(t, 1)
		held.release(prodlab.Delivery{Err: c.err})
		body := <-done
		var eb struct{ Error string }
		if err := json.Unmarshal(body, &eb); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if !strings.HasPrefix(eb.Error, c.want) || (c.hide != "" && strings.Contains(string(body), c.hide)) {
			t.Errorf("delivery error %q: body %s, want %q without %q", c.err, body, c.want, c.hide)
		}
	}

	// Async: the status names no address either.
	w := serve(t, h, "POST", "/api/v1/send?mode=plain&sendMode=async&eventId=A")
	var acc struct{ RequestID string }
	if err := json.Unmarshal(w.Body.Bytes(), &acc); err != nil || acc.RequestID == "" {
		t.Fatalf("async send: %d %s", w.Code, w.Body)
	}
	held.waitHeld(t, 1)
	held.release(prodlab.Delivery{Partition: -1, Offset: -1, Err: dial})
	w = serve(t, h, "GET", "/api/v1/status?requestId="+acc.RequestID)
	var st struct{ State, Error string }
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || st.State != "ERROR" ||
		st.Error != "unable to dial: dial tcp <address>: connect: connection refused" || strings.Contains(w.Body.String(), addr) {
		t.Errorf("status of a failed async send: %s", w.Body)
	}

	// A send the engine refuses: 503 for a replaced producer, 500 else.
	for _, c := range []struct {
		err  error
		code int
	}{
		{fmt.Errorf("librdkafka plain producer hit a fatal error and is being replaced (%v): %w", dial, prodlab.ErrClosed), http.StatusServiceUnavailable},
		{dial, http.StatusInternalServerError},
	} {
		w := serve(t, routes(&fakeEngine{produceErr: c.err}), "POST", "/api/v1/send?mode=plain&eventId=R")
		labtest.CheckError(t, w.Code, w.Body.Bytes(), c.code, "")
		if strings.Contains(w.Body.String(), addr) {
			t.Errorf("refused send %q: body %s names the address", c.err, w.Body)
		}
	}
	deadline, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := wait.Until(deadline, func() bool { return strings.Count(log.String(), addr) >= 4 }); err != nil {
		t.Errorf("the log does not keep the raw errors:\n%s", log.String())
	}
}
