package lab_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/lab"
	"github.com/prodlab/prodlab/internal/labtest"
)

// closedWithin writes req on a new connection to host, reads until the
// server closes it and fails t unless that happens within d. It returns
// the answers read on the way.
func closedWithin(t *testing.T, host, req string, d time.Duration, what string) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(d))
	br := bufio.NewReader(c)
	var answers []*http.Response
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("%s: the connection is still open after %v", what, d)
			}
			t.Logf("%s: closed after %v with %d answers", what, time.Since(start).Round(time.Millisecond), len(answers))
			return answers
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answers = append(answers, resp)
	}
}

// TestServerLimits checks every server of the lab, Toxiproxy's API
// included: a request whose body never comes is answered or closed within
// the read timeout, and an idle keep-alive connection is closed.
func TestServerLimits(t *testing.T) {
	const limit = time.Second
	l := labtest.Start(t, func(c *lab.Config) {
		c.ConsolePort = 0
		c.ReadTimeout, c.IdleTimeout = limit, limit
	})
	api := l.APIs()[0].URL
	q := url.Values{"mode": {"plain"}, "sendMode": {"async"}, "eventId": {"limits"}}.Encode()
	for _, s := range []struct {
		name, base, post, get string
	}{
		{"producer api", api, "/api/v1/send?" + q, "/health"},
		{"console", l.ConsoleURL(), "/api/reset", "/api/info"},
		{"toxiproxy api", l.ToxiproxyURL(), "/reset", "/version"},
	} {
		t.Run(s.name, func(t *testing.T) {
			host := s.base[len("http://"):]
			// A body announced and never sent.
			closedWithin(t, host, "POST "+s.post+" HTTP/1.1\r\nHost: "+host+"\r\nUser-Agent: test\r\nContent-Length: 1000\r\n\r\n",
				limit+5*time.Second, "POST with no body")
			// An idle keep-alive connection, after one answer.
			got := closedWithin(t, host, "GET "+s.get+" HTTP/1.1\r\nHost: "+host+"\r\nUser-Agent: test\r\n\r\n", limit+5*time.Second, "idle keep-alive")
			if len(got) != 1 || got[0].StatusCode != http.StatusOK {
				t.Fatalf("GET %s: want one 200 before the close, got %d answers", s.get, len(got))
			}
		})
	}
}

// TestMaxFrameBytesReachesBrokers: a frame announcing more than the lab's
// MaxFrameBytes closes the connection to an embedded broker, where the
// default cap (100 MiB) would keep waiting for its bytes.
func TestMaxFrameBytesReachesBrokers(t *testing.T) {
	labtest.EmbeddedOnly(t, "the cap is the embedded brokers'")
	l := labtest.Start(t, func(c *lab.Config) { c.MaxFrameBytes = 1 << 20 })
	c, err := net.Dial("tcp", l.DirectAddrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte{0, 0x20, 0, 0}); err != nil { // 2 MiB
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("read after a 2 MiB frame header = %v, want the connection closed", err)
	}
}
