package api_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/conntest"
	"github.com/prodlab/prodlab/internal/httpguard"
)

// TestFastMatchesRoutes writes the same requests, as bytes, to the fasthttp
// server the lab runs and to net/http serving Routes() behind the same
// guard, each over its own fake engine: same status, contract headers and
// body, whether fasthttp answers natively or hands the request on. Some
// requests are ones no Go client writes: a fragment, an absolute URI, no
// Host.
func TestFastMatchesRoutes(t *testing.T) {
	fast := fakeServer(t, &fakeEngine{})
	guard, err := httpguard.New()
	if err != nil {
		t.Fatal(err)
	}
	std := httptest.NewServer(guard.Wrap(fakeRoutes(t, &fakeEngine{})))
	t.Cleanup(std.Close)
	send := "/api/v1/send?mode=idempotent&eventId=E1&key=k%C3%A9&partition=2"
	for _, req := range []string{
		"POST " + send,
		"POST /api/v1/send?mode=plain&eventId=E2&topic=t2",
		"POST /api/v1/send?mode=plain&eventId=E1&partition=2;x",
		"POST /api/v1/send?mode=plain&eventId=a%00b",
		"POST /api/v1/send?mode=plain&eventId=e&topic=nope",
		"POST /api/v1/send?mode=plain&eventId=e#x",
		"POST http://127.0.0.1/api/v1/send?mode=plain&eventId=e",
		"POST /api/v1/send/?mode=plain&eventId=e",
		"POST /api/v1//send?mode=plain&eventId=e",
		"GET " + send,
		"HEAD /api/v1/status?requestId=x",
		"GET /api/v1/status?requestId=unknown",
		"GET /api/v1/status?requestId=a&requestId=b",
		"GET /api/v1/status?requestId=%zz",
		"GET /health",
		"GET /nope",
		"POST " + send + " HTTP/1.1\r\nHost: evil.example",
		"POST " + send + " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://attacker.example",
		"POST " + send + " HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-Fetch-Site: cross-site",
		"POST " + send + " HTTP/1.1\r\nHost: localhost\r\nSec-Fetch-Site: same-origin",
		"POST " + send + " HTTP/1.0",
	} {
		if !strings.Contains(req, " HTTP/") {
			req += " HTTP/1.1\r\nHost: 127.0.0.1"
		}
		req += "\r\n"
		if got, want := rawLine(t, fast, req), rawLine(t, std.URL, req); got != want {
			t.Errorf("%q:\nfasthttp %s\nnet/http %s", req, got, want)
		}
	}
}

// TestFastLimits: the API's server takes a request whose headers fit in
// 64 KiB, as net/http's MaxHeaderBytes did, and refuses a larger one (431)
// and a body over 64 KiB (400), without sending anything.
func TestFastLimits(t *testing.T) {
	eng := &fakeEngine{}
	fast := fakeServer(t, eng)
	send := "POST /api/v1/send?mode=plain&eventId=e HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	for req, want := range map[string]string{
		send + "X-Big: " + strings.Repeat("a", 60<<10) + "\r\n": "200 OK",
		send + "X-Big: " + strings.Repeat("a", 70<<10) + "\r\n": "431 Request Header Fields Too Large",
		send + "Content-Length: 70000\r\n":                      "400 Bad Request", // fasthttp refuses a body too large so, unread
	} {
		if got := rawLine(t, fast, req); !strings.HasPrefix(got, want) {
			t.Errorf("%.80q: %.120s, want %s", req, got, want)
		}
	}
	if n := len(eng.take()); n != 1 {
		t.Fatalf("%d records sent, want the one accepted", n)
	}
}

// rawLine writes req, ending its headers, to the server at base and returns
// the answer's status line, the headers the contract sets and its body.
func rawLine(t *testing.T, base, req string) string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, req+"Connection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	s := resp.Status
	for _, k := range []string{"Content-Type", "Cache-Control", "X-Content-Type-Options", "Allow", "Retry-After"} {
		s += " " + k + "=" + strings.Join(resp.Header.Values(k), ",")
	}
	return s + " " + string(body)
}

// TestServeAPIOutlivesNoDescriptorLeft: fasthttp's Serve returned at an
// Accept failing with EMFILE (a lab process out of file descriptors), and
// the API answered nothing more, for good; ServeAPI waits it out.
func TestServeAPIOutlivesNoDescriptorLeft(t *testing.T) {
	ln := conntest.Listen(t)
	url := fakeServerOn(t, conntest.FailAccept(ln, conntest.EMFILE), &fakeEngine{})
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url + "/health")
	if err != nil {
		t.Fatalf("after an EMFILE: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after an EMFILE: %s", resp.Status)
	}
}
