// Package api serves the seed's producer HTTP contract over one engine:
// GET /health, POST /api/v1/send and GET /api/v1/status.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/status"
)

// Server is the producer API of one engine.
type Server struct {
	eng   engine.Engine
	store *status.Store
	cfg   cfg

	ready atomic.Bool

	topicsMu sync.Mutex
	topics   map[string]topicEntry // partition counts, bounded by maxTopics
}

type topicEntry struct {
	partitions int32
	expires    time.Time
}

type cfg struct {
	logger      *slog.Logger
	topic       string
	metadataTTL time.Duration
	lookup      time.Duration
}

// maxTopics bounds the partition-count cache.
const maxTopics = 1024

// Opt configures a Server.
type Opt func(*cfg)

// Logger sets the server's logger, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// DefaultTopic sets the topic used when a send names none, default
// prodlab.DefaultTopic.
func DefaultTopic(t string) Opt { return func(c *cfg) { c.topic = t } }

// MetadataTTL sets how long a topic's partition count is cached, default 30s.
func MetadataTTL(d time.Duration) Opt { return func(c *cfg) { c.metadataTTL = d } }

// LookupTimeout bounds the metadata lookup that checks a topic exists,
// default 5s, so an unknown topic answers 404 well before the delivery
// timeout.
func LookupTimeout(d time.Duration) Opt { return func(c *cfg) { c.lookup = d } }

// New returns a Server producing through eng and recording async sends in
// store.
func New(eng engine.Engine, store *status.Store, opts ...Opt) *Server {
	c := cfg{logger: slog.Default(), topic: prodlab.DefaultTopic, metadataTTL: 30 * time.Second, lookup: 5 * time.Second}
	for _, o := range opts {
		o(&c)
	}
	return &Server{eng: eng, store: store, cfg: c, topics: make(map[string]topicEntry)}
}

// Routes returns the API's handler.
func (s *Server) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/health", httpjson.Only(s.HealthShow, http.MethodGet, http.MethodHead))
	mux.Handle("/api/v1/send", httpjson.Only(s.SendCreate, http.MethodPost))
	mux.Handle("/api/v1/status", httpjson.Only(s.StatusShow, http.MethodGet, http.MethodHead))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusNotFound, "", "no such endpoint: "+r.URL.Path+" (try /health, /api/v1/send, /api/v1/status)")
	})
	return mux
}

// WaitReady blocks until the engine is ready or ctx ends, retrying.
func (s *Server) WaitReady(ctx context.Context) error {
	for {
		try, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := s.eng.Ready(try)
		cancel()
		if err == nil {
			s.ready.Store(true)
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
	}
}

// HealthShow answers OK once the engine is ready.
func (s *Server) HealthShow(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.eng.Ready(ctx); err != nil {
			s.cfg.logger.Info("health: not ready", "err", err)
			httpjson.Error(w, http.StatusServiceUnavailable, "", "NOT READY: the producer is not connected to Kafka yet (the API's log has the cause)")
			return
		}
		s.ready.Store(true)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("OK"))
}

