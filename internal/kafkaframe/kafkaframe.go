// Package kafkaframe reads Kafka frames (a 4-byte big-endian length, then
// that many bytes), bounded before anything allocates them, as a server that
// trusts the length (kfake) gives any peer 4 GiB; HTTP is refused too.
package kafkaframe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab/internal/accept"
)

// DefaultMax is the default cap on a frame's length: 100 MiB, Kafka's
// socket.request.max.bytes default, well above message.max.bytes.
const DefaultMax int32 = 100 << 20

var (
	// ErrTooBig means a frame's length is negative or over the cap.
	ErrTooBig = errors.New("kafka frame length over the cap")
	// ErrHTTP means the bytes are the start of an HTTP request.
	ErrHTTP = errors.New("an HTTP request sent to a Kafka port")
)

// methods start the HTTP request lines refused; as a length, each is > 1 GiB.
var methods = []string{"GET ", "POST", "PUT ", "HEAD", "DELE", "OPTI", "PATC", "CONN"}

// Check returns the length frame header h announces, or ErrHTTP or ErrTooBig.
func Check(h [4]byte, max int32) (int32, error) {
	if m := string(h[:]); slices.Contains(methods, m) {
		return 0, fmt.Errorf("%w (%q)", ErrHTTP, m)
	}
	n := int32(binary.BigEndian.Uint32(h[:]))
	if n < 0 || n > max {
		return 0, fmt.Errorf("%w: %d bytes, cap %d", ErrTooBig, uint32(n), max)
	}
	return n, nil
}

// Read reads one frame from r, length first, into buf's array if it is big
// enough. The length is a claim: the frame grows as its bytes arrive, by
// at most step at a time.
func Read(r io.Reader, buf []byte, max int32) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n, err := Check(h, max)
	if err != nil {
		return nil, err
	}
	buf = append(buf[:0], h[:]...)
	for end := 4 + int(n); len(buf) < end; {
		buf = slices.Grow(buf, min(end-len(buf), step))
		k, err := io.ReadFull(r, buf[len(buf):min(cap(buf), end)])
		if buf = buf[:len(buf)+k]; err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// step bounds what a frame's buffer grows by before its bytes arrive.
const step = 64 << 10

// ResponseBody returns the correlation id and the body of the answer frame
// f (without its size) to key at version ver, past the header's tagged
// fields if flexible, but for ApiVersions (KIP-511); ok is false on a bad header.
func ResponseBody(key, ver int16, f []byte) (corr int32, body []byte, ok bool) {
	b := kbin.Reader{Src: f}
	corr = b.Int32()
	if req := kmsg.RequestForKey(key); req != nil && key != int16(kmsg.ApiVersions) {
		req.SetVersion(ver)
		if req.IsFlexible() {
			kmsg.SkipTags(&b)
		}
	}
	return corr, b.Src, b.Ok()
}

// Sized returns body behind its length: a frame as Read returns it.
func Sized(body []byte) []byte {
	out := make([]byte, 4, 4+len(body))
	binary.BigEndian.PutUint32(out, uint32(len(body)))
	return append(out, body...)
}

// Listener wraps ln so that the server reads whole frames only: a frame's
// bytes, its length included, wait in the connection until the last came,
// so a server that allocates the length it reads (kfake) allocates only
// what arrived. A connection whose frame header fails Check is closed and
// logged at Warn; the server reads the whole frames before, then the error.
// It accepts through accept.Next.
func Listener(ln net.Listener, max int32, logger *slog.Logger) net.Listener {
	return &listener{Listener: ln, max: max, log: logger}
}

type listener struct {
	net.Listener
	max int32
	log *slog.Logger
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := accept.Next(l.Listener, l.log)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, l: l}, nil
}

// conn keeps the bytes read from the peer in buf: buf[next:whole] are
// whole frames the server has yet to read, buf[whole:] the next frame's start.
type conn struct {
	net.Conn
	l *listener

	mu          sync.Mutex
	buf         []byte
	next, whole int
	err         error
}

func (c *conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.next == c.whole {
		if c.err != nil {
			return 0, c.err
		}
		c.buf, c.whole, c.next = c.buf[:copy(c.buf, c.buf[c.whole:])], 0, 0
		if cap(c.buf) > step && len(c.buf) == 0 {
			c.buf = nil // a big frame's array goes with it
		}
		room := 4 << 10 // or what is left of the frame, up to step
		if len(c.buf) >= 4 {
			room = min(max(4+int(binary.BigEndian.Uint32(c.buf))-len(c.buf), room), step)
		}
		c.buf = slices.Grow(c.buf, room)
		n, err := c.Conn.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		c.split()
		if err != nil && c.err == nil {
			c.err = err
		}
	}
	n := copy(p, c.buf[c.next:c.whole])
	c.next += n
	return n, nil
}

// split moves whole past each frame buf holds whole, and closes the
// connection at a header Check refuses.
func (c *conn) split() {
	for c.err == nil && len(c.buf)-c.whole >= 4 {
		size, err := Check([4]byte(c.buf[c.whole:]), c.l.max)
		if err != nil {
			c.err = err
			c.l.log.Warn("kafka connection closed", "remote", c.Conn.RemoteAddr().String(), "err", err)
			_ = c.Conn.Close()
			return
		}
		if len(c.buf)-c.whole-4 < int(size) {
			return
		}
		c.whole += 4 + int(size)
	}
}
