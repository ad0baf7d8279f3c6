// Package console serves the lab's web console, an embedded page over a
// JSON backend: the cluster, a topic's messages and duplicated eventIds,
// the Toxiproxy faults, a send form, the Lab 02.4 runs and the progress.
package console

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/chart"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
	parcours "github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

//go:embed web
var webFS embed.FS

// Server is the console's backend and static page.
type Server struct {
	cfg  cfg
	adm  *kadm.Client       // on the direct path; nil without one
	toxi *toxiclient.Client // each call bounded by cfg.timeout; nil without Toxiproxy
	logs *logCache
	runs *runner
}

// The cluster's name on the page, as in the seed's Kafka UI, and how long
// a forwarded send may take, retries under a latency toxic included.
const (
	clusterName = "BHF-Training"
	sendTimeout = 60 * time.Second
)

type cfg struct {
	direct       *direct.Path
	toxiproxy    string
	engines      []Engine
	perPartition int           // records kept per partition for the messages and duplicates views
	timeout      time.Duration // each read of the cluster and each Toxiproxy call
	logger       *slog.Logger
	validate     ValidateFunc
	experiment   ExperimentFunc
	schedules    []string
	progress     *parcours.Recorder
}

// Engine is a producer API the console sends through.
type Engine struct {
	Name string `json:"name"` // such as "franz"
	URL  string `json:"url"`  // its base URL, such as http://127.0.0.1:18080

	cl *api.Client // each send bounded by sendTimeout
}

// Opt configures a Server.
type Opt func(*cfg)

// Direct sets the path the console reads the cluster on, around the
// toxics; default none.
func Direct(p *direct.Path) Opt { return func(c *cfg) { c.direct = p } }

// Toxiproxy sets the base URL of Toxiproxy's REST API, such as
// http://127.0.0.1:8474.
func Toxiproxy(url string) Opt { return func(c *cfg) { c.toxiproxy = strings.TrimRight(url, "/") } }

// API adds a producer API to the send form; the first is its default.
func API(name, url string) Opt {
	return func(c *cfg) { c.engines = append(c.engines, Engine{Name: name, URL: strings.TrimRight(url, "/")}) }
}

// Logger sets the console's logger, default slog.Default().
func Logger(l *slog.Logger) Opt { return func(c *cfg) { c.logger = l } }

// New returns a console; it refuses a bad option, naming it. An endpoint
// whose part (Direct, Toxiproxy, API...) is missing answers 503.
func New(opts ...Opt) (*Server, error) {
	c := cfg{
		engines:      []Engine{},
		perPartition: 5000, // a longer partition shows its newest records only
		timeout:      10 * time.Second,
		logger:       slog.Default(),
		schedules:    []string{"ack-loss"},
	}
	for _, o := range opts {
		o(&c)
	}
	if c.logger == nil {
		return nil, errors.New("console: Logger must not be nil")
	}
	for i, e := range c.engines {
		cl, err := api.NewClient(e.URL, httpjson.WithHTTPClient(&http.Client{Timeout: sendTimeout}), httpjson.WithUserAgent(userAgent))
		if e.Name == "" || err != nil {
			return nil, fmt.Errorf("console: API(%q, %q): want a name and an http URL", e.Name, e.URL)
		}
		c.engines[i].cl = cl
	}
	s := &Server{cfg: c, runs: &runner{}, logs: newLogCache(maxCachedTopics, maxCacheBytes)}
	if c.toxiproxy != "" {
		tc, err := toxiclient.New(c.toxiproxy, httpjson.WithHTTPClient(&http.Client{Timeout: c.timeout}), httpjson.WithUserAgent(userAgent))
		if err != nil {
			return nil, fmt.Errorf("console: Toxiproxy: %w", err)
		}
		s.toxi = tc
	}
	if c.direct != nil && len(c.direct.Bootstrap()) > 0 {
		cl, err := c.direct.Client()
		if err != nil {
			return nil, fmt.Errorf("console: Direct: %w", err)
		}
		s.adm = kadm.NewClient(cl)
	}
	return s, nil
}

// Close cancels a running validation or experiment, waits for it to end,
// and releases the console's Kafka client.
func (s *Server) Close() {
	s.runs.cancel()
	if s.adm != nil {
		s.adm.Close()
	}
}

