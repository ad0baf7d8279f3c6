// Package toxi embeds Toxiproxy: the real library, serving its own REST API.
package toxi

import (
	"fmt"
	"io"
	"net/http"
	"os"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Server is an embedded Toxiproxy server.
type Server struct {
	api *toxiproxy.ApiServer
}

// New returns a Server. Toxiproxy's own logs go to stderr when verbose, and
// only its errors otherwise: it warns on every closed connection.
func New(verbose bool) *Server {
	var w io.Writer = os.Stderr
	level := zerolog.ErrorLevel
	if verbose {
		level = zerolog.InfoLevel
	}
	logger := zerolog.New(zerolog.ConsoleWriter{Out: w}).Level(level).With().Timestamp().Logger()
	return &Server{api: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), logger)}
}

// AddProxy starts a proxy from listen to upstream and returns the address it
// listens on (listen may use port 0).
func (s *Server) AddProxy(name, listen, upstream string) (string, error) {
	p := toxiproxy.NewProxy(s.api, name, listen, upstream)
	if err := s.api.Collection.Add(p, true); err != nil {
		return "", fmt.Errorf("toxiproxy proxy %s on %s: %w", name, listen, err)
	}
	return p.Listen, nil
}

// Proxies maps each proxy's listen address to its upstream.
func (s *Server) Proxies() map[string]string {
	m := make(map[string]string)
	for _, p := range s.api.Collection.Proxies() {
		m[p.Listen] = p.Upstream
	}
	return m
}

// Routes returns Toxiproxy's REST API handler.
func (s *Server) Routes() http.Handler { return s.api.Routes() }

// Close stops every proxy.
func (s *Server) Close() { _ = s.api.Collection.Clear() }
