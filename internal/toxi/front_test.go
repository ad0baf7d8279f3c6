package toxi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
)

// counter is an HTTP upstream that counts the connections it accepts.
type counter struct {
	addr string
	n    atomic.Int32
}

func countConns(t *testing.T) *counter {
	t.Helper()
	c := &counter{}
	c.addr = serve(t, func(conn net.Conn) {
		c.n.Add(1)
		if req, err := http.ReadRequest(bufio.NewReader(conn)); err == nil {
			_, _ = io.Copy(io.Discard, req.Body)
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		}
	})
	return c
}

// raw sends one request with a raw request line to addr and returns the
// status code and body of the answer.
func raw(t *testing.T, addr, method, target, body string) (int, http.Header, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		method, target, addr, len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestFrontTargets sends the front request targets that are not
// origin-form, each aimed at a listener that counts its connections: each
// gets a 400 in the lab's JSON error shape naming no address, and no
// connection reaches the listener. A redirect of the child goes back as it
// is, never followed.
func TestFrontTargets(t *testing.T) {
	s := start(t)
	front := httptest.NewUnstartedServer(s.Routes())
	front.Config.DisableGeneralOptionsHandler = true // as lab.serve: OPTIONS * reaches Routes
	front.Start()
	t.Cleanup(front.Close)
	fa := strings.TrimPrefix(front.URL, "http://")
	victim := countConns(t)
	va := victim.addr
	child := strings.TrimPrefix(s.cur.api, "http://")

	for _, tc := range []struct {
		method, target string
		plain          bool // refused by net/http's server before any handler, in plain text
	}{
		{"POST", "x:@" + va + "/api/v1/send?topic=t&value=v", false}, // opaque
		{"GET", "x:@" + va + "/", false},
		{"GET", "http://" + va + "/proxies", false},  // absolute-form
		{"POST", "http://" + va + "/proxies", false}, // absolute-form
		{"GET", "http://u:p@" + va + "/", false},     // absolute-form with userinfo
		{"CONNECT", va, false},                       // authority-form
		{"GET", va, true},                            // authority-form outside CONNECT
		{"OPTIONS", "*", false},                      // asterisk-form
		{"GET", "*", false},
		{"GET", "mailto:x@" + va, false}, // opaque
	} {
		code, _, body := raw(t, fa, tc.method, tc.target, `{"name":"x","listen":"127.0.0.1:0","upstream":"`+va+`"}`)
		if code != http.StatusBadRequest {
			t.Errorf("%s %s: %d %s, want 400", tc.method, tc.target, code, body)
		}
		var e struct {
			Error  string `json:"error"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal([]byte(body), &e); !tc.plain && (err != nil || e.Error == "" || e.Status != code) {
			t.Errorf("%s %s: body %q is not the lab's JSON error", tc.method, tc.target, body)
		}
		if strings.Contains(body, "127.0.0.1") || strings.Contains(body, child) {
			t.Errorf("%s %s: body names an address: %s", tc.method, tc.target, body)
		}
	}
	if n := victim.n.Load(); n != 0 {
		t.Fatalf("%d connections reached the target's listener", n)
	}

	// Origin-form still works, and a path the child cleans comes back as
	// its redirect: a DELETE is not turned into a GET.
	if code, _, body := raw(t, fa, "GET", "/proxies?x=1", ""); code != http.StatusOK || body != "{}" {
		t.Fatalf("GET /proxies: %d %s", code, body)
	}
	code, h, body := raw(t, fa, "DELETE", "//proxies", "")
	if code != http.StatusMovedPermanently || h.Get("Location") != "/proxies" {
		t.Fatalf("DELETE //proxies: %d Location %q %s; want the child's 301 to /proxies", code, h.Get("Location"), body)
	}
	if n := victim.n.Load(); n != 0 {
		t.Fatalf("%d connections reached the target's listener", n)
	}
}

// TestChildClosed finds the child's own address and shows that a process
// other than the lab (curl, or this test's own client) can neither list
// nor create proxies there: not with a foreign Host, not with the child's
// own Host, not with User-Agent: x. The front keeps working for
// Toxiproxy's own Go client.
func TestChildClosed(t *testing.T) {
	s := start(t)
	up := echo(t)
	child := strings.TrimPrefix(s.cur.api, "http://")
	create := `{"name":"evil","listen":"127.0.0.1:0","upstream":"` + up + `"}`
	for _, host := range []string{"evil.example", child, "localhost"} {
		for _, req := range []struct{ method, path, body string }{
			{"GET", "/proxies", ""},
			{"POST", "/proxies", create},
			{"POST", "/populate", "[" + create + "]"},
		} {
			c, err := net.Dial("tcp", child)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
				req.method, req.path, host, len(req.body), req.body)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			c.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s Host %s on the child: %d %s, want 403", req.method, req.path, host, resp.StatusCode, b)
			}
		}
	}
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-s", "-o", os.DevNull, "-w", "%{http_code}", "-H", "User-Agent: x",
			"-H", "Content-Type: application/json", "-d", create, "http://"+child+"/proxies").Output()
		if err != nil || string(out) != "403" {
			t.Errorf("curl POST /proxies on the child: %q %v, want 403", out, err)
		}
	}
	if n := len(s.Proxies()); n != 0 {
		t.Fatalf("the server holds %d proxies", n)
	}

	// Through the front, Toxiproxy's own client lists, creates and adds a
	// toxic as before.
	front := httptest.NewServer(s.Routes())
	t.Cleanup(front.Close)
	tc := toxiproxy.NewClient(front.URL)
	p, err := tc.CreateProxy("kafka", "127.0.0.1:0", up)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddToxic("slow", "latency", "downstream", 1, toxiproxy.Attributes{"latency": 1}); err != nil {
		t.Fatal(err)
	}
	ps, err := tc.Proxies()
	if err != nil || len(ps) != 1 || len(ps["kafka"].ActiveToxics) != 1 {
		t.Fatalf("Proxies through the front: %v %v", ps, err)
	}
	roundTrip(t, p.Listen)
}

// TestFrontNames: the front refuses the proxy and toxic names the console
// refuses (prodlab.LegalName), whatever the case of the JSON key, and
// Toxiproxy's default toxic name passes.
func TestFrontNames(t *testing.T) {
	s := start(t)
	if _, err := s.AddProxy("kafka", "127.0.0.1:0", echo(t)); err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(s.Routes())
	t.Cleanup(front.Close)
	fa := strings.TrimPrefix(front.URL, "http://")
	esc := "\x1b]0;pwned\x07\x1b[2J\x1b[1;31m"
	for _, tc := range []struct{ path, body string }{
		{"/proxies", `{"name":"` + jsonEsc(esc) + `","listen":"127.0.0.1:0","upstream":"127.0.0.1:1"}`},
		{"/proxies", `{"NAME":"a b","listen":"127.0.0.1:0","upstream":"127.0.0.1:1"}`},
		{"/populate", `[{"name":"ok","upstream":"127.0.0.1:1"},{"name":"..","upstream":"127.0.0.1:1"}]`},
		{"/proxies/kafka/toxics", `{"name":"` + jsonEsc(esc) + `","type":"latency"}`},
		{"/proxies/kafka/toxics", `{"Name":"` + strings.Repeat("a", 65) + `","type":"latency"}`},
	} {
		code, _, body := raw(t, fa, "POST", tc.path, tc.body)
		if code != http.StatusBadRequest || strings.ContainsRune(body, 0x1b) || !strings.Contains(body, `"field":"name"`) {
			t.Errorf("POST %s %s: %d %s, want 400 on name", tc.path, tc.body, code, body)
		}
	}
	if code, _, body := raw(t, fa, "GET", "/proxies", ""); code != http.StatusOK || strings.Contains(body, "pwned") || strings.Contains(body, `"ok"`) {
		t.Fatalf("a refused name reached Toxiproxy: %s", body)
	}
	if code, _, body := raw(t, fa, "POST", "/proxies/kafka/toxics", `{"type":"latency","stream":"upstream"}`); code != http.StatusOK || !strings.Contains(body, `"latency_upstream"`) {
		t.Fatalf("default toxic name: %d %s", code, body)
	}
}

func jsonEsc(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// FuzzRequestTarget: whatever the request target, the front forwards only
// a path and a query, to the child's host.
func FuzzRequestTarget(f *testing.F) {
	for _, s := range []string{"/proxies", "//proxies", "x:@127.0.0.1:18080/api/v1/send?x=1", "*",
		"http://127.0.0.1:1/", "127.0.0.1:1", "/a%2Fb?c=%zz", "/..//x", "mailto:a@b", "/\\evil"} {
		f.Add("GET", s)
	}
	f.Add("CONNECT", "127.0.0.1:1")
	child := &url.URL{Scheme: "http", Host: "127.0.0.1:9"}
	f.Fuzz(func(t *testing.T, method, target string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: h\r\n\r\n")))
		if err != nil {
			return // the HTTP server refuses it before the front sees it
		}
		u, ok := originForm(req)
		if !ok {
			return
		}
		if !strings.HasPrefix(req.RequestURI, "/") || method == http.MethodConnect {
			t.Fatalf("%s %q passed", method, target)
		}
		full := *child
		full.Path, full.RawPath, full.RawQuery = u.Path, u.RawPath, u.RawQuery
		back, err := url.Parse(full.String())
		if err != nil {
			t.Fatalf("%q: %q does not parse: %v", target, full.String(), err)
		}
		if back.Host != child.Host || back.User != nil || back.Scheme != "http" || back.Opaque != "" {
			t.Fatalf("%q goes to %q (host %q)", target, full.String(), back.Host)
		}
	})
}

// TestFrontErrors: the front's own error bodies say what failed in plain
// words, with no raw Go error and no address.
func TestFrontErrors(t *testing.T) {
	s := start(t)
	front := httptest.NewServer(s.Routes())
	t.Cleanup(front.Close)
	fa := strings.TrimPrefix(front.URL, "http://")
	check := func(what string, code, want int, body string) {
		t.Helper()
		if code != want || strings.Contains(body, "127.0.0.1") || strings.Contains(body, "http:") || strings.Contains(body, "context") {
			t.Errorf("%s: %d %s, want %d in plain words", what, code, body, want)
		}
	}
	code, _, body := raw(t, fa, "POST", "/proxies", strings.Repeat("x", maxBody+1))
	check("a body over 1 MiB", code, http.StatusBadRequest, body)
	s.Close()
	code, _, body = raw(t, fa, "GET", "/proxies", "")
	check("a closed Toxiproxy", code, http.StatusServiceUnavailable, body)
	code, _, body = raw(t, fa, "POST", "/reset", "")
	check("a closed Toxiproxy", code, http.StatusServiceUnavailable, body)
}
