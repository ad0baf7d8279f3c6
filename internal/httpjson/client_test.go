package httpjson_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prodlab/prodlab/internal/httpjson"
)

// TestClientHeaderNoRedirects: WithHeader reaches the server on every
// request, and with NoRedirects a redirect is the answer, not followed.
func TestClientHeaderNoRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Token") != "s3cret" || r.UserAgent() != "ua" {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		if r.URL.Path == "/from" {
			http.Redirect(w, r, "/to", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := httpjson.NewClient("test", srv.URL, httpjson.WithHeader("Token", "s3cret"), httpjson.WithUserAgent("ua"), httpjson.NoRedirects())
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/to": http.StatusNoContent, "/from": http.StatusFound} {
		if code, _, err := c.Call(t.Context(), http.MethodGet, path, nil, nil); err != nil || code != want {
			t.Errorf("GET %s = %d, %v; want %d", path, code, err, want)
		}
	}
	// Without NoRedirects, the HTTP client's policy follows it.
	c, err = httpjson.NewClient("test", srv.URL, httpjson.WithHeader("Token", "s3cret"), httpjson.WithUserAgent("ua"))
	if err != nil {
		t.Fatal(err)
	}
	if code, _, err := c.Call(t.Context(), http.MethodGet, "/from", nil, nil); err != nil || code != http.StatusNoContent {
		t.Errorf("GET /from, redirects followed = %d, %v; want 204", code, err)
	}
}
