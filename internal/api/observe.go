package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/status"
)

// EventKind says which answer an Event reports.
type EventKind string

// The event kinds.
const (
	Health    EventKind = "health"   // GET /health answered
	Sent      EventKind = "send"     // POST /api/v1/send answered, whatever the code
	Delivered EventKind = "delivery" // an async send, or a sync one past its 504, got the broker's answer
	Polled    EventKind = "status"   // GET /api/v1/status answered
)

// Event reports one answer of the server to its observers (metrics,
// progress). Fields a kind does not have are zero.
type Event struct {
	Kind      EventKind
	Engine    string
	Code      int // the HTTP status answered; 0 for Delivered and a sync send whose client left
	Mode      prodlab.Mode
	SendMode  prodlab.SendMode
	Topic     string
	Key       string
	EventID   string
	RequestID string            // the async send's id (Sent 202 or 504, Delivered, Polled)
	Partition int32             // the partition asked for, or prodlab.AnyPartition
	Delivery  *prodlab.Delivery // the broker's answer, if any (Sent 200/502, Delivered)
	State     prodlab.State     // the state Polled answered
	// Elapsed runs from the request to the answer (Sent), or to the
	// broker's answer from the request (async) or the 504 (Delivered).
	Elapsed time.Duration
	Foreign bool // a browser sent it for a page of another origin (see Foreign); progress ignores it
}

// Foreign reports whether r came from a page of another origin: by
// Sec-Fetch-Site (another port of localhost is same-site), else by an
// Origin naming another host. curl and the console's server are not.
func Foreign(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	case "same-origin", "none":
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	u, err := url.Parse(o)
	return err != nil || !strings.EqualFold(u.Host, r.Host)
}

// Observe adds fn to the functions called with every Event, in the
// goroutine that answers; fn must return quickly. Default: none.
func Observe(fn func(Event)) Opt {
	return func(c *cfg) { c.observers = append(c.observers, fn) }
}

func (s *Server) emit(ev Event) {
	ev.Engine = s.eng.Name()
	for _, fn := range s.cfg.observers {
		fn(ev)
	}
}

// observed returns w and, when there are observers, where the code written
// through it is kept, for report.
func (s *Server) observed(w http.ResponseWriter) (http.ResponseWriter, *int) {
	if len(s.cfg.observers) == 0 {
		return w, nil
	}
	if fw, ok := w.(*fastWriter); ok {
		return fw, &fw.code
	}
	cw := &codeWriter{ResponseWriter: w}
	return cw, &cw.code
}

// report reports ev, answered with *code since start, unless code is nil.
func (s *Server) report(ev *Event, code *int, start time.Time) {
	if code != nil {
		ev.Code, ev.Elapsed = *code, time.Since(start)
		s.emit(*ev)
	}
}

// codeWriter remembers the status code written through it.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (c *codeWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codeWriter) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	return c.ResponseWriter.Write(b)
}

// delivered returns the callback of the send ev: it logs an async failure,
// keeps the answer under t, if any, and reports it as Delivered.
func (s *Server) delivered(ev Event, t status.Ticket, start time.Time) func(prodlab.Delivery) {
	return func(d prodlab.Delivery) {
		id := t.ID()
		if d.Err != nil && ev.SendMode == prodlab.Async {
			s.cfg.logger.Info("async send failed", "eventId", ev.EventID, "requestId", id, "err", d.Err)
		}
		s.store.Done(t, d) // ignores the zero Ticket
		if len(s.cfg.observers) > 0 {
			d := d // on the heap only when observed
			ev.Kind, ev.Code, ev.RequestID, ev.Delivery, ev.Elapsed = Delivered, 0, id, &d, time.Since(start)
			s.emit(ev)
		}
	}
}