// Routes returns the console's handler: the page at /, the backend under
// /api/.
func (s *Server) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/info", httpjson.Only(s.InfoShow, http.MethodGet))
	mux.Handle("/api/cluster", httpjson.Only(s.ClusterShow, http.MethodGet))
	mux.Handle("/api/messages", httpjson.Only(s.MessageIndex, http.MethodGet))
	mux.Handle("/api/duplicates", httpjson.Only(s.DuplicateIndex, http.MethodGet))
	mux.Handle("/api/proxies", httpjson.Only(s.ProxyIndex, http.MethodGet))
	mux.Handle("/api/proxies/{proxy}/toxics", httpjson.Only(s.ToxicCreate, http.MethodPost))
	mux.Handle("/api/proxies/{proxy}/toxics/{toxic}", httpjson.Only(s.ToxicDelete, http.MethodDelete))
	mux.Handle("/api/reset", httpjson.Only(s.ResetCreate, http.MethodPost))
	mux.Handle("/api/send", httpjson.Only(s.SendCreate, http.MethodPost))
	mux.Handle("/api/status", httpjson.Only(s.StatusShow, http.MethodGet))
	mux.Handle("/api/runs", httpjson.Only(s.RunCreate, http.MethodPost))
	mux.Handle("/api/runs/current", httpjson.Only(s.RunShow, http.MethodGet))
	mux.Handle("/api/progress", httpjson.Only(s.ProgressShow, http.MethodGet))
	mux.Handle("/api/progress/reset", httpjson.Only(s.ProgressReset, http.MethodPost))
	mux.Handle("/i18n.json", httpjson.Only(Catalogue, http.MethodGet, http.MethodHead))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, r, http.StatusNotFound, "", "console.err.noEndpoint", "path", r.URL.Path)
	})
	static, _ := fs.Sub(webFS, "web")
	files := http.NewServeMux()
	files.Handle("/", http.FileServerFS(static))
	files.Handle("/vendor/", http.StripPrefix("/vendor/", http.FileServerFS(chart.Files)))
	mux.Handle("/", httpjson.Only(func(w http.ResponseWriter, r *http.Request) {
		// Everything the page needs comes from this binary.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}, http.MethodGet, http.MethodHead))
	// The console calls Toxiproxy and the APIs as itself: no other page may.
	return httpguard.CrossOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	}))
}

// infoResponse tells the page what the lab offers.
type infoResponse struct {
	Cluster      string   `json:"cluster"`
	DefaultTopic string   `json:"defaultTopic"`
	Engines      []Engine `json:"engines"`
	Toxiproxy    string   `json:"toxiproxy"`
	Validate     bool     `json:"validate"`
	Experiment   bool     `json:"experiment"`
	Schedules    []string `json:"schedules"`
	PerPartition int      `json:"recordsPerPartition"`
}

// InfoShow describes the lab: cluster name, engines and what can run.
func (s *Server) InfoShow(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, infoResponse{
		Cluster: clusterName, DefaultTopic: prodlab.DefaultTopic, Engines: s.cfg.engines,
		Toxiproxy: s.cfg.toxiproxy, Validate: s.cfg.validate != nil,
		Experiment: s.cfg.experiment != nil, Schedules: s.cfg.schedules,
		PerPartition: s.cfg.perPartition,
	})
}

// advertised returns the address each broker gives producers that come
// through a proxy, unless every broker of meta is proxied already (kfake:
// one listener; real Kafka adds a DIRECT one).
func (s *Server) advertised(ctx context.Context, meta kadm.Metadata) map[int32]string {
	proxies := s.cfg.direct.Proxies()
	if len(proxies) == 0 || !slices.ContainsFunc(meta.Brokers, func(b kadm.BrokerDetail) bool {
		_, ok := s.cfg.direct.Upstream(hostPort(b))
		return !ok
	}) {
		return nil
	}
	through, err := s.cfg.direct.With(direct.Bootstrap(proxies...))
	if err != nil {
		return nil
	}
	bs, _ := through.Brokers(ctx)
	out := map[int32]string{}
	for _, b := range bs {
		out[b.NodeID] = b.Addr
	}
	return out
}

func hostPort(b kadm.BrokerDetail) string { return net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))) }

