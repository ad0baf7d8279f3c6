// Package api serves the seed's producer HTTP contract over one engine:
// GET /health, POST /api/v1/send and GET /api/v1/status.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/status"
	"github.com/prodlab/prodlab/internal/wait"
)

// Server is the producer API of one engine.
type Server struct {
	eng   prodlab.Producer
	store *status.Store
	cfg   cfg

	ready atomic.Bool

	topicsMu sync.Mutex
	topics   map[string]*topicEntry // partition counts, bounded by maxTopics
}

// topicEntry is one topic's cached partition count.
type topicEntry struct {
	partitions int32 // 0 until the first lookup succeeds
	err        error // the first lookup's error, once done is closed
	fetched    time.Time
	done       chan struct{} // closed when the running lookup ends; nil when none runs
}

type cfg struct {
	logger      *slog.Logger
	topic       string
	metadataTTL time.Duration
	lookup      time.Duration
	sync        time.Duration
	observers   []func(Event)
}

// maxTopics bounds the partition-count cache.
const maxTopics = 1024

// SyncMargin is added to the engine's delivery timeout to bound a sync send
// by default: past it the API answers 504.
const SyncMargin = 3 * time.Second

// Opt configures a Server.
type Opt func(*cfg)

// Logger sets the server's logger, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// DefaultTopic sets the topic used when a send names none, default
// prodlab.DefaultTopic.
func DefaultTopic(t string) Opt { return func(c *cfg) { c.topic = t } }

// MetadataTTL sets how long a topic's partition count is fresh, default 30s;
// a stale count is served while one background lookup refreshes it.
func MetadataTTL(d time.Duration) Opt { return func(c *cfg) { c.metadataTTL = d } }

// LookupTimeout bounds the metadata lookup that checks a topic exists,
// default 5s.
func LookupTimeout(d time.Duration) Opt { return func(c *cfg) { c.lookup = d } }

// SyncTimeout bounds a sync send, default the engine's delivery timeout
// plus SyncMargin: past it the API answers 504 with a requestId to poll.
func SyncTimeout(d time.Duration) Opt { return func(c *cfg) { c.sync = d } }

// New returns a Server producing through eng and recording async sends in
// store. It refuses a bad option, naming it.
func New(eng prodlab.Producer, store *status.Store, opts ...Opt) (*Server, error) {
	if eng == nil || store == nil {
		return nil, errors.New("api: New needs an engine and a status store")
	}
	c := cfg{logger: slog.Default(), topic: prodlab.DefaultTopic, metadataTTL: 30 * time.Second, lookup: 5 * time.Second,
		sync: eng.DeliveryTimeout() + SyncMargin}
	for _, o := range opts {
		o(&c)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &Server{eng: eng, store: store, cfg: c, topics: make(map[string]*topicEntry)}, nil
}

func (c cfg) check() error {
	switch {
	case c.metadataTTL <= 0:
		return fmt.Errorf("api: MetadataTTL must be > 0, got %v", c.metadataTTL)
	case c.lookup <= 0:
		return fmt.Errorf("api: LookupTimeout must be > 0, got %v", c.lookup)
	case c.sync <= 0:
		return fmt.Errorf("api: SyncTimeout must be > 0, got %v", c.sync)
	case c.logger == nil:
		return errors.New("api: Logger must not be nil")
	case slices.ContainsFunc(c.observers, func(fn func(Event)) bool { return fn == nil }):
		return errors.New("api: Observe must not be given nil")
	}
	if msg := prodlab.ValidTopic(c.topic); msg != "" {
		return errors.New("api: DefaultTopic: " + msg)
	}
	return nil
}

// Routes returns the API's handler.
func (s *Server) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/health", httpjson.Only(s.HealthShow, http.MethodGet, http.MethodHead))
	mux.Handle("/api/v1/send", httpjson.Only(func(w http.ResponseWriter, r *http.Request) {
		s.send(w, r.URL.RawQuery, Foreign(r), r.Context().Done())
	}, http.MethodPost))
	mux.Handle("/api/v1/status", httpjson.Only(func(w http.ResponseWriter, r *http.Request) {
		s.status(w, r.URL.RawQuery, Foreign(r))
	}, http.MethodGet, http.MethodHead))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusNotFound, "", i18n.T("api.noEndpoint", "path", r.URL.Path))
	})
	return mux
}