// sendResponse is the body of a successful send, sync or async.
type sendResponse struct {
	Status    string `json:"status"`
	State     string `json:"state,omitempty"`
	RequestID string `json:"requestId,omitempty"`
	Topic     string `json:"topic"`
	Partition *int32 `json:"partition,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
	EventID   string `json:"eventId"`
	Mode      string `json:"mode"`
	SendMode  string `json:"sendMode"`
	Key       string `json:"key"`
	Engine    string `json:"engine"`
}

// SendCreate validates a send, produces it and answers 200 (sync) or 202
// (async).
func (s *Server) SendCreate(w http.ResponseWriter, r *http.Request) {
	req, ferr := parseSend(r.URL.RawQuery, s.cfg.topic)
	if ferr != nil {
		httpjson.Error(w, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	// From here on the send goes ahead even if the client leaves.
	n, err := s.partitions(context.WithoutCancel(r.Context()), req.topic)
	switch {
	case errors.Is(err, prodlab.ErrUnknownTopic):
		httpjson.Error(w, http.StatusNotFound, "topic", "topic "+req.topic+" does not exist")
		return
	case err != nil:
		s.cfg.logger.Warn("cannot read topic metadata", "topic", req.topic, "err", err)
		httpjson.Error(w, http.StatusServiceUnavailable, "", "cannot read the metadata of topic "+req.topic+" from Kafka: retry later (the API's log has the cause)")
		return
	}
	if req.partition != prodlab.AnyPartition && req.partition >= n {
		httpjson.Error(w, http.StatusBadRequest, "partition", "partition "+itoa(int64(req.partition))+" is out of range: topic "+req.topic+" has partitions 0.."+itoa(int64(n-1)))
		return
	}
	msg := s.message(req)
	resp := sendResponse{Topic: req.topic, EventID: req.eventID, Mode: string(req.mode),
		SendMode: string(req.sendMode), Key: req.key, Engine: s.eng.Name()}

	if req.sendMode == prodlab.Async {
		id := newID()
		if err := s.store.Add(id, req.eventID); err != nil {
			httpjson.Error(w, http.StatusServiceUnavailable, "", "too many async sends in flight: retry later")
			return
		}
		if err := s.eng.Produce(req.mode, msg, func(d prodlab.Delivery) { s.store.Finish(id, d) }); err != nil {
			s.store.Forget(id)
			writeProduceError(w, err)
			return
		}
		resp.Status, resp.State, resp.RequestID = "ACCEPTED", string(prodlab.Pending), id
		httpjson.Write(w, http.StatusAccepted, resp)
		return
	}

	done := make(chan prodlab.Delivery, 1)
	if err := s.eng.Produce(req.mode, msg, func(d prodlab.Delivery) { done <- d }); err != nil {
		writeProduceError(w, err)
		return
	}
	select {
	case d := <-done:
		if d.Err != nil {
			code := http.StatusBadGateway
			if errors.Is(d.Err, prodlab.ErrUnknownTopic) {
				code = http.StatusNotFound
			}
			httpjson.Error(w, code, "", "send failed: "+d.Err.Error())
			return
		}
		resp.Status, resp.Partition, resp.Offset = "OK", &d.Partition, &d.Offset
		httpjson.Write(w, http.StatusOK, resp)
	case <-r.Context().Done():
		// The client left; the send goes on and its outcome is logged.
		go func() {
			d := <-done
			s.cfg.logger.Info("sync send finished after the client left", "eventId", req.eventID, "partition", d.Partition, "offset", d.Offset, "err", d.Err)
		}()
	}
}

func writeProduceError(w http.ResponseWriter, err error) {
	if errors.Is(err, prodlab.ErrBufferFull) || errors.Is(err, prodlab.ErrClosed) {
		w.Header().Set("Retry-After", "1")
		httpjson.Error(w, http.StatusServiceUnavailable, "", err.Error()+": retry later")
		return
	}
	httpjson.Error(w, http.StatusInternalServerError, "", err.Error())
}

// statusResponse is the body of GET /api/v1/status.
type statusResponse struct {
	State     string `json:"state"`
	RequestID string `json:"requestId"`
	EventID   string `json:"eventId"`
	Topic     string `json:"topic,omitempty"`
	Partition *int32 `json:"partition,omitempty"`
	Offset    *int64 `json:"offset,omitempty"`
	Error     string `json:"error,omitempty"`
}

// StatusShow reports the state of an async send.
func (s *Server) StatusShow(w http.ResponseWriter, r *http.Request) {
	id, ferr := parseStatus(r.URL.RawQuery)
	if ferr != nil {
		httpjson.Error(w, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	st, err := s.store.Get(id)
	if err != nil {
		httpjson.Error(w, http.StatusNotFound, "requestId", "requestId "+id+" is unknown or has expired")
		return
	}
	resp := statusResponse{State: string(st.State), RequestID: id, EventID: st.EventID}
	switch st.State {
	case prodlab.OK:
		resp.Topic, resp.Partition, resp.Offset = st.Topic, &st.Partition, &st.Offset
	case prodlab.Failed:
		resp.Error = st.Err
	}
	httpjson.Write(w, http.StatusOK, resp)
}

// message builds the record for req: a JSON value and eventId/mode headers.
func (s *Server) message(req sendRequest) prodlab.Message {
	v, _ := json.Marshal(prodlab.Value{EventID: req.eventID, Mode: req.mode, SendMode: req.sendMode,
		API: s.eng.Name(), TS: time.Now().UnixMilli()})
	return prodlab.Message{
		Topic: req.topic, Key: []byte(req.key), Value: v, Partition: req.partition,
		Headers: []prodlab.Header{
			{Key: prodlab.HeaderEventID, Value: []byte(req.eventID)},
			{Key: prodlab.HeaderMode, Value: []byte(req.mode)},
		},
	}
}

// partitions returns the partition count of topic, cached for metadataTTL.
// Only existing topics are cached, so a topic created later is seen at once.
func (s *Server) partitions(ctx context.Context, topic string) (int32, error) {
	now := time.Now()
	s.topicsMu.Lock()
	e, ok := s.topics[topic]
	s.topicsMu.Unlock()
	if ok && now.Before(e.expires) {
		return e.partitions, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.lookup)
	defer cancel()
	n, err := s.eng.Partitions(ctx, topic)
	if err != nil {
		return 0, err
	}
	s.topicsMu.Lock()
	if len(s.topics) >= maxTopics {
		clear(s.topics)
	}
	s.topics[topic] = topicEntry{partitions: n, expires: now.Add(s.cfg.metadataTTL)}
	s.topicsMu.Unlock()
	return n, nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