type brokerInfo struct {
	NodeID     int32  `json:"nodeId"`
	Advertised string `json:"advertised"`
	Direct     string `json:"direct,omitempty"`
	Rack       string `json:"rack,omitempty"`
	Controller bool   `json:"controller"`
}

type partitionInfo struct {
	Partition int32   `json:"partition"`
	Leader    int32   `json:"leader"`
	Replicas  []int32 `json:"replicas"`
	Start     int64   `json:"start"`
	End       int64   `json:"end"`
}

type topicInfo struct {
	Name       string          `json:"name"`
	Partitions []partitionInfo `json:"partitions"`
	Records    int64           `json:"records"` // sum of end - start
}

type clusterResponse struct {
	Name      string       `json:"name"`
	Brokers   []brokerInfo `json:"brokers"`
	Topics    []topicInfo  `json:"topics"`
	Truncated bool         `json:"truncated,omitempty"` // more than maxClusterTopics topics
}

// maxClusterTopics bounds the topics the cluster view lists.
const maxClusterTopics = 200

// ClusterShow lists the brokers and the topics' partitions and offsets.
func (s *Server) ClusterShow(w http.ResponseWriter, r *http.Request) {
	if _, ok := query(w, r); !ok {
		return
	}
	if s.adm == nil {
		fail(w, r, http.StatusServiceUnavailable, "", "console.err.noKafka")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.timeout)
	defer cancel()
	meta, err := s.adm.Metadata(ctx)
	if err != nil {
		s.kafkaUnavailable(w, r, err, "console.err.what.metadata")
		return
	}
	resp := clusterResponse{Name: clusterName, Brokers: []brokerInfo{}, Topics: []topicInfo{}}
	adv := s.advertised(ctx, meta)
	for _, b := range meta.Brokers {
		addr := hostPort(b)
		up, _ := s.cfg.direct.Upstream(addr)
		bi := brokerInfo{NodeID: b.NodeID, Advertised: addr, Direct: up, Controller: b.NodeID == meta.Controller}
		if a := adv[b.NodeID]; a != "" && a != addr {
			bi.Advertised, bi.Direct = a, addr // real Kafka: addr is the DIRECT listener
		}
		if b.Rack != nil {
			bi.Rack = *b.Rack
		}
		resp.Brokers = append(resp.Brokers, bi)
	}
	slices.SortFunc(resp.Brokers, func(a, b brokerInfo) int { return cmp.Compare(a.NodeID, b.NodeID) })
	visible := slices.DeleteFunc(meta.Topics.Names(), func(n string) bool {
		return meta.Topics[n].IsInternal || strings.HasPrefix(n, "__")
	})
	slices.Sort(visible)
	if len(visible) > maxClusterTopics {
		visible, resp.Truncated = visible[:maxClusterTopics], true
	}
	if len(visible) == 0 {
		httpjson.Write(w, http.StatusOK, resp)
		return
	}
	starts, err := s.adm.ListStartOffsets(ctx, visible...)
	if err != nil {
		s.kafkaUnavailable(w, r, err, "console.err.what.startOffsets")
		return
	}
	ends, err := s.adm.ListEndOffsets(ctx, visible...)
	if err != nil {
		s.kafkaUnavailable(w, r, err, "console.err.what.endOffsets")
		return
	}
	for _, n := range visible {
		ti := topicInfo{Name: n, Partitions: []partitionInfo{}}
		for _, p := range meta.Topics[n].Partitions.Sorted() {
			pi := partitionInfo{Partition: p.Partition, Leader: p.Leader, Replicas: p.Replicas}
			if o, ok := starts.Lookup(n, p.Partition); ok && o.Err == nil {
				pi.Start = o.Offset
			}
			if o, ok := ends.Lookup(n, p.Partition); ok && o.Err == nil {
				pi.End = o.Offset
			}
			ti.Records += pi.End - pi.Start
			ti.Partitions = append(ti.Partitions, pi)
		}
		resp.Topics = append(resp.Topics, ti)
	}
	httpjson.Write(w, http.StatusOK, resp)
}

// Catalogue answers the page's words, i18n.JSON.
func Catalogue(w http.ResponseWriter, r *http.Request) {
	if _, ok := query(w, r); !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(i18n.JSON())
}
