package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/httpjson"
	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

// serve runs one request through h with a deadline: through fasthttp
// when h is a fakeRoutes'.
func serve(t testing.TB, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	if fh, ok := h.(fastRoutes); ok {
		got := make(chan *httptest.ResponseRecorder, 1)
		go func() { got <- fh.serveFast(method, target) }()
		select {
		case w := <-got:
			return w
		case <-time.After(5 * time.Second):
			t.Fatalf("%s %s: no answer within 5s", method, target)
		}
	}
	r := httptest.NewRequest(method, "http://127.0.0.1/", nil)
	path, raw, _ := strings.Cut(target, "?")
	r.URL.Path, r.URL.RawQuery, r.RequestURI = path, raw, target
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r = r.WithContext(ctx)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if ctx.Err() != nil {
		t.Fatalf("%s %s: no answer within 5s", method, target)
	}
	return w
}

// TestStrictQuery checks the cases: a pair that does not decode is
// refused naming it, never skipped.
func TestStrictQuery(t *testing.T) {
	eng, h := parseAPI(t)
	for _, c := range []struct{ query, field, msg string }{
		{"mode=plain&eventId=E1&partition=2;x", "partition", `"partition=2;x" holds a ';'`},
		{"mode=plain&eventId=E1&topic=bad%", "topic", `"topic=bad%" has a bad %-escape`},
		{`mode=plain&eventId='";--`, "eventId", `holds a ';'`},
		{"mode=plain&eventId=E1&key=%ff", "key", "not valid UTF-8"},
		{"mode=plain&eventId=E%00", "eventId", "control character"},
		{"mode=plain&eventId=E1&key=a%0Db", "key", "control character"},
		{"mode=plain&eventId=E1&sendMode=", "sendMode", "sendMode is empty"},
		{"mode=plain&eventId=E1&x%zz=1", "x%zz", "bad %-escape"},
	} {
		w := serve(t, h, "POST", "/api/v1/send?"+c.query)
		labtest.CheckError(t, w.Code, w.Body.Bytes(), 400, c.field)
		if !strings.Contains(w.Body.String(), jsonEscapeParse(c.msg)) {
			t.Errorf("%s: %s, want it to say %s", c.query, w.Body, c.msg)
		}
	}
	if sent := eng.take(); len(sent) != 0 {
		t.Fatalf("%d records sent by refused requests", len(sent))
	}
	// The same values, encoded, are accepted as they are.
	w := serve(t, h, "POST", "/api/v1/send?mode=plain&eventId="+url.QueryEscape(`'";--`)+"&key="+url.QueryEscape("café"))
	if w.Code != 200 {
		t.Fatalf("encoded eventId: %d %s", w.Code, w.Body)
	}
	if sent := eng.take(); len(sent) != 1 || string(sent[0].Key) != "café" || string(sent[0].Headers[0].Value) != `'";--` {
		t.Fatalf("sent %+v", sent)
	}
	w = serve(t, h, "GET", "/api/v1/status?requestId=%zz")
	labtest.CheckError(t, w.Code, w.Body.Bytes(), 400, "requestId")
	w = serve(t, h, "GET", "/api/v1/status?requestId=a;b")
	labtest.CheckError(t, w.Code, w.Body.Bytes(), 400, "requestId")
}

