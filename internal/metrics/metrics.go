// Package metrics serves a producer API's metrics in Prometheus text
// format (GET /metrics): the API's own counters, fed by api.Observe, the
// status store's size and evictions, and the engine's client metrics
// (franz-go's kprom, librdkafka's statistics).
package metrics

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/status"
)

// Namespace prefixes the API's own metrics, e.g. prodlab_api_sends_total.
const Namespace = "prodlab_api"

// Send outcomes, the outcome label of sends_total: what POST /api/v1/send
// answered.
const (
	OutcomeOK       = "ok"        // 200: the broker acknowledged the sync send
	OutcomeAccepted = "accepted"  // 202: an async send was queued
	OutcomeError    = "error"     // the producer or the broker failed it (502, 500, 404 from the broker)
	OutcomeTimeout  = "timeout"   // 504: no answer within the sync bound; the send goes on
	OutcomeRejected = "rejected"  // 400, 404 or 503 before anything was produced
	OutcomeGone     = "abandoned" // the client left before a sync send's answer; the send goes on
)

// Buckets are the latency histograms' bounds in seconds: 0.5 ms to 32 s,
// doubling, enough for a send through a 5 s toxic and its retries.
var Buckets = prometheus.ExponentialBuckets(0.0005, 2, 17)

// Metrics holds one producer API's metrics.
type Metrics struct {
	gatherers   prometheus.Gatherers
	responses   *prometheus.CounterVec
	sends       *prometheus.CounterVec
	sendTime    *prometheus.HistogramVec
	deliveries  *prometheus.CounterVec
	deliverTime *prometheus.HistogramVec

	// The children already looked up, by label values: a lookup hashes
	// every label, per event. The label sets are small and bounded.
	responseOf sync.Map // responseKey → prometheus.Counter
	sendOf     sync.Map // outcomeKey → observers
	deliverOf  sync.Map // outcomeKey → observers
}

type responseKey struct {
	kind api.EventKind
	code int
}

type outcomeKey struct{ mode, sendMode, outcome string }

// observers are one label set's counter and histogram.
type observers struct {
	count prometheus.Counter
	time  prometheus.Observer
}

// New returns the metrics of the API in front of eng with store. If eng
// has client metrics (a Metrics() prometheus.Gatherer method, as both
// engines have), they are served too.
func New(eng prodlab.Producer, store *status.Store) *Metrics {
	m := &Metrics{}
	sendLabels := []string{"mode", "send_mode", "outcome"}
	m.responses = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "responses_total",
		Help: "HTTP answers by endpoint (health, send, status) and status code; code 0: the client left first."},
		[]string{"endpoint", "code"})
	m.sends = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "sends_total",
		Help: "POST /api/v1/send answers by mode, sendMode and outcome (ok, accepted, error, timeout, rejected, abandoned)."},
		sendLabels)
	m.sendTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "send_duration_seconds",
		Help: "Time from a send request to its answer.", Buckets: Buckets}, sendLabels)
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "deliveries_total",
		Help: "Broker answers that came after the HTTP answer (async sends, sync sends past their 504 or whose client left), by outcome ok or error."},
		sendLabels)
	m.deliverTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "delivery_duration_seconds",
		Help: "Time from the HTTP answer to the broker's answer, for deliveries_total.", Buckets: Buckets}, sendLabels)
	reg := prometheus.NewRegistry()
	// Every metric of the API carries its engine's name.
	prometheus.WrapRegistererWith(prometheus.Labels{"engine": eng.Name()}, reg).MustRegister(
		m.responses, m.sends, m.sendTime, m.deliveries, m.deliverTime, storeCollector{store})
	m.gatherers = prometheus.Gatherers{reg}
	if g, ok := eng.(interface{ Metrics() prometheus.Gatherer }); ok {
		m.gatherers = append(m.gatherers, g.Metrics())
	}
	return m
}

// Observe counts one answer of the API; pass it to api.Observe.
func (m *Metrics) Observe(ev api.Event) {
	switch ev.Kind {
	case api.Health, api.Polled:
		m.response(ev).Inc()
	case api.Sent:
		m.response(ev).Inc()
		m.outcome(&m.sendOf, m.sends, m.sendTime, ev, sendOutcome(ev))
	case api.Delivered:
		outcome := OutcomeOK
		if ev.Delivery != nil && ev.Delivery.Err != nil {
			outcome = OutcomeError
		}
		m.outcome(&m.deliverOf, m.deliveries, m.deliverTime, ev, outcome)
	}
}

func (m *Metrics) response(ev api.Event) prometheus.Counter {
	k := responseKey{ev.Kind, ev.Code}
	if c, ok := m.responseOf.Load(k); ok {
		return c.(prometheus.Counter)
	}
	c, _ := m.responseOf.LoadOrStore(k, m.responses.WithLabelValues(string(ev.Kind), strconv.Itoa(ev.Code)))
	return c.(prometheus.Counter)
}

// outcome counts ev under outcome in count and its time in time, through
// the children cached in cache.
func (m *Metrics) outcome(cache *sync.Map, count *prometheus.CounterVec, time *prometheus.HistogramVec, ev api.Event, outcome string) {
	k := outcomeKey{string(ev.Mode), string(ev.SendMode), outcome}
	o, ok := cache.Load(k)
	if !ok {
		o, _ = cache.LoadOrStore(k, observers{count.WithLabelValues(k.mode, k.sendMode, k.outcome),
			time.WithLabelValues(k.mode, k.sendMode, k.outcome)})
	}
	o.(observers).count.Inc()
	o.(observers).time.Observe(ev.Elapsed.Seconds())
}

// sendOutcome classifies a Sent event.
func sendOutcome(ev api.Event) string {
	switch {
	case ev.Code == 0:
		return OutcomeGone
	case ev.Code == http.StatusOK:
		return OutcomeOK
	case ev.Code == http.StatusAccepted:
		return OutcomeAccepted
	case ev.Code == http.StatusGatewayTimeout:
		return OutcomeTimeout
	case ev.Delivery != nil, ev.Code == http.StatusInternalServerError:
		return OutcomeError
	}
	return OutcomeRejected
}

// Handler serves every metric in Prometheus text format. A collector that
// fails is left out of the answer rather than failing it.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.gatherers, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// storeCollector reads the status store at each scrape.
type storeCollector struct{ store *status.Store }

var (
	storeEntries = prometheus.NewDesc(Namespace+"_status_entries", "Async send statuses held, by state (pending, finished).", []string{"state"}, nil)
	storeMax     = prometheus.NewDesc(Namespace+"_status_max_entries", "The status store's capacity (--status-max).", nil, nil)
	storeEvicted = prometheus.NewDesc(Namespace+"_status_evictions_total", "Finished statuses dropped, to make room (full) or at their TTL (expired).", []string{"reason"}, nil)
)

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeEntries
	ch <- storeMax
	ch <- storeEvicted
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	pending, finished := c.store.Counts()
	full, expired := c.store.Evictions()
	ch <- prometheus.MustNewConstMetric(storeEntries, prometheus.GaugeValue, float64(pending), "pending")
	ch <- prometheus.MustNewConstMetric(storeEntries, prometheus.GaugeValue, float64(finished), "finished")
	ch <- prometheus.MustNewConstMetric(storeMax, prometheus.GaugeValue, float64(c.store.MaxEntries()))
	ch <- prometheus.MustNewConstMetric(storeEvicted, prometheus.CounterValue, float64(full), "full")
	ch <- prometheus.MustNewConstMetric(storeEvicted, prometheus.CounterValue, float64(expired), "expired")
}
