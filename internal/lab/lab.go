// Package lab wires the whole lab in one process: the embedded (or an
// external) Kafka cluster, Toxiproxy, the producer APIs and the console.
package lab

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/accept"
	"github.com/prodlab/prodlab/internal/admin"
	"github.com/prodlab/prodlab/internal/api"
	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/engine"
	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/i18n"
	"github.com/prodlab/prodlab/internal/kafkalocal"
	"github.com/prodlab/prodlab/internal/kproxy"
	"github.com/prodlab/prodlab/internal/metrics"
	"github.com/prodlab/prodlab/internal/progress"
	"github.com/prodlab/prodlab/internal/status"
	"github.com/prodlab/prodlab/internal/toxi"
)

// Lab is a running lab.
type Lab struct {
	cfg     Config
	guard   *httpguard.Guard // Host allow-list and cross-origin checks
	closers []func()         // what Open started, closed in reverse by Close

	// The cluster, and Toxiproxy between it and the producers.
	cluster *broker.Cluster // the embedded one; nil with an external one
	path    *direct.Path    // the observers' way around Toxiproxy
	toxi    *toxi.Server
	proxies []string
	mode    FaultMode
	relay   *kproxy.Relay // Relayed mode, or Dialed mode's DialContext
	labCA   string        // the relay's CA certificate, with TLS

	// What the lab serves.
	toxiURL     string
	apis        []*API
	servers     []*fasthttp.Server // producer APIs
	consoleURL  string
	stopConsole func() // nil once stopped, or without a console
	progress    atomic.Pointer[progress.Recorder]
	shut        bool // engines flushed and closed
}

// API is one running producer API.
type API struct {
	Engine  prodlab.Producer
	Server  *api.Server
	Store   *status.Store
	Metrics *metrics.Metrics
	URL     string
}

// Handler serves the API's routes and GET /metrics.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", httpjson.Only(a.Metrics.Handler().ServeHTTP, http.MethodGet, http.MethodHead))
	mux.Handle("/", a.Server.Routes())
	return mux
}

