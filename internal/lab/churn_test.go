package lab_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
	"github.com/prodlab/prodlab/internal/wait"
)

// churnHTTP bounds every call of the churn: a call that gets no answer in
// that time counts as a hang. Toxiproxy's API answers every call within
// 25 s, and a wedged child is replaced within its 30 s watchdog.
var churnHTTP = &http.Client{Timeout: time.Minute}

// churnDuration is how long the toxics churn: 1 minute, or PRODLAB_CHURN.
// The unfixed lab (Toxiproxy in process) crashed after 11 to 98 s of this
// churn, in 11 runs out of 11.
func churnDuration(t *testing.T) time.Duration {
	if s := os.Getenv("PRODLAB_CHURN"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("PRODLAB_CHURN=%q: %v", s, err)
		}
		return d
	}
	return time.Minute
}

// churnCall does one toxic change and fails the test only if Toxiproxy
// does not answer at all: a 404 or 409 is the churn's normal outcome.
func churnCall(method, u, body string) (int, error) {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := churnHTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// TestToxicChurn replays the churn that crashed or wedged the embedded
// Toxiproxy v2.12.0 (upstream Shopify/toxiproxy#558): concurrent toxic
// adds, removals and resets, through Toxiproxy's REST API and through the
// console, while both APIs take async sends and connections through the
// proxy open and close. The lab must come out of it whole: Toxiproxy
// answers, both APIs answer, and every accepted send is in the log.
func TestToxicChurn(t *testing.T) {
	labtest.EmbeddedOnly(t, "embedded lab only")
	l := labtest.Start(t, func(c *lab.Config) { c.ConsolePort = 0 })
	topic := prodlab.DefaultTopic
	labtest.Warm(t, l, topic)
	toxi, cons := l.ToxiproxyURL(), l.ConsoleURL()
	d := churnDuration(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var changes, hangs, errs5xx atomic.Int64
	var firstHang atomic.Value
	start := time.Now()
	loop := func(step func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := step(); err != nil {
					if hangs.Add(1) == 1 {
						firstHang.Store(fmt.Sprintf("after %v: %v", time.Since(start).Round(time.Millisecond), err))
					}
				} else {
					changes.Add(1)
				}
			}
		}()
	}
	call := func(method, u, body string) error {
		code, err := churnCall(method, u, body)
		if code >= 500 {
			errs5xx.Add(1)
		}
		return err
	}
	// 1500 ms is more than the 1 s request timeout: the clients close their
	// connections and open new ones while the toxics change.
	lat := func(name, stream string) string {
		return `{"name":"` + name + `","type":"latency","stream":"` + stream + `","attributes":{"latency":1500}}`
	}
	for _, p := range []string{"kafka"} {
		base := toxi + "/proxies/" + p + "/toxics"
		loop(func() error { return call(http.MethodPost, base, lat("a", "downstream")) })
		loop(func() error { return call(http.MethodPost, base, lat("b", "downstream")) })
		loop(func() error { return call(http.MethodPost, base, lat("d", "downstream")) })
		loop(func() error { return call(http.MethodPost, base, lat("u", "upstream")) })
		loop(func() error {
			if err := call(http.MethodDelete, base+"/a", ""); err != nil {
				return err
			}
			return call(http.MethodDelete, base+"/b", "")
		})
		for range 2 {
			loop(func() error { return call(http.MethodPost, toxi+"/reset", "") })
		}
		cbase := cons + "/api/proxies/" + p + "/toxics"
		loop(func() error {
			if err := call(http.MethodPost, cbase, lat("c", "downstream")); err != nil {
				return err
			}
			return call(http.MethodDelete, cbase+"/c", "")
		})
		loop(func() error { return call(http.MethodPost, cons+"/api/reset", "") })
	}
	// New links while the toxics change: connections that open, send a
	// little and close.
	proxy := l.ProxyAddrs()[0]
	for range 8 {
		loop(func() error {
			c, err := net.DialTimeout("tcp", proxy, 5*time.Second)
			if err != nil {
				return nil // the proxy may be restarting: not a hang
			}
			_, _ = c.Write([]byte{0, 0, 0, 1, 0})
			return c.Close()
		})
	}
	// The load: async sends through both APIs, both modes.
	type accepted struct {
		api       *lab.API
		eventID   string
		requestID string
	}
	var mu sync.Mutex
	var acc []accepted
	var refused atomic.Int64
	for _, a := range l.APIs() {
		for _, mode := range []string{"plain", "idempotent"} {
			a, mode := a, mode
			n := 0
			loop(func() error {
				n++
				id := fmt.Sprintf("churn-%s-%s-%d", a.Engine.Name(), mode, n)
				q := url.Values{"mode": {mode}, "sendMode": {"async"}, "eventId": {id}, "topic": {topic}}
				var body struct {
					RequestID string `json:"requestId"`
				}
				code, err := postJSON(a.URL+"/api/v1/send?"+q.Encode(), &body)
				if err != nil {
					return fmt.Errorf("%s api: %w", a.Engine.Name(), err)
				}
				if code != http.StatusAccepted {
					refused.Add(1)
					return nil
				}
				mu.Lock()
				acc = append(acc, accepted{a, id, body.RequestID})
				mu.Unlock()
				return nil
			})
		}
	}
	timer := time.NewTimer(d)
	<-timer.C
	close(stop)
	wg.Wait()
	t.Logf("churn: %v, %d calls answered (%d with a 5xx), %d unanswered, %d async sends accepted, %d refused; toxiproxy restarted %d times",
		d, changes.Load(), errs5xx.Load(), hangs.Load(), len(acc), refused.Load(), l.ToxiproxyRestarts())
	if h := hangs.Load(); h > 0 {
		t.Errorf("%d calls got no answer, the first %v", h, firstHang.Load())
	}

	// Toxiproxy answers again and clears every toxic.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var lastErr error
	if err := wait.Until(ctx, func() bool {
		code, err := churnCall(http.MethodPost, toxi+"/reset", "")
		if err == nil && code != http.StatusNoContent {
			err = fmt.Errorf("reset answered %d", code)
		}
		lastErr = err
		return err == nil
	}); err != nil {
		t.Fatalf("toxiproxy does not answer after the churn: %v", lastErr)
	}
	var proxies map[string]struct {
		Toxics []any `json:"toxics"`
	}
	if code, err := getJSON(toxi+"/proxies", &proxies); err != nil || code != http.StatusOK {
		t.Fatalf("GET /proxies after reset: %d %v", code, err)
	}
	for n, p := range proxies {
		if len(p.Toxics) != 0 {
			t.Fatalf("proxy %s still holds %d toxics after reset", n, len(p.Toxics))
		}
	}
	// Both APIs answer a sync send.
	for _, a := range l.APIs() {
		labtest.Send(t, a, "mode", "idempotent", "eventId", "after-churn", "topic", topic)
	}
	// Every accepted send ends OK and is in the log.
	pending := map[string]accepted{}
	failedSends := map[string]string{}
	for _, s := range acc {
		pending[s.eventID] = s
	}
	if err := wait.Until(ctx, func() bool {
		for id, s := range pending {
			var st struct {
				State string `json:"state"`
				Error string `json:"error"`
			}
			code, err := getJSON(s.api.URL+"/api/v1/status?requestId="+s.requestID, &st)
			if code == http.StatusNotFound {
				delete(pending, id) // only a finished status is evicted: the log says the rest
				continue
			}
			if err != nil || code != http.StatusOK || st.State == "PENDING" {
				continue
			}
			if st.State != "OK" {
				// An answered failure, not a loss: reported, and kept out
				// of the log check.
				failedSends[id] = st.Error
			}
			delete(pending, id)
		}
		return len(pending) == 0
	}); err != nil {
		t.Fatalf("%d accepted sends still pending after the churn", len(pending))
	}
	inLog := map[string]bool{}
	for _, r := range labtest.Records(t, l, topic) {
		for _, h := range r.Headers {
			if h.Key == "eventId" {
				inLog[string(h.Value)] = true
			}
		}
	}
	lost := 0
	for _, s := range acc {
		if _, failed := failedSends[s.eventID]; !failed && !inLog[s.eventID] {
			lost++
		}
	}
	if len(failedSends) > 0 {
		for id, e := range failedSends {
			t.Logf("%d accepted sends ended in ERROR, such as %s: %s", len(failedSends), id, e)
			break
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d accepted sends are not in the log", lost, len(acc))
	}
}
