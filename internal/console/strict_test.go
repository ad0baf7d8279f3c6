package console_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/console"
	"github.com/prodlab/prodlab/internal/direct/directtest"
	"github.com/prodlab/prodlab/internal/httpjson"
)

// recordingToxiproxy records the calls the console makes. It holds the
// proxies kafka (toxics b and a) and kafka-2 (none); proxy kafka takes any
// toxic, kafka-2 already has every toxic (409), broken fails (500), locked
// refuses (403) and garbage answers what is not JSON; kafka's toxic
// missing does not exist.
type recordingToxiproxy struct {
	mu    sync.Mutex
	calls []string // method path body
}

func (f *recordingToxiproxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path+" "+string(body))
	f.mu.Unlock()
	answer := func(code int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /proxies":
		answer(http.StatusOK, `{"kafka-2":{"name":"kafka-2","listen":"127.0.0.1:29094","upstream":"127.0.0.1:9093","enabled":true,"toxics":null},`+
			`"kafka":{"name":"kafka","listen":"127.0.0.1:29093","upstream":"127.0.0.1:9092","enabled":true,"toxics":[`+
			`{"name":"b","type":"latency","stream":"downstream","toxicity":1,"attributes":{"latency":5,"jitter":0}},`+
			`{"name":"a","type":"timeout","stream":"upstream","toxicity":0.5,"attributes":{"timeout":0}}]}}`)
	case "POST /reset":
		w.WriteHeader(http.StatusNoContent)
	case "POST /proxies/kafka/toxics":
		answer(http.StatusOK, string(body))
	case "POST /proxies/kafka-2/toxics":
		answer(http.StatusConflict, `{"error":"toxic already exists","status":409}`)
	case "POST /proxies/broken/toxics":
		answer(http.StatusInternalServerError, `{"error":"boom","status":500}`)
	case "POST /proxies/locked/toxics":
		answer(http.StatusForbidden, `{"error":"forbidden","status":403}`)
	case "POST /proxies/garbage/toxics":
		answer(http.StatusOK, `not json`)
	case "DELETE /proxies/kafka/toxics/missing":
		answer(http.StatusNotFound, `{"error":"toxic not found","status":404}`)
	default:
		if r.Method == "DELETE" && strings.HasPrefix(r.URL.Path, "/proxies/kafka/toxics/") {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		answer(http.StatusNotFound, `{"error":"proxy not found","status":404}`)
	}
}

func (f *recordingToxiproxy) take() (out []string) {
	f.mu.Lock()
	out, f.calls = f.calls, nil
	f.mu.Unlock()
	return
}

func recordingConsole(t testing.TB) (*recordingToxiproxy, http.Handler) {
	t.Helper()
	fake := &recordingToxiproxy{}
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	c := newConsole(t, console.Toxiproxy(ts.URL), console.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	return fake, c.Routes()
}

func serveRecorded(h http.Handler, method, target, ctype, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://127.0.0.1:8080"+target, strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func checkErrorShape(t testing.TB, w *httptest.ResponseRecorder, code int, field string) {
	t.Helper()
	var e httpjson.ErrorBody
	if w.Code != code || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Status != code || e.Field != field || e.Error == "" {
		t.Fatalf("answer %d %s, want a %d JSON error on field %q", w.Code, w.Body, code, field)
	}
}

// TestToxicInputs checks the names a URL path would resolve, the body's
// media type and trailing data, and the console's own cross-origin check.
func TestToxicInputs(t *testing.T) {
	fake, h := recordingConsole(t)
	for _, p := range []string{"/api/proxies/kafka/toxics/%2E%2E", "/api/proxies/kafka/toxics/%2E", "/api/proxies/%2E%2E/toxics/x"} {
		w := serveRecorded(h, "DELETE", p, "", "")
		if w.Code != 400 && w.Code != 404 {
			t.Errorf("DELETE %s: %d %s, want 400", p, w.Code, w.Body)
		}
	}
	checkErrorShape(t, serveRecorded(h, "DELETE", "/api/proxies/kafka/toxics/%2E%2E", "", ""), 400, "toxic")
	checkErrorShape(t, serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "application/json", `{"type":"latency","name":".."}`), 400, "name")
	checkErrorShape(t, serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "text/plain", `{"type":"latency"}`), 415, "Content-Type")
	checkErrorShape(t, serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "", `{"type":"latency"}`), 415, "Content-Type")
	checkErrorShape(t, serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "application/json", `{"type":"latency"} {"type":"timeout"}`), 400, "")
	checkErrorShape(t, serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "application/json", `{"type":"latency"}`,
		"Sec-Fetch-Site", "cross-site", "Origin", "http://attacker.example"), 403, "")
	if calls := fake.take(); len(calls) != 0 {
		t.Fatalf("refused requests reached Toxiproxy: %q", calls)
	}
	w := serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "application/json; charset=utf-8", `{"type":"latency","attributes":{"latency":5}}`,
		"Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:8080")
	if w.Code != http.StatusCreated || len(fake.take()) != 1 {
		t.Fatalf("same-origin toxic: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("no nosniff")
	}
	page := serveRecorded(h, "GET", "/", "", "")
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q has no frame-ancestors 'none'", csp)
	}
}