func jsonEscapeParse(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestHealthNotReadyIsJSON checks /health's 503 is a JSON error that does
// not carry the client's raw error.
func TestHealthNotReadyIsJSON(t *testing.T) {
	eng, h := parseAPI(t)
	eng.notReady = errors.New("dial tcp 10.1.2.3:29093: connect: connection refused")
	w := serve(t, h, "GET", "/health")
	labtest.CheckError(t, w.Code, w.Body.Bytes(), 503, "")
	if strings.Contains(w.Body.String(), "10.1.2.3") {
		t.Fatalf("the error body carries an internal address: %s", w.Body)
	}
}

// TestStrictQueryLab checks the two silent defaults on both real
// engines.
func TestStrictQueryLab(t *testing.T) {
	l := labtest.Start(t)
	eachAPI(t, l, func(t *testing.T, a *lab.API) {
		for q, field := range map[string]string{
			"mode=plain&eventId=E1&partition=2;x": "partition",
			"mode=plain&eventId=E1&topic=bad%":    "topic",
		} {
			r := call(t, http.MethodPost, a.URL+"/api/v1/send?"+q)
			labtest.CheckError(t, r.code, []byte(r.raw), 400, field)
		}
		if n := len(labtest.Count(t, l, prodlab.DefaultTopic, "E1")); n != 0 {
			t.Fatalf("%d records of E1 written by refused sends", n)
		}
	})
}

// FuzzSendQuery sends arbitrary query strings to the send endpoint over a
// fake engine. Every answer is a 2xx or a 4xx JSON error, within 5s; a 2xx
// sends exactly what the query says, and a query the standard library
// cannot parse strictly is never a 2xx.
func FuzzSendQuery(f *testing.F) {
	f.Add("mode=plain&eventId=E1")
	eng, h := parseAPI(f)
	f.Fuzz(func(t *testing.T, raw string) {
		if strings.ContainsAny(raw, "#") {
			raw = strings.ReplaceAll(raw, "#", "%23")
		}
		w := serve(t, h, "POST", "/api/v1/send?"+raw)
		sent := eng.take()
		if w.Code >= 400 {
			if w.Code >= 500 {
				t.Fatalf("%q: %d %s", raw, w.Code, w.Body)
			}
			var e httpjson.ErrorBody
			if w.Code == http.StatusRequestHeaderFieldsTooLarge {
				// The HTTP parser refuses a head longer than the server's
				// read buffer before any handler sees it, in plain text.
				if len(raw) < readBufferSize-100 {
					t.Fatalf("%d-byte query: 431, but its head fits the %d-byte buffer", len(raw), readBufferSize)
				}
			} else if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
				// The HTTP parser refuses a control byte or a space in the
				// request line before any handler sees it, in plain text.
				if w.Code != http.StatusBadRequest {
					t.Fatalf("%q: a request line with a control byte got %d, want 400", raw, w.Code)
				}
			} else if len(raw) > readBufferSize {
				t.Fatalf("%d-byte query: got %d, want 431", len(raw), w.Code)
			} else if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != w.Code || e.Error == "" {
				t.Fatalf("%q: %d is not a JSON error: %q", raw, w.Code, w.Body)
			}
			if len(sent) != 0 {
				t.Fatalf("%q: refused with %d but sent %d records", raw, w.Code, len(sent))
			}
			return
		}
		if w.Code != 200 && w.Code != 202 {
			t.Fatalf("%q: %d %s", raw, w.Code, w.Body)
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("%q: accepted (%d) a query url.ParseQuery refuses: %v", raw, w.Code, err)
		}
		if len(sent) != 1 {
			t.Fatalf("%q: %d records sent", raw, len(sent))
		}
		m := sent[0]
		wantTopic, wantKey, wantPart := prodlab.DefaultTopic, q.Get("eventId"), int32(prodlab.AnyPartition)
		if q.Has("topic") {
			wantTopic = q.Get("topic")
		}
		if q.Has("key") {
			wantKey = q.Get("key")
		}
		if q.Has("partition") {
			p, err := strconv.ParseInt(q.Get("partition"), 10, 32)
			if err != nil {
				t.Fatalf("%q: accepted partition %q", raw, q.Get("partition"))
			}
			wantPart = int32(p)
		}
		for k := range q {
			switch k {
			case "mode", "sendMode", "eventId", "key", "partition", "topic":
			default:
				t.Fatalf("%q: accepted unknown parameter %q", raw, k)
			}
		}
		if m.Topic != wantTopic || string(m.Key) != wantKey || m.Partition != wantPart || string(m.Headers[0].Value) != q.Get("eventId") || string(m.Headers[1].Value) != q.Get("mode") {
			t.Fatalf("%q: sent topic %q key %q partition %d headers %q, want %q %q %d", raw, m.Topic, m.Key, m.Partition, m.Headers, wantTopic, wantKey, wantPart)
		}
		var resp struct{ EventID, Key, Topic string }
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.EventID != q.Get("eventId") || resp.Key != wantKey || resp.Topic != wantTopic {
			t.Fatalf("%q: answer %s does not echo what was sent", raw, w.Body)
		}
	})
}
