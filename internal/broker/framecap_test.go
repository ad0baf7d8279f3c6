package broker

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/toxi"
)

// syncBuf is a log sink the brokers' goroutines write to.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mem returns the Go heap obtained from the OS and, on Linux, the
// resident set, in bytes, after a GC.
func mem(t *testing.T) (heapSys, rss uint64) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	return ms.HeapSys, rss
}

// sendUntilClosed writes b to addr and waits until the peer closes the
// connection: it fails t if the connection is still open after 20 s.
func sendUntilClosed(t *testing.T, addr string, b []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the connection after %q is still open", addr, b[:min(len(b), 16)])
	}
}

// TestFrameCap sends a frame announcing 1 GiB, and an HTTP request, to the
// broker's own port and to a Toxiproxy port in front of it: each
// connection is closed, logged once, and the process grows by less than
// 64 MiB.
func TestFrameCap(t *testing.T) {
	logs := &syncBuf{}
	c, err := Start(Logger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts, err := toxi.New(toxi.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	direct := c.DirectAddrs()[0]
	proxy, err := ts.AddProxy("kafka", "127.0.0.1:0", direct)
	if err != nil {
		t.Fatal(err)
	}
	gib := append([]byte{0x40, 0, 0, 0}, make([]byte, 64<<10)...) // 1 GiB announced, 64 KiB sent

	heap0, rss0 := mem(t)
	sendUntilClosed(t, direct, gib)
	sendUntilClosed(t, proxy, gib)
	heap1, rss1 := mem(t)
	t.Logf("1 GiB frames to %s and %s: heap from OS %d -> %d MiB, RSS %d -> %d MiB",
		direct, proxy, heap0>>20, heap1>>20, rss0>>20, rss1>>20)
	if heap1 > heap0+64<<20 || rss1 > rss0+64<<20 {
		t.Fatalf("the process grew by more than 64 MiB")
	}
	for _, addr := range []string{direct, proxy} {
		sendUntilClosed(t, addr, []byte("GET / HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"))
		sendUntilClosed(t, addr, []byte("POST /api HTTP/1.1\r\nHost: "+addr+"\r\nContent-Length: 0\r\n\r\n"))
	}
	if n := strings.Count(logs.String(), "kafka connection closed"); n != 6 {
		t.Fatalf("%d log lines for 6 refused connections:\n%s", n, logs.String())
	}
}

// TestMaxFrameBytes: the option is checked.
func TestMaxFrameBytes(t *testing.T) {
	if _, err := Start(MaxFrameBytes(1000)); err == nil {
		t.Fatal("a cap under 1 MiB was taken")
	}
}