// TestNoInternalURLsInErrors checks that an unreachable Toxiproxy or API
// gives an error that names neither its URL nor the raw client error.
func TestNoInternalURLsInErrors(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	dead := ln.URL
	ln.Close()
	c := newConsole(t, console.Toxiproxy(dead), console.API("franz", dead), console.Direct(directtest.Path(t, strings.TrimPrefix(dead, "http://"))),
		console.Timeout(500*time.Millisecond), console.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h := c.Routes()
	for _, w := range []*httptest.ResponseRecorder{
		serveRecorded(h, "GET", "/api/proxies", "", ""),
		serveRecorded(h, "POST", "/api/send?engine=franz&mode=plain&eventId=E1", "", ""),
		serveRecorded(h, "GET", "/api/cluster", "", ""),
		serveRecorded(h, "GET", "/api/messages?topic=bhf-transactions", "", ""),
	} {
		if w.Code != http.StatusServiceUnavailable {
			checkErrorShape(t, w, http.StatusBadGateway, "")
		} else {
			checkErrorShape(t, w, http.StatusServiceUnavailable, "")
		}
		if host := strings.TrimPrefix(dead, "http://"); strings.Contains(w.Body.String(), host) || strings.Contains(w.Body.String(), "connection refused") {
			t.Fatalf("error body carries an internal address or client error: %s", w.Body)
		}
	}
	checkErrorShape(t, serveRecorded(h, "POST", "/api/send?engine=franz&mode=plain&eventId=E1&partition=2;x", "", ""), 400, "partition")
}

// FuzzToxicBody posts arbitrary bodies to the console's toxic endpoint
// over a fake Toxiproxy. Every answer is a 2xx or a 4xx JSON error; a 4xx
// never reaches Toxiproxy, and what reaches it is a toxic the console
// allows.
func FuzzToxicBody(f *testing.F) {
	f.Add(`{"type":"latency","attributes":{"latency":5}}`)
	fake, h := recordingConsole(f)
	allowed := map[string][]string{"latency": {"latency", "jitter"}, "timeout": {"timeout"}, "reset_peer": {"timeout"}}
	f.Fuzz(func(t *testing.T, body string) {
		w := serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "application/json", body)
		calls := fake.take()
		if w.Code >= 300 {
			if w.Code >= 500 || w.Code < 400 {
				t.Fatalf("%q: %d %s", body, w.Code, w.Body)
			}
			var e httpjson.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != w.Code || e.Error == "" {
				t.Fatalf("%q: %d is not a JSON error: %s", body, w.Code, w.Body)
			}
			if len(calls) != 0 {
				t.Fatalf("%q: refused with %d but Toxiproxy got %q", body, w.Code, calls)
			}
			return
		}
		if w.Code != http.StatusCreated || len(calls) != 1 {
			t.Fatalf("%q: %d %s, Toxiproxy got %q", body, w.Code, w.Body, calls)
		}
		var sent struct {
			Name       string         `json:"name"`
			Type       string         `json:"type"`
			Stream     string         `json:"stream"`
			Toxicity   float64        `json:"toxicity"`
			Attributes map[string]int `json:"attributes"`
		}
		raw := strings.TrimPrefix(calls[0], "POST /proxies/kafka/toxics ")
		if err := json.Unmarshal([]byte(raw), &sent); err != nil {
			t.Fatalf("%q: Toxiproxy got %q: %v", body, raw, err)
		}
		attrs, ok := allowed[sent.Type]
		if !ok || (sent.Stream != "downstream" && sent.Stream != "upstream") || sent.Toxicity < 0 || sent.Toxicity > 1 ||
			sent.Name == "" || sent.Name == "." || sent.Name == ".." || len(sent.Name) > 64 || strings.Trim(sent.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
			t.Fatalf("%q: Toxiproxy got a toxic the console does not allow: %s", body, raw)
		}
		for k, v := range sent.Attributes {
			known := false
			for _, a := range attrs {
				known = known || a == k
			}
			if !known || v < 0 || v > console.MaxToxicMillis {
				t.Fatalf("%q: Toxiproxy got attribute %s=%d", body, k, v)
			}
		}
	})
}
