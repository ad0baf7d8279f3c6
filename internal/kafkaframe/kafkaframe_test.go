package kafkaframe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/conntest"
)

func frame(body string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	return append(b, body...)
}

func TestReadFrame(t *testing.T) {
	r := bytes.NewReader(append(frame("abc"), frame("")...))
	if b, err := readFrame(r, 10); err != nil || string(b) != "abc" {
		t.Fatalf("ReadFrame = %q, %v", b, err)
	}
	if b, err := readFrame(r, 10); err != nil || len(b) != 0 {
		t.Fatalf("empty frame = %q, %v", b, err)
	}
	for _, in := range []string{"\x40\x00\x00\x00", "\xff\xff\xff\xff", "\x00\x00\x00\x0b"} {
		if _, err := readFrame(strings.NewReader(in), 10); !errors.Is(err, ErrTooBig) {
			t.Errorf("%q: %v, want ErrTooBig", in, err)
		}
	}
	for _, in := range []string{"GET / HTTP/1.1\r\n", "POST /x", "CONNECT a:1", "OPTIONS *"} {
		if _, err := readFrame(strings.NewReader(in), 1<<31-1); !errors.Is(err, ErrHTTP) {
			t.Errorf("%q: %v, want ErrHTTP", in, err)
		}
	}
}

// TestListener: frames under the cap pass byte for byte, in whatever
// pieces they come; a frame over the cap closes the connection after the
// frames before it, and is logged once.
func TestListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var logs bytes.Buffer
	fl := Listener(ln, 100, slog.New(slog.NewTextHandler(&logs, nil)))
	got := make(chan []byte, 1)
	go func() {
		c, err := fl.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	good := append(frame("hello"), frame(strings.Repeat("x", 100))...)
	for i := 0; i < len(good); i += 7 { // split headers across reads
		if _, err := c.Write(good[i:min(i+7, len(good))]); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = c.Write(append(binary.BigEndian.AppendUint32(nil, 101), "more"...))
	select {
	case b := <-got:
		if !bytes.Equal(b, good) {
			t.Fatalf("server read %q, want %q", b, good)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the connection was not closed")
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("the client's side is still open")
	}
	if n := strings.Count(logs.String(), "kafka connection closed"); n != 1 {
		t.Fatalf("%d log lines: %s", n, logs.String())
	}
}

// FuzzReadFrame: ReadFrame never returns more than the cap, nor a body of
// another length than its header's, and refuses every HTTP method.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x03abc"), int32(10))
	f.Add([]byte("\x40\x00\x00\x00"), int32(100<<20))
	f.Add([]byte("\xff\xff\xff\xff"), int32(1<<31-1))
	f.Add([]byte("GET / HTTP/1.1\r\n"), int32(1<<31-1))
	f.Add([]byte("\x00\x00\x00"), int32(10))
	f.Fuzz(func(t *testing.T, in []byte, max int32) {
		if max < 0 {
			max = -max
		}
		max %= 1 << 20 // a cap this test can afford to allocate
		b, err := readFrame(bytes.NewReader(in), max)
		if err != nil {
			return
		}
		if len(b) > int(max) || len(in) < 4 || int(binary.BigEndian.Uint32(in)) != len(b) || !bytes.Equal(b, in[4:4+len(b)]) {
			t.Fatalf("readFrame(%q, %d) = %q", in, max, b)
		}
		for _, m := range methods {
			if bytes.HasPrefix(in, []byte(m)) {
				t.Fatalf("%q passed", in)
			}
		}
	})
}

// readFrame reads one frame with Read and returns its body.
func readFrame(r io.Reader, max int32) ([]byte, error) {
	f, err := Read(r, nil, max)
	if err != nil {
		return nil, err
	}
	return f[4:], nil
}

// TestReadReusesBuf: Read returns the frame whole, length first, and reads
// the next one into the array of the last when it fits.
func TestReadReusesBuf(t *testing.T) {
	r := bytes.NewReader(append(frame("abcd"), frame("xy")...))
	f, err := Read(r, nil, 10)
	if err != nil || !bytes.Equal(f, frame("abcd")) {
		t.Fatalf("Read = %q, %v", f, err)
	}
	g, err := Read(r, f, 10)
	if err != nil || !bytes.Equal(g, frame("xy")) || &g[0] != &f[0] {
		t.Fatalf("Read = %q, %v (same array: %v)", g, err, err == nil && &g[0] == &f[0])
	}
	if !bytes.Equal(Sized([]byte("xy")), frame("xy")) {
		t.Fatalf("Sized(xy) = %q", Sized([]byte("xy")))
	}
}

// allocated returns the bytes the heap gave out while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadAllocatesWhatArrives: a frame claiming the cap and sending 10
// bytes costs Read about what arrived, not the claim.
func TestReadAllocatesWhatArrives(t *testing.T) {
	claim := append(binary.BigEndian.AppendUint32(nil, uint32(DefaultMax)), "0123456789"...)
	var err error
	got := allocated(func() { _, err = Read(bytes.NewReader(claim), nil, DefaultMax) })
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Read = %v, want io.ErrUnexpectedEOF", err)
	}
	if got > 1<<20 {
		t.Fatalf("Read allocated %d bytes for a %d-byte claim that sent 10", got, DefaultMax)
	}
}

// TestListenerHandsWholeFrames: the server reads no byte of a frame, not
// even its length, before the last byte came, so a server that allocates
// the length it reads (kfake) allocates only frames that arrived. A peer
// that announces 1 MiB, sends 100 bytes and leaves gives it nothing.
func TestListenerHandsWholeFrames(t *testing.T) {
	ln := conntest.Listen(t)
	fl := Listener(ln, 2<<20, slog.New(slog.DiscardHandler))
	type read struct {
		b   []byte
		err error
	}
	got := make(chan read, 1)
	go func() {
		c, err := fl.Accept()
		if err != nil {
			got <- read{err: err}
			return
		}
		defer c.Close()
		var h [4]byte
		n, err := c.Read(h[:])
		got <- read{h[:n], err}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(append(binary.BigEndian.AppendUint32(nil, 1<<20), make([]byte, 100)...)); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if len(r.b) != 0 || r.err == nil {
			t.Fatalf("the server read %q, %v before the frame's body came", r.b, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server's read did not end")
	}
}

// TestListenerOutlivesNoDescriptorLeft: a process out of file descriptors
// fails an Accept (EMFILE); the listener waits it out and accepts the next
// connection, as kfake's accept loop ends at its first error and the
// broker would listen no more. A closed listener still ends it.
func TestListenerOutlivesNoDescriptorLeft(t *testing.T) {
	ln := conntest.Listen(t)
	fl := Listener(conntest.FailAccept(ln, conntest.EMFILE, conntest.EMFILE), 100, slog.New(slog.DiscardHandler))
	defer fl.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := fl.Accept()
	if err != nil {
		t.Fatalf("Accept after EMFILE: %v", err)
	}
	s.Close()
	fl.Close()
	if _, err := fl.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on a closed listener: %v, want net.ErrClosed", err)
	}
}
