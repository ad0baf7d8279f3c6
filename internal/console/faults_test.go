package console_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/console"
)

// TestFaultRoutes drives the fault panel's handlers through Routes() over
// a fake Toxiproxy: every bad input answers 400 naming its field before
// Toxiproxy is called, a wrong method 405 and an unknown path 404,
// Toxiproxy's errors keep their status (with the field only when the
// input is at fault), and the successes have their shapes.
func TestFaultRoutes(t *testing.T) {
	fake, h := recordingConsole(t)
	const toxics = "/api/proxies/kafka/toxics"
	big := `{"type":"latency","name":"` + strings.Repeat("x", 5000) + `"}`
	for _, tc := range []struct {
		method, path, body string
		code               int
		field              string
		calls              int // calls that reach Toxiproxy
	}{
		{"POST", toxics, `{"type":"slicer"}`, 400, "type", 0},
		{"POST", toxics, `{}`, 400, "type", 0},
		{"POST", toxics, `{"type":"latency","stream":"sideways"}`, 400, "stream", 0},
		{"POST", toxics, `{"type":"latency","toxicity":1.5}`, 400, "toxicity", 0},
		{"POST", toxics, `{"type":"latency","toxicity":-0.1}`, 400, "toxicity", 0},
		{"POST", toxics, `{"type":"latency","name":"a b"}`, 400, "name", 0},
		{"POST", toxics, `{"type":"latency","name":"."}`, 400, "name", 0},
		{"POST", toxics, `{"type":"latency","attributes":{"timeout":5}}`, 400, "attributes.timeout", 0},
		{"POST", toxics, `{"type":"timeout","attributes":{"latency":5}}`, 400, "attributes.latency", 0},
		{"POST", toxics, `{"type":"latency","attributes":{"latency":600001}}`, 400, "attributes.latency", 0},
		{"POST", toxics, `{"type":"latency","attributes":{"jitter":-1}}`, 400, "attributes.jitter", 0},
		{"POST", toxics, `{"type":"latency","attributes":{"latency":"5"}}`, 400, "", 0},
		{"POST", toxics, `{"type":"latency","rate":5}`, 400, "", 0},
		{"POST", toxics, `[1]`, 400, "", 0},
		{"POST", toxics, `{"type":`, 400, "", 0},
		{"POST", toxics, big, 400, "", 0},
		{"POST", "/api/proxies/a%20b/toxics", `{"type":"latency"}`, 400, "proxy", 0},
		{"POST", "/api/proxies/" + strings.Repeat("p", 65) + "/toxics", `{"type":"latency"}`, 400, "proxy", 0},
		{"DELETE", "/api/proxies/a%20b/toxics/x", "", 400, "proxy", 0},
		{"DELETE", "/api/proxies/kafka/toxics/a%20b", "", 400, "toxic", 0},
		{"PUT", "/api/proxies", "", 405, "", 0},
		{"DELETE", "/api/proxies", "", 405, "", 0},
		{"GET", toxics, "", 405, "", 0},
		{"PUT", "/api/proxies/kafka/toxics/x", "", 405, "", 0},
		{"GET", "/api/reset", "", 405, "", 0},
		{"GET", "/api/toxics", "", 404, "", 0},
		{"GET", "/api/proxies/kafka", "", 404, "", 0},
		// Toxiproxy's own errors.
		{"POST", "/api/proxies/kafka-2/toxics", `{"type":"latency"}`, 409, "name", 1},
		{"POST", "/api/proxies/nope/toxics", `{"type":"latency"}`, 404, "proxy", 1},
		{"POST", "/api/proxies/broken/toxics", `{"type":"latency"}`, 500, "", 1},
		{"POST", "/api/proxies/locked/toxics", `{"type":"latency"}`, 403, "", 1},
		{"POST", "/api/proxies/garbage/toxics", `{"type":"latency"}`, 502, "", 1},
		{"DELETE", "/api/proxies/kafka/toxics/missing", "", 404, "toxic", 1},
		{"DELETE", "/api/proxies/nope/toxics/x", "", 404, "toxic", 1},
	} {
		t.Run(tc.method+" "+tc.path+" "+tc.body[:min(len(tc.body), 40)], func(t *testing.T) {
			w := serveRecorded(h, tc.method, tc.path, "application/json", tc.body)
			checkErrorShape(t, w, tc.code, tc.field)
			if tc.code == 405 && w.Header().Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
			if calls := fake.take(); len(calls) != tc.calls {
				t.Errorf("Toxiproxy got %q, want %d call(s)", calls, tc.calls)
			}
		})
	}
}

