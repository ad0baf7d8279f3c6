package toxi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestToxicsThatCrashToxiproxy: Toxiproxy accepts a slicer with
// average_size 0 (its default), which recurses until the stack overflows
// (900 MB, then the child dies) on the next byte, a latency jitter it
// doubles past int64 (rand.Int63n panics) and a negative bandwidth rate
// (it slices out of range). The child refuses both, added
// or updated, and keeps the toxics it accepts; a connection crosses them.
func TestToxicsThatCrashToxiproxy(t *testing.T) {
	s := start(t)
	addr, err := s.AddProxy("echo", "127.0.0.1:0", echo(t))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(s.Routes())
	t.Cleanup(front.Close)
	fa := strings.TrimPrefix(front.URL, "http://")
	for _, body := range []string{
		`{"name":"s","type":"slicer"}`,
		`{"name":"s","type":"slicer","attributes":null}`,
		`{"name":"s","type":"slicer","attributes":{"average_size":-3}}`,
		`{"name":"s","type":"slicer","attributes":{"average_size":10,"size_variation":10}}`,
		`{"name":"s","type":"slicer","attributes":{"average_size":10,"size_variation":-1}}`,
		`{"name":"l","type":"latency","attributes":{"latency":1,"jitter":9223372036854775807}}`,
		`{"name":"l","type":"latency","attributes":{"jitter":-1}}`,
		`{"name":"b","type":"bandwidth","attributes":{"rate":-1}}`,
		`{"name":"b","type":"bandwidth","attributes":{"rate":92233720368547759}}`,
	} {
		if code, _, got := raw(t, fa, "POST", "/proxies/echo/toxics", body); code != http.StatusBadRequest {
			t.Errorf("POST %s: %d %s, want 400", body, code, got)
		}
	}
	for _, body := range []string{
		`{"name":"s","type":"slicer","attributes":{"average_size":3,"size_variation":2}}`,
		`{"name":"l","type":"latency","attributes":{"latency":1,"jitter":1}}`,
	} {
		if code, _, got := raw(t, fa, "POST", "/proxies/echo/toxics", body); code != http.StatusOK {
			t.Fatalf("POST %s: %d %s", body, code, got)
		}
	}
	for path, body := range map[string]string{
		"/proxies/echo/toxics/s": `{"attributes":{"size_variation":3}}`,
		"/proxies/echo/toxics/l": `{"attributes":{"jitter":4611686018427387904}}`,
	} {
		if code, _, got := raw(t, fa, "POST", path, body); code != http.StatusBadRequest {
			t.Errorf("POST %s %s: %d %s, want 400", path, body, code, got)
		}
	}
	if code, _, got := raw(t, fa, "GET", "/proxies/echo/toxics", ""); code != http.StatusOK ||
		!strings.Contains(got, `"average_size":3,"size_variation":2`) || !strings.Contains(got, `"jitter":1`) {
		t.Fatalf("toxics after refused updates: %d %s", code, got)
	}
	roundTrip(t, addr)
	if n := s.Restarts(); n != 0 {
		t.Fatalf("the child restarted %d times", n)
	}
}
