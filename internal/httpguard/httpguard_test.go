package httpguard_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/httpguard"
)

func guarded(t *testing.T, opts ...httpguard.Opt) (http.Handler, *int) {
	t.Helper()
	g, err := httpguard.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	calls := new(int)
	return g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*calls++
		w.WriteHeader(http.StatusNoContent)
	})), calls
}

func TestHostAllowList(t *testing.T) {
	h, calls := guarded(t, httpguard.AllowHosts("lab.example", ".corp.example", "0.0.0.0"))
	for host, want := range map[string]int{
		"localhost":          204,
		"localhost:8080":     204,
		"LOCALHOST.:8080":    204,
		"app.localhost:1":    204,
		"127.0.0.1:18080":    204,
		"[::1]:8474":         204,
		"[::1]":              204,
		"192.168.1.20:8080":  204,
		"lab.example:8080":   204,
		"corp.example":       204,
		"a.b.corp.example":   204,
		"evil.example":       403,
		"evil.example:8080":  403,
		"localhost.evil.com": 403,
		"xcorp.example":      403,
		"lab.example.evil":   403,
		"":                   403,
		"127.0.0.1:notaport": 403,
	} {
		r := httptest.NewRequest(http.MethodGet, "http://x/api/messages", nil)
		r.Host = host
		w := httptest.NewRecorder()
		before := *calls
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %q: %d, want %d", host, w.Code, want)
			continue
		}
		if want == 403 {
			if *calls != before {
				t.Errorf("Host %q: the handler ran", host)
			}
			var body struct {
				Error  string
				Field  string
				Status int
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Status != 403 || body.Field != "Host" || !strings.Contains(body.Error, "--allowed-host") {
				t.Errorf("Host %q: body %q (%v)", host, w.Body.String(), err)
			}
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("Host %q: no nosniff", host)
		}
	}
}

func TestCrossOrigin(t *testing.T) {
	h, calls := guarded(t)
	for _, c := range []struct {
		name, method string
		header       map[string]string
		want         int
	}{
		{"curl POST", "POST", nil, 204},
		{"same-origin fetch", "POST", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:8080"}, 204},
		{"typed URL", "POST", map[string]string{"Sec-Fetch-Site": "none"}, 204},
		{"cross-site form", "POST", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example", "Content-Type": "text/plain"}, 403},
		{"same-site other port", "POST", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:9999"}, 403},
		{"old browser, foreign Origin", "DELETE", map[string]string{"Origin": "http://evil.example"}, 403},
		{"old browser, same Origin", "POST", map[string]string{"Origin": "http://127.0.0.1:8080"}, 204},
		{"cross-site GET", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, 204},
	} {
		r := httptest.NewRequest(c.method, "http://127.0.0.1:8080/api/send", nil)
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		before := *calls
		h.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s: %d, want %d: %s", c.name, w.Code, c.want, w.Body)
		}
		if c.want == 403 {
			if *calls != before {
				t.Errorf("%s: the handler ran", c.name)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" || !strings.Contains(w.Body.String(), `"status":403`) {
				t.Errorf("%s: not a JSON error: %s %q", c.name, ct, w.Body)
			}
		}
	}
}

func TestCheckHost(t *testing.T) {
	for _, ok := range []string{"lab.example", ".example.com", "10.0.0.1", "::1", "[::1]", "my-host_1"} {
		if err := httpguard.CheckHost(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "lab.example:8080", "a..b", "évil.example", "a b", "http://x"} {
		if err := httpguard.CheckHost(bad); !errors.Is(err, httpguard.ErrBadHost) {
			t.Errorf("%q: %v, want ErrBadHost", bad, err)
		}
	}
	if _, err := httpguard.New(httpguard.AllowHosts("lab:80")); !errors.Is(err, httpguard.ErrBadHost) {
		t.Errorf("New with a port: %v", err)
	}
}