// Open checks cfg, then opens the lab in steps: the cluster, the proxies,
// the progress record, the APIs, the console. On any error, what the
// steps opened is closed again.
func Open(ctx context.Context, cfg Config) (_ *Lab, err error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l := &Lab{cfg: cfg}
	defer func() {
		if err != nil {
			l.Close(context.Background())
		}
	}()
	if l.guard, err = httpguard.New(httpguard.AllowHosts(cfg.Host), httpguard.AllowHosts(cfg.AllowedHosts...)); err != nil {
		return nil, fmt.Errorf("allowed hosts: %w", err)
	}
	if l.toxi, err = toxi.New(toxi.Verbose(cfg.Verbose), toxi.Logger(cfg.Logger.With("part", "toxiproxy")), toxi.Observe(l.observeToxic)); err != nil {
		return nil, err
	}
	l.closers = append(l.closers, l.toxi.Close)
	var upstreams []string
	for _, step := range []func() error{
		func() (err error) { upstreams, err = l.openCluster(ctx); return err },
		func() error { return l.openProxies(ctx, upstreams) },
		l.openProgress, l.openAPIs, l.openConsole,
	} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// port returns base+i, or 0 (any free port) when base is 0.
func port(base, i int) int {
	if base == 0 {
		return 0
	}
	return base + i
}

// openCluster starts the embedded cluster, or finds the external one and
// its fault mode, sets the direct path and returns the proxies' upstreams.
func (l *Lab) openCluster(ctx context.Context) ([]string, error) {
	addrs := l.cfg.External
	if len(addrs) == 0 {
		if err := l.startBrokers(); err != nil {
			return nil, err
		}
		addrs = l.cluster.DirectAddrs()
	}
	// Observers bypass every proxy, those the relay or the dialer add too.
	var err error
	if l.path, err = direct.New(direct.Bootstrap(addrs...), direct.Follow(l.toxi.Proxies), direct.Props(l.cfg.Producer.Client)); err != nil {
		return nil, err
	}
	if l.cluster != nil {
		l.mode = Proxied
		return addrs, nil
	}
	var upstreams []string
	if l.mode, upstreams, err = l.externalFaults(ctx); err != nil {
		return nil, err
	}
	switch l.mode {
	case Dialed:
		return nil, l.openDialer()
	case Relayed:
		up, err := l.openRelay()
		return []string{up}, err
	}
	return upstreams, nil
}

// startBrokers starts the embedded cluster.
func (l *Lab) startBrokers() error {
	cfg := l.cfg
	ports := make([]int, cfg.Brokers)
	for i := range ports {
		ports[i] = port(cfg.BrokerPort, i)
	}
	bopts := []broker.Opt{broker.Host(cfg.Host), broker.Brokers(cfg.Brokers), broker.Ports(ports...),
		broker.Topics(prodlab.DefaultPartitions, prodlab.DefaultTopic),
		broker.CompactOnKey(admin.RollKey), broker.MaxFrameBytes(int32(cfg.MaxFrameBytes)), // roll: see broker/roll.go
		broker.Logger(cfg.Logger.With("part", "kafka")), broker.SyncWrites(cfg.SyncWrites), broker.DataDir(cfg.DataDir)}
	var err error
	if l.cluster, err = broker.Start(bopts...); err != nil {
		return fmt.Errorf("embedded kafka: %w", err)
	}
	l.closers = append(l.closers, l.cluster.Close)
	return nil
}

// openProxies creates proxy i (kafka, kafka-2...) to upstreams[i], which
// an embedded broker advertises; an external cluster in Proxied mode must
// advertise only proxies.
func (l *Lab) openProxies(ctx context.Context, upstreams []string) error {
	for i, up := range upstreams {
		listen := net.JoinHostPort(l.cfg.Host, strconv.Itoa(port(l.cfg.ProxyPort, i)))
		addr, err := l.toxi.AddProxy(kafkalocal.ProxyName(i+1), listen, up)
		if err != nil {
			return err
		}
		l.proxies = append(l.proxies, addr)
		if l.cluster != nil {
			if err := l.cluster.Advertise(i, addr); err != nil {
				return err
			}
		}
	}
	if l.cluster == nil && l.mode == Proxied {
		return kafkalocal.CheckAdvertised(ctx, l.path, l.proxies)
	}
	return nil
}

// openAPIs serves Toxiproxy's REST API and the producer APIs.
func (l *Lab) openAPIs() error {
	tln, err := net.Listen("tcp", net.JoinHostPort(l.cfg.Host, strconv.Itoa(l.cfg.ToxiproxyPort)))
	if err != nil {
		return fmt.Errorf("toxiproxy api: %w", err)
	}
	l.toxiURL = "http://" + tln.Addr().String()
	srv := l.serve(tln, l.toxi.Routes())
	l.closers = append(l.closers, func() { srv.Close() })
	for _, name := range slices.Sorted(maps.Keys(l.cfg.APIPorts)) {
		a, err := l.openAPI(name, net.JoinHostPort(l.cfg.Host, strconv.Itoa(l.cfg.APIPorts[name])))
		if err != nil {
			return err
		}
		l.apis = append(l.apis, a)
	}
	return nil
}

// openAPI starts the producer API of engine name on addr. Its producers
// are seeded with every proxy (in Dialed mode, the brokers, which
// franz-go's dialer reaches through proxies); its topic checks take the
// direct path, so that a toxic never fails them.
func (l *Lab) openAPI(name, addr string) (*API, error) {
	pc := l.cfg.Producer
	pc.Bootstrap = l.proxies
	if l.mode == Dialed {
		pc.Bootstrap, pc.Dial = l.path.Bootstrap(), l.relay.DialContext
	}
	pc.Metadata, pc.MetadataDial = l.path.Bootstrap(), l.path.Dial
	if l.labCA != "" {
		// The relay serves the lab CA's certificate: the APIs trust it,
		// and check topics through the relay's proxies, which the path
		// bypasses.
		var err error
		if pc.Client, err = pc.Client.With("ssl.ca.location", l.labCA); err != nil {
			return nil, err
		}
		pc.Metadata = l.proxies
	}
	pc.Logger = cmp.Or(pc.Logger, l.cfg.Logger)
	// openProgress has made the record: the lab runs an API.
	a, err := NewAPI(name, pc, l.cfg.StoreSize, l.cfg.StoreTTL, l.cfg.Logger, api.Observe(l.Progress().API))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		a.Engine.Close()
		return nil, fmt.Errorf("%s api: %w", name, err)
	}
	srv, served := ServeAPI(ln, a, l.guard, l.cfg.ReadTimeout, l.cfg.IdleTimeout, l.cfg.Logger)
	go func() {
		if err := <-served; err != nil {
			l.cfg.Logger.Error("http server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	l.servers = append(l.servers, srv)
	a.URL = "http://" + ln.Addr().String()
	return a, nil
}

// NewAPI builds engine name from pc and the producer API in front of it,
// with a status store bounded by size and ttl; opts go to api.New. The
// caller serves Handler() and sets URL.
func NewAPI(name string, pc prodlab.Config, size int, ttl time.Duration, logger *slog.Logger, opts ...api.Opt) (*API, error) {
	eng, err := engine.New(name, pc)
	if err != nil {
		return nil, err
	}
	store, err := status.New(status.MaxEntries(size), status.TTL(ttl))
	if err != nil {
		eng.Close()
		return nil, err
	}
	m := metrics.New(eng, store)
	opts = append([]api.Opt{api.Logger(logger.With("engine", name)), api.Observe(m.Observe)}, opts...)
	srv, err := api.New(eng, store, opts...)
	if err != nil {
		eng.Close()
		return nil, err
	}
	return &API{Engine: eng, Server: srv, Store: store, Metrics: m}, nil
}

// ServeAPI serves a on ln behind guard, on fasthttp: its send and status
// routes natively (api.Server.Fast), every other request through Handler;
// it accepts through accept.Next.
// read bounds reading a request and idle a keep-alive wait; headers and
// body are bounded at 64 KiB. served gets Serve's error, nil after
// ShutdownWithContext, which waits for every request it accepted.
func ServeAPI(ln net.Listener, a *API, guard *httpguard.Guard, read, idle time.Duration, log *slog.Logger) (_ *fasthttp.Server, served <-chan error) {
	s := &fasthttp.Server{Handler: guard.Fast(a.Server.Fast, a.Handler()), ReadTimeout: read, WriteTimeout: writeMargin,
		IdleTimeout: idle, ReadBufferSize: 64 << 10, MaxRequestBodySize: 64 << 10, NoDefaultServerHeader: true, LazyRequestTime: true,
		CloseOnShutdown: true, Logger: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	done := make(chan error, 1)
	go func() { done <- s.Serve(accept.Listener(ln, log)) }() // fasthttp's Serve ends at an EMFILE
	return s, done
}

// writeMargin is how much longer than the delivery timeout an answer may
// take to write: a sync send answers within the delivery timeout.
const writeMargin = 30 * time.Second

// serve serves h on ln behind the guard, with limits such that no slow or
// idle client holds a connection and no answer is cut before the sync
// bound. OPTIONS * reaches h, which refuses it.
func (l *Lab) serve(ln net.Listener, h http.Handler) *http.Server {
	s := &http.Server{Handler: l.guard.Wrap(h), DisableGeneralOptionsHandler: true,
		ReadHeaderTimeout: min(10*time.Second, l.cfg.ReadTimeout), ReadTimeout: l.cfg.ReadTimeout,
		WriteTimeout: l.cfg.Producer.DeliveryTimeout + writeMargin, IdleTimeout: l.cfg.IdleTimeout, MaxHeaderBytes: 64 << 10}
	go func() {
		if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.cfg.Logger.Error("http server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return s
}

// WaitReady blocks until every API's engine is ready.
func (l *Lab) WaitReady(ctx context.Context) error {
	for _, a := range l.apis {
		if err := a.Server.WaitReady(ctx); err != nil {
			return fmt.Errorf("%s api not ready: %w", a.Engine.Name(), err)
		}
	}
	return nil
}

// DirectAddrs are the brokers' direct addresses, the bootstrap of Direct.
func (l *Lab) DirectAddrs() []string { return l.path.Bootstrap() }

// Direct is the direct path around Toxiproxy, which every observer of
// the lab reads through.
func (l *Lab) Direct() *direct.Path { return l.path }

// ProxyAddrs are the proxies created at start: one per broker in Proxied
// mode, proxy kafka in Relayed mode, none in Dialed mode (see
// DialerProxies).
func (l *Lab) ProxyAddrs() []string { return l.proxies }

// Producer is the engines' producer configuration.
func (l *Lab) Producer() prodlab.Config { return l.cfg.Producer }

// ToxiproxyURL is the base URL of Toxiproxy's REST API.
func (l *Lab) ToxiproxyURL() string { return l.toxiURL }

// APIs returns the running producer APIs, in engine-name order.
func (l *Lab) APIs() []*API { return l.apis }

// Cluster returns the embedded cluster, or nil with an external one.
func (l *Lab) Cluster() *broker.Cluster { return l.cluster }

// ErrDropped means a clean stop dropped sends that an API had accepted.
var ErrDropped = errors.New("accepted sends were dropped")

// Shutdown stops the lab cleanly: the console (its run removes its
// toxics), every toxic, then the APIs, each with the sync bound to finish
// what it answers, then each engine flushes with that budget and closes.
// Cancelling ctx gives up waiting. Each send dropped is logged with its
// eventId, and the error wraps ErrDropped. Toxiproxy and the brokers keep
// running.
func (l *Lab) Shutdown(ctx context.Context) error {
	if l.stopConsole != nil {
		l.stopConsole()
		l.stopConsole = nil
	}
	if l.shut {
		return nil
	}
	l.shut = true
	var errs []error
	if l.toxi != nil {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := l.toxi.Reset(rctx); err != nil {
			errs = append(errs, fmt.Errorf("removing the toxics: %w", err))
		} else {
			l.cfg.Logger.Info(i18n.T("lab.log.toxicsRemoved"))
		}
		cancel()
	}
	budget := l.cfg.Producer.DeliveryTimeout + writeMargin
	sctx, cancel := context.WithTimeout(ctx, budget)
	errs = append(errs, inParallel(l.servers, func(s *fasthttp.Server) error { return s.ShutdownWithContext(sctx) }))
	cancel()
	l.servers = nil
	var dropped atomic.Int64
	errs = append(errs, inParallel(l.apis, func(a *API) error {
		n, err := l.closeAPI(ctx, a, budget)
		dropped.Add(int64(n))
		return err
	}))
	if n := dropped.Load(); n > 0 {
		errs = append(errs, fmt.Errorf("%w: %d", ErrDropped, n))
	}
	return errors.Join(errs...)
}

// inParallel calls fn on every item at once and joins their errors.
func inParallel[T any](items []T, fn func(T) error) error {
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Go(func() { errs[i] = fn(it) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// closeAPI flushes a's engine for up to budget, closes it and returns how
// many accepted sends it dropped, each logged with its eventId.
func (l *Lab) closeAPI(ctx context.Context, a *API, budget time.Duration) (int, error) {
	fctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var err error
	if ferr := a.Engine.Flush(fctx); ferr != nil {
		err = fmt.Errorf("%s flush: %w", a.Engine.Name(), ferr)
	}
	pending := a.Store.Pending()
	a.Engine.Close()
	dropped := 0
	for req, ev := range pending {
		if st, gerr := a.Store.Get(req); gerr == nil && st.State == prodlab.OK {
			continue // acknowledged between the flush and the close
		}
		dropped++
		l.cfg.Logger.Error(i18n.T("lab.log.dropped"), "engine", a.Engine.Name(), "eventId", ev, "requestId", req)
	}
	p, finished := a.Store.Counts()
	l.cfg.Logger.Info(i18n.T("lab.log.producerClosed"), "engine", a.Engine.Name(), "pending", p, "finished", finished, "dropped", dropped)
	return dropped, err
}

// Close shuts the lab down: Shutdown, then what Open started, in reverse.
func (l *Lab) Close(ctx context.Context) error {
	err := l.Shutdown(ctx)
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
	l.closers = nil
	return err
}
