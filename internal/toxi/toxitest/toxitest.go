// Package toxitest starts a lone embedded Toxiproxy for tests that need
// its REST API but no lab.
package toxitest

import (
	"net/http/httptest"
	"testing"

	"github.com/prodlab/prodlab/internal/toxi"
	"github.com/prodlab/prodlab/internal/toxi/toxiclient"
)

// Proxy starts Toxiproxy with one proxy "kafka" (to a closed port) behind
// an httptest front, and returns that proxy through the client. Closing
// the front makes Toxiproxy's API gone; both stop with the test.
func Proxy(t *testing.T) (*toxiclient.Proxy, *httptest.Server) {
	t.Helper()
	s, err := toxi.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if _, err := s.AddProxy("kafka", "127.0.0.1:0", "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(s.Routes())
	t.Cleanup(front.Close)
	tc, err := toxiclient.New(front.URL)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tc.Proxies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return m["kafka"], front
}
