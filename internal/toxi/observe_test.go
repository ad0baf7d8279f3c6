package toxi

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// TestObserve: every toxic change Toxiproxy accepts through Routes is
// reported, as Toxiproxy answered it; refused changes and reads are not.
func TestObserve(t *testing.T) {
	var mu sync.Mutex
	var got []Change
	s := start(t, Observe(func(c Change) { mu.Lock(); got = append(got, c); mu.Unlock() }))
	if _, err := s.AddProxy("kafka", "127.0.0.1:0", echo(t)); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(s.Routes())
	defer api.Close()
	do := func(method, path, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest(method, api.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s = %d, want %d", method, path, resp.StatusCode, want)
		}
	}
	do("POST", "/proxies/kafka/toxics", `{"name":"lat","type":"latency","attributes":{"latency":500}}`, 200)
	do("POST", "/proxies/kafka/toxics/lat", `{"attributes":{"latency":5000,"jitter":0}}`, 200)
	do("GET", "/proxies/kafka/toxics", "", 200)
	do("POST", "/proxies/kafka/toxics", `{"name":"lat","type":"latency"}`, 409) // exists
	do("POST", "/proxies/nope/toxics", `{"name":"x","type":"timeout"}`, 404)
	do("DELETE", "/proxies/kafka/toxics/lat", "", 204)
	do("POST", "/proxies/kafka/toxics", `{"name":"t","type":"timeout","attributes":{"timeout":0}}`, 200)
	do("POST", "/reset", "", 204)
	want := []Change{
		{Proxy: "kafka", Toxic: "lat", Type: "latency", Stream: "downstream", Attributes: map[string]int64{"latency": 500, "jitter": 0}},
		{Proxy: "kafka", Toxic: "lat", Type: "latency", Stream: "downstream", Attributes: map[string]int64{"latency": 5000, "jitter": 0}},
		{Proxy: "kafka", Toxic: "lat", Removed: true},
		{Proxy: "kafka", Toxic: "t", Type: "timeout", Stream: "downstream", Attributes: map[string]int64{"timeout": 0}},
		{Reset: true},
	}
	mu.Lock()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes:\n got %+v\nwant %+v", got, want)
	}
	got = nil
	mu.Unlock()
	if err := s.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(got, []Change{{Reset: true, Lost: true}}) {
		t.Fatalf("Reset reported %+v", got)
	}
}