// WaitReady blocks until the engine is ready or ctx ends, retrying with a
// pause that doubles from 50ms to 2s.
func (s *Server) WaitReady(ctx context.Context) error {
	pause := 50 * time.Millisecond
	for {
		try, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := s.eng.Ready(try)
		cancel()
		if err == nil {
			s.ready.Store(true)
			return nil
		}
		if wait.For(ctx, pause) != nil {
			return err
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// HealthShow answers OK once the engine is ready.
func (s *Server) HealthShow(w http.ResponseWriter, r *http.Request) {
	ev := Event{Kind: Health, Foreign: Foreign(r)}
	w, code := s.observed(w)
	defer s.report(&ev, code, time.Now())
	if !s.ready.Load() {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.eng.Ready(ctx); err != nil {
			s.cfg.logger.Info("health: not ready", "err", err)
			httpjson.Error(w, http.StatusServiceUnavailable, "", i18n.T("api.notReady"))
			return
		}
		s.ready.Store(true)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("OK"))
}

// send validates a send's raw query, produces it and answers 200 (sync) or
// 202 (async); gone closes if the client leaves.
func (s *Server) send(w http.ResponseWriter, query string, foreign bool, gone <-chan struct{}) {
	ev, start := Event{Kind: Sent, Partition: prodlab.AnyPartition, Foreign: foreign}, time.Now()
	w, code := s.observed(w)
	defer s.report(&ev, code, start)
	req, ferr := parseSend(query, s.cfg.topic)
	if ferr != nil {
		httpjson.Error(w, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	req.Kind, req.Foreign = Sent, foreign
	ev = req
	n, err := s.partitions(ev.Topic, ev.Partition, start)
	switch {
	case errors.Is(err, prodlab.ErrUnknownTopic):
		httpjson.Error(w, http.StatusNotFound, "topic", i18n.T("api.topicMissing", "topic", ev.Topic))
		return
	case err != nil && ev.Partition != prodlab.AnyPartition:
		s.cfg.logger.Warn("cannot read topic metadata", "topic", ev.Topic, "err", err)
		httpjson.Error(w, http.StatusServiceUnavailable, "", i18n.T("api.partitionUnreadable", "partition", strconv.Itoa(int(ev.Partition)), "topic", ev.Topic))
		return
	case err != nil: // no count to check against: the producer decides
		s.cfg.logger.Debug("sending without a partition count", "topic", ev.Topic, "err", err)
	case ev.Partition != prodlab.AnyPartition && ev.Partition >= n:
		httpjson.Error(w, http.StatusBadRequest, "partition", i18n.T("api.partitionRange", "partition", strconv.Itoa(int(ev.Partition)), "topic", ev.Topic, "last", strconv.Itoa(int(n-1))))
		return
	}
	msg := s.message(&ev, start)
	resp := SendResult{Topic: ev.Topic, EventID: ev.EventID, Mode: string(ev.Mode),
		SendMode: string(ev.SendMode), Key: ev.Key, Engine: s.eng.Name()}

	if ev.SendMode == prodlab.Async {
		t, err := s.store.Issue(ev.EventID)
		id := t.ID()
		if err != nil {
			httpjson.Error(w, http.StatusServiceUnavailable, "", i18n.T("api.asyncFull"))
			return
		}
		if err := s.eng.Produce(ev.Mode, msg, s.delivered(ev, t, start)); err != nil {
			s.store.Forget(id)
			s.writeProduceError(w, err)
			return
		}
		ev.RequestID = id
		resp.Status, resp.State, resp.RequestID = "ACCEPTED", string(prodlab.Pending), id
		resp.write(w, http.StatusAccepted)
		return
	}

	sw := getSyncWait(s.cfg.sync)
	if err := s.eng.Produce(ev.Mode, msg, sw.fn); err != nil {
		sw.put() // fn is not called
		s.writeProduceError(w, err)
		return
	}
	select {
	case d := <-sw.answer:
		sw.put()
		ev.Delivery = &d
		if d.Err != nil {
			code := http.StatusBadGateway
			if errors.Is(d.Err, prodlab.ErrUnknownTopic) {
				code = http.StatusNotFound
			}
			s.cfg.logger.Info("sync send failed", "eventId", ev.EventID, "err", d.Err)
			httpjson.Error(w, code, "", i18n.T("api.sendFailed", "err", publicError(d.Err)))
			return
		}
		resp.Status, resp.Partition, resp.Offset = "OK", &d.Partition, &d.Offset
		resp.write(w, http.StatusOK)
	case <-sw.bound.C: // sw stays with the send: its answer is yet to come
		ev.RequestID = s.syncTimedOut(w, ev, sw.answer)
	case <-gone: // the client left: the send goes on
		sw.bound.Stop()
		s.finishLate(ev, status.Ticket{}, sw.answer, slog.LevelDebug, "sync send finished after the client left")
	}
}

// timeoutBody is the 504 of a sync send whose outcome is still unknown.
type timeoutBody struct {
	httpjson.ErrorBody
	RequestID string `json:"requestId,omitempty"`
	EventID   string `json:"eventId"`
}

// syncTimedOut answers 504 for a sync send unanswered at the sync bound and
// returns the requestId that will keep its outcome, "" if the store is full.
func (s *Server) syncTimedOut(w http.ResponseWriter, ev Event, answer <-chan prodlab.Delivery) string {
	bound := s.cfg.sync.String() // as Duration.String writes it: i18n would round it
	t, err := s.store.Issue(ev.EventID)
	id, msg := t.ID(), i18n.T("api.syncTimeout", "timeout", bound, "id", t.ID())
	if err != nil {
		msg = i18n.T("api.syncTimeout.full", "timeout", bound)
	}
	s.finishLate(ev, t, answer, slog.LevelInfo, "sync send finished after its 504")
	httpjson.Write(w, http.StatusGatewayTimeout, timeoutBody{
		ErrorBody: httpjson.ErrorBody{Error: msg, Status: http.StatusGatewayTimeout},
		RequestID: id, EventID: ev.EventID,
	})
	return id
}

// finishLate reports a late sync answer to the observers, in the background,
// and keeps it under t or, with the zero Ticket, logs it at level.
func (s *Server) finishLate(ev Event, t status.Ticket, answer <-chan prodlab.Delivery, level slog.Level, msg string) {
	late := s.delivered(ev, t, time.Now())
	go func() {
		d := <-answer
		if late(d); t.ID() == "" {
			s.cfg.logger.Log(context.Background(), level, msg, "eventId", ev.EventID, "partition", d.Partition, "offset", d.Offset, "err", d.Err)
		}
	}()
}

// writeProduceError answers a send the engine refused.
func (s *Server) writeProduceError(w http.ResponseWriter, err error) {
	s.cfg.logger.Warn("send refused by the producer", "err", err)
	id := "api.closed"
	switch {
	case errors.Is(err, prodlab.ErrBufferFull):
		id = "api.bufferFull"
	case !errors.Is(err, prodlab.ErrClosed):
		httpjson.Error(w, http.StatusInternalServerError, "", i18n.T("api.refused", "err", publicError(err)))
		return
	}
	w.Header().Set("Retry-After", "1")
	httpjson.Error(w, http.StatusServiceUnavailable, "", i18n.T(id))
}

// addrText matches what names a place in a client's error: a URL, an IP
// address or a host:port.
var addrText = regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://\S+|\[[0-9a-f:.%]+\](:\d+)?|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b|\b[a-z0-9][a-z0-9.-]*:\d{1,5}\b`)

// publicText is a client's error text as a body may carry it: addresses
// replaced by "<address>", the whole cut to 300 bytes.
func publicText(s string) string {
	s = addrText.ReplaceAllString(s, "<address>")
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return s
}

// publicError is err's public text: for an unknown topic, only that.
func publicError(err error) string {
	if errors.Is(err, prodlab.ErrUnknownTopic) {
		return prodlab.ErrUnknownTopic.Error()
	}
	return publicText(err.Error())
}

// status reports the state of an async send, from a raw query.
func (s *Server) status(w http.ResponseWriter, query string, foreign bool) {
	ev := Event{Kind: Polled, Partition: prodlab.AnyPartition, Foreign: foreign}
	w, code := s.observed(w)
	defer s.report(&ev, code, time.Now())
	id, ferr := parseStatus(query)
	if ferr != nil {
		httpjson.Error(w, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	ev.RequestID = id
	st, err := s.store.Get(id)
	if err != nil {
		httpjson.Error(w, http.StatusNotFound, "requestId", i18n.T("api.requestUnknown", "id", id))
		return
	}
	ev.State, ev.EventID, ev.Topic = st.State, st.EventID, st.Topic
	resp := StatusResult{State: string(st.State), RequestID: id, EventID: st.EventID}
	switch st.State {
	case prodlab.OK:
		resp.Topic, resp.Partition, resp.Offset = st.Topic, &st.Partition, &st.Offset
	case prodlab.Failed:
		resp.Error = publicText(st.Err)
	}
	httpjson.Write(w, http.StatusOK, resp)
}

// message builds the record for ev, received at start: a JSON value and
// eventId/mode headers.
func (s *Server) message(ev *Event, start time.Time) prodlab.Message {
	// One allocation for the eventId header and the value, which holds it.
	buf := append(make([]byte, 0, 128+2*len(ev.EventID)), ev.EventID...)
	id := buf[:len(buf):len(buf)]
	v := appendValue(buf[len(buf):], prodlab.Value{EventID: ev.EventID, Mode: ev.Mode, SendMode: ev.SendMode,
		API: s.eng.Name(), TS: start.UnixMilli()})
	key := id // the default key is the eventId: one copy for both
	if ev.Key != ev.EventID {
		key = []byte(ev.Key)
	}
	return prodlab.Message{
		Topic: ev.Topic, Key: key, Value: v, Partition: ev.Partition,
		Headers: []prodlab.Header{
			{Key: prodlab.HeaderEventID, Value: id},
			{Key: prodlab.HeaderMode, Value: modeBytes[ev.Mode]},
		},
	}
}

// modeBytes holds the mode header's values, shared by every record (the
// engines only read them).
var modeBytes = map[prodlab.Mode][]byte{prodlab.Plain: []byte(prodlab.Plain), prodlab.Idempotent: []byte(prodlab.Idempotent)}

// partitions returns topic's partition count at now. A known count is served
// at once (refreshed in the background past metadataTTL, dropped only on an
// unknown topic); a topic with no count, or whose count of over a second ago
// leaves out partition p (the topic recreated with more), waits for one
// shared lookup.
func (s *Server) partitions(topic string, p int32, now time.Time) (int32, error) {
	s.topicsMu.Lock()
	e := s.topics[topic]
	if e != nil && e.partitions > 0 && (p < e.partitions || now.Sub(e.fetched) < min(time.Second, s.cfg.metadataTTL)) {
		n := e.partitions
		if e.done == nil && now.Sub(e.fetched) >= s.cfg.metadataTTL {
			e.done = make(chan struct{})
			go s.lookup(topic, e)
		}
		s.topicsMu.Unlock()
		return n, nil
	}
	if e == nil {
		if len(s.topics) >= maxTopics {
			for k := range s.topics { // evict one, at random
				delete(s.topics, k)
				break
			}
		}
		e = &topicEntry{}
		s.topics[topic] = e
	}
	if e.done == nil {
		e.done = make(chan struct{})
		go s.lookup(topic, e)
	}
	done := e.done
	s.topicsMu.Unlock()
	<-done
	s.topicsMu.Lock()
	defer s.topicsMu.Unlock()
	if e.partitions > 0 {
		return e.partitions, nil
	}
	return 0, e.err
}

// lookup reads topic's partition count into e, then closes e.done.
func (s *Server) lookup(topic string, e *topicEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.lookup)
	n, err := s.eng.Partitions(ctx, topic)
	cancel()
	if err == nil && n < 1 {
		err = errors.New("metadata lists no partitions")
	}
	s.topicsMu.Lock()
	defer s.topicsMu.Unlock()
	switch {
	case err == nil:
		e.partitions, e.fetched = n, time.Now()
	case errors.Is(err, prodlab.ErrUnknownTopic) || e.partitions == 0:
		e.partitions = 0
		if s.topics[topic] == e {
			delete(s.topics, topic)
		}
	default:
		// Keep serving the count; try again in a second at most.
		e.fetched = time.Now().Add(min(time.Second, s.cfg.metadataTTL) - s.cfg.metadataTTL)
		s.cfg.logger.Debug("topic metadata refresh failed: serving the last count", "topic", topic, "partitions", e.partitions, "err", err)
	}
	e.err = err
	close(e.done)
	e.done = nil
}

// syncWait is what a sync send waits on (its answer's channel, the callback
// that fills it, the sync bound), reused once the answer is read.
type syncWait struct {
	answer chan prodlab.Delivery
	fn     func(prodlab.Delivery)
	bound  *time.Timer
}

var syncWaits sync.Pool

func getSyncWait(d time.Duration) *syncWait {
	sw, ok := syncWaits.Get().(*syncWait)
	if !ok {
		sw = &syncWait{answer: make(chan prodlab.Delivery, 1), bound: time.NewTimer(d)}
		sw.fn = func(d prodlab.Delivery) { sw.answer <- d }
	}
	sw.bound.Reset(d)
	return sw
}

// put stops the bound and keeps sw for the next send (Go 1.23+: no stale tick).
func (sw *syncWait) put() {
	sw.bound.Stop()
	syncWaits.Put(sw)
}
