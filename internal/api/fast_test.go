package api_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/httpguard"
)

// TestFastMatchesRoutes sends the same requests, over real connections, to
// the fasthttp server the lab runs and to net/http serving Routes() behind
// the same guard, each over its own fake engine: same status, body and
// headers, whether fasthttp answers natively or hands the request on.
func TestFastMatchesRoutes(t *testing.T) {
	fast := fakeServer(t, &fakeEngine{})
	guard, err := httpguard.New()
	if err != nil {
		t.Fatal(err)
	}
	std := httptest.NewServer(guard.Wrap(fakeRoutes(t, &fakeEngine{})))
	t.Cleanup(std.Close)
	send := "/api/v1/send?mode=idempotent&eventId=E1&key=k%C3%A9&partition=2"
	for _, c := range []struct {
		method, target, host string
		header               map[string]string
	}{
		{"POST", send, "", nil},
		{"POST", "/api/v1/send?mode=plain&eventId=E2&topic=t2", "", nil},
		{"POST", "/api/v1/send?mode=plain&eventId=E1&partition=2;x", "", nil},
		{"POST", "/api/v1/send?mode=plain&eventId=a%00b", "", nil},
		{"POST", "/api/v1/send?mode=plain&eventId=e&topic=nope", "", nil},
		{"POST", "/api/v1/send/?mode=plain&eventId=e", "", nil},
		{"POST", "/api/v1//send?mode=plain&eventId=e", "", nil},
		{"GET", send, "", nil},
		{"HEAD", "/api/v1/status?requestId=x", "", nil},
		{"GET", "/api/v1/status?requestId=unknown", "", nil},
		{"GET", "/api/v1/status?requestId=a&requestId=b", "", nil},
		{"GET", "/health", "", nil},
		{"GET", "/nope", "", nil},
		{"POST", send, "evil.example", nil},
		{"POST", send, "", map[string]string{"Origin": "http://attacker.example"}},
		{"POST", send, "", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"POST", send, "", map[string]string{"Sec-Fetch-Site": "same-origin"}},
		{"POST", send, "", map[string]string{"Accept-Language": "en"}},
	} {
		name := c.method + " " + c.target + " " + c.host + " " + strings.Join(keys(c.header), ",")
		got := rawDo(t, c.method, fast+c.target, c.host, c.header)
		want := rawDo(t, c.method, std.URL+c.target, c.host, c.header)
		if got != want {
			t.Errorf("%s:\nfasthttp %s\nnet/http %s", name, got, want)
		}
	}
}

// TestFastMatchesRoutesRaw sends request lines no Go client writes, as
// bytes: a fragment, an absolute URI, a missing Host, a bare path.
func TestFastMatchesRoutesRaw(t *testing.T) {
	fast := fakeServer(t, &fakeEngine{})
	guard, err := httpguard.New()
	if err != nil {
		t.Fatal(err)
	}
	std := httptest.NewServer(guard.Wrap(fakeRoutes(t, &fakeEngine{})))
	t.Cleanup(std.Close)
	for _, req := range []string{
		"POST /api/v1/send?mode=plain&eventId=e#x HTTP/1.1\r\nHost: 127.0.0.1\r\n",
		"POST http://127.0.0.1/api/v1/send?mode=plain&eventId=e HTTP/1.1\r\nHost: 127.0.0.1\r\n",
		"POST /api/v1/send?mode=plain&eventId=e HTTP/1.1\r\nHost: evil.example\r\n",
		"POST /api/v1/send?mode=plain&eventId=e HTTP/1.0\r\n",
		"GET /api/v1/status?requestId=%zz HTTP/1.1\r\nHost: localhost\r\n",
	} {
		got, want := rawLine(t, fast, req), rawLine(t, std.URL, req)
		if got != want {
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
// the answer's status line and body.
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
	return resp.Status + " " + string(body)
}

func keys(m map[string]string) (ks []string) {
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// rawDo sends one request and returns its status, the headers the contract
// sets and the body, as one string.
func rawDo(t *testing.T, method, u, host string, header map[string]string) string {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	s := resp.Status
	for _, k := range []string{"Content-Type", "Cache-Control", "X-Content-Type-Options", "Allow", "Retry-After", "Vary"} {
		s += " " + k + "=" + strings.Join(resp.Header.Values(k), ",")
	}
	return s + " " + string(body)
}