// TestFaultRoutesSuccess checks the shapes of the successes and what
// reaches Toxiproxy: the proxies sorted by name, each toxic list sorted and
// never null, the toxic types; a toxic with the defaults filled in, as
// Toxiproxy made it; 204s for a removal and a reset.
func TestFaultRoutesSuccess(t *testing.T) {
	fake, h := recordingConsole(t)
	w := serveRecorded(h, "GET", "/api/proxies", "", "")
	var list struct {
		Proxies []struct {
			Name, Listen, Upstream string
			Enabled                bool
			Toxics                 []struct{ Name string }
		}
		Types map[string][]string
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list.Proxies) != 2 {
		t.Fatalf("GET /api/proxies: %d %s", w.Code, w.Body)
	}
	if p := list.Proxies[0]; p.Name != "kafka" || p.Listen != "127.0.0.1:29093" || p.Upstream != "127.0.0.1:9092" || !p.Enabled ||
		len(p.Toxics) != 2 || p.Toxics[0].Name != "a" || p.Toxics[1].Name != "b" {
		t.Errorf("first proxy %+v, want kafka with toxics a, b", p)
	}
	if p := list.Proxies[1]; p.Name != "kafka-2" || p.Toxics == nil || len(p.Toxics) != 0 {
		t.Errorf("second proxy %+v, want kafka-2 with an empty toxic list", p)
	}
	if !strings.Contains(w.Body.String(), `"toxics":[]`) {
		t.Errorf("a proxy without toxics is not listed with []: %s", w.Body)
	}
	if len(list.Types) != 3 || len(list.Types["latency"]) != 2 || list.Types["reset_peer"][0] != "timeout" {
		t.Errorf("types %v, want latency, timeout and reset_peer with their attributes", list.Types)
	}
	if calls := fake.take(); len(calls) != 1 || calls[0] != "GET /proxies " {
		t.Errorf("Toxiproxy got %q", calls)
	}

	w = serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "application/json", `{"type":"latency","attributes":{"latency":250}}`)
	var tox struct {
		Name, Type, Stream string
		Toxicity           float64
		Attributes         map[string]int
	}
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &tox) != nil || tox.Name != "latency_downstream" || tox.Type != "latency" ||
		tox.Stream != "downstream" || tox.Toxicity != 1 || tox.Attributes["latency"] != 250 {
		t.Errorf("POST toxic: %d %s, want 201 with latency_downstream, toxicity 1, latency 250", w.Code, w.Body)
	}
	if calls := fake.take(); len(calls) != 1 || !strings.HasPrefix(calls[0], "POST /proxies/kafka/toxics {") {
		t.Errorf("Toxiproxy got %q", calls)
	}
	w = serveRecorded(h, "POST", "/api/proxies/kafka/toxics", "application/json", `{"name":"cut","type":"reset_peer","stream":"upstream","toxicity":0.25,"attributes":{"timeout":0}}`)
	if w.Code != 201 || json.Unmarshal(w.Body.Bytes(), &tox) != nil || tox.Name != "cut" || tox.Stream != "upstream" || tox.Toxicity != 0.25 {
		t.Errorf("POST named toxic: %d %s", w.Code, w.Body)
	}
	fake.take()

	for _, c := range []struct{ method, path, call string }{
		{"DELETE", "/api/proxies/kafka/toxics/latency_downstream", "DELETE /proxies/kafka/toxics/latency_downstream "},
		{"POST", "/api/reset", "POST /reset "},
	} {
		w := serveRecorded(h, c.method, c.path, "", "")
		if w.Code != 204 || w.Body.Len() != 0 {
			t.Errorf("%s %s: %d %q, want 204 with no body", c.method, c.path, w.Code, w.Body)
		}
		if calls := fake.take(); len(calls) != 1 || calls[0] != c.call {
			t.Errorf("%s %s: Toxiproxy got %q, want %q", c.method, c.path, calls, c.call)
		}
	}
}

// TestFaultRoutesWithoutToxiproxy answers 503 when the console has no
// Toxiproxy and 502 when it does not answer, for every fault handler.
func TestFaultRoutesWithoutToxiproxy(t *testing.T) {
	quiet := console.Logger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	none := newConsole(t, quiet)
	ln := httptest.NewServer(http.NotFoundHandler())
	dead := ln.URL
	ln.Close()
	gone := newConsole(t, console.Toxiproxy(dead), console.Timeout(500*time.Millisecond), quiet)
	for _, c := range []struct {
		h    http.Handler
		code int
	}{{none.Routes(), 503}, {gone.Routes(), 502}} {
		for _, r := range [][3]string{
			{"GET", "/api/proxies", ""},
			{"POST", "/api/proxies/kafka/toxics", `{"type":"latency"}`},
			{"DELETE", "/api/proxies/kafka/toxics/x", ""},
			{"POST", "/api/reset", ""},
		} {
			checkErrorShape(t, serveRecorded(c.h, r[0], r[1], "application/json", r[2]), c.code, "")
		}
	}
}
