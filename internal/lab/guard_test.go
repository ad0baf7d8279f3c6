package lab_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/httpguard"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

// guardDo sends one request with the given Host and extra headers.
func guardDo(t *testing.T, method, u, host, body string, hdr map[string]string) (int, string, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

// guardToxicCount counts the toxics on every proxy, read from Toxiproxy itself.
func guardToxicCount(t *testing.T, l *lab.Lab) int {
	t.Helper()
	code, raw, _ := guardDo(t, "GET", l.ToxiproxyURL()+"/proxies", "", "", nil)
	if code != 200 {
		t.Fatalf("GET /proxies: %d %s", code, raw)
	}
	var m map[string]struct{ Toxics []any }
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range m {
		n += len(p.Toxics)
	}
	return n
}

// TestForeignHostAndOriginRefused sends, to every listener the lab serves
// over HTTP, requests with a foreign Host header (DNS rebinding) and
// cross-site browser requests, and checks each gets a 403 JSON error and
// changes nothing, while the same request from curl or the same origin
// passes.
func TestForeignHostAndOriginRefused(t *testing.T) {
	l := labtest.Start(t, func(c *lab.Config) {
		c.ConsolePort = 0
		c.AllowedHosts = []string{"lab.example"}
	})
	labtest.Warm(t, l, "bhf-transactions")
	listeners := map[string]string{"console": l.ConsoleURL(), "toxiproxy": l.ToxiproxyURL()}
	for _, a := range l.APIs() {
		listeners[a.Engine.Name()] = a.URL
	}
	toxic := `{"name":"guard_probe","type":"latency","attributes":{"latency":1}}`
	// A state-changing request on each listener.
	change := map[string][2]string{
		"console":   {"/api/proxies/kafka/toxics", toxic},
		"toxiproxy": {"/proxies/kafka/toxics", toxic},
	}
	for _, a := range l.APIs() {
		change[a.Engine.Name()] = [2]string{"/api/v1/send?mode=plain&eventId=guard-" + a.Engine.Name(), ""}
	}
	refusedJSON := func(name, what string, code int, raw string, hdr http.Header) {
		t.Helper()
		if code != http.StatusForbidden {
			t.Errorf("%s %s: %d %s, want 403", name, what, code, raw)
			return
		}
		var body struct{ Status int }
		if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(raw), &body) != nil || body.Status != 403 {
			t.Errorf("%s %s: not the JSON error shape: %q", name, what, raw)
		}
	}
	for name, base := range listeners {
		code, raw, hdr := guardDo(t, "GET", base+"/", "evil.example", "", nil)
		refusedJSON(name, "GET / with Host evil.example", code, raw, hdr)
		code, raw, hdr = guardDo(t, "GET", base+"/", "evil.example:"+base[strings.LastIndex(base, ":")+1:], "", nil)
		refusedJSON(name, "GET / with Host evil.example:port", code, raw, hdr)

		c := change[name]
		code, raw, hdr = guardDo(t, "POST", base+c[0], "evil.example", c[1], map[string]string{"Content-Type": "application/json"})
		refusedJSON(name, "POST with Host evil.example", code, raw, hdr)
		code, raw, hdr = guardDo(t, "POST", base+c[0], "", c[1], map[string]string{
			"Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site", "Origin": "http://attacker.example"})
		refusedJSON(name, "cross-site POST", code, raw, hdr)
		code, raw, hdr = guardDo(t, "POST", base+c[0], "", c[1], map[string]string{"Content-Type": "text/plain", "Origin": "http://attacker.example"})
		refusedJSON(name, "POST with a foreign Origin", code, raw, hdr)
		if got := hdr.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", name, got)
		}
		// An allowed name and an IP address pass the Host check.
		for _, h := range []string{"lab.example", "localhost"} {
			if code, raw, _ := guardDo(t, "GET", base+"/", h, "", nil); code == http.StatusForbidden {
				t.Errorf("%s: GET / with Host %s: %d %s", name, h, code, raw)
			}
		}
	}
	if n := guardToxicCount(t, l); n != 0 {
		t.Fatalf("%d toxics after refused requests, want 0", n)
	}
	for _, a := range l.APIs() {
		if got := len(labtest.Count(t, l, "bhf-transactions", "guard-"+a.Engine.Name())); got != 0 {
			t.Fatalf("%s: %d records written by refused requests", a.Engine.Name(), got)
		}
	}

	// The same requests from curl, or from the console's own page, pass.
	if code, raw, _ := guardDo(t, "POST", l.ConsoleURL()+"/api/proxies/kafka/toxics", "", toxic, map[string]string{
		"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin", "Origin": l.ConsoleURL()}); code != http.StatusCreated {
		t.Fatalf("same-origin toxic through the console: %d %s", code, raw)
	}
	if code, raw, _ := guardDo(t, "DELETE", l.ToxiproxyURL()+"/proxies/kafka/toxics/guard_probe", "", "", nil); code != http.StatusNoContent {
		t.Fatalf("curl DELETE toxic: %d %s", code, raw)
	}
	for _, a := range l.APIs() {
		if code, raw, _ := guardDo(t, "POST", a.URL+change[a.Engine.Name()][0], "", "", nil); code != http.StatusOK {
			t.Fatalf("%s: curl send: %d %s", a.Engine.Name(), code, raw)
		}
	}
}

// TestBadAllowedHost checks a name that is not a host name stops Open.
func TestBadAllowedHost(t *testing.T) {
	cfg := lab.DefaultConfig()
	cfg.AllowedHosts = []string{"lab.example:8080"}
	if l, err := lab.Open(t.Context(), cfg); !errors.Is(err, httpguard.ErrBadHost) {
		if l != nil {
			l.Close(t.Context())
		}
		t.Fatalf("Open: %v, want ErrBadHost", err)
	}
}
