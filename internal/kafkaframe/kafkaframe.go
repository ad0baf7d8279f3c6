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
// enough; it allocates only once the length passed Check.
func Read(r io.Reader, buf []byte, max int32) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n, err := Check(h, max)
	if err != nil {
		return nil, err
	}
	if cap(buf) < 4+int(n) {
		buf = make([]byte, 4+int(n))
	}
	buf = buf[:4+int(n)]
	copy(buf, h[:])
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		return nil, err
	}
	return buf, nil
}

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

// Listener wraps ln so that a connection whose frame header fails Check is
// closed and logged at Warn; the server reads the frames before, then the error.
func Listener(ln net.Listener, max int32, logger *slog.Logger) net.Listener {
	return &listener{Listener: ln, max: max, log: logger}
}

type listener struct {
	net.Listener
	max int32
	log *slog.Logger
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, l: l}, nil
}

// conn follows the frames of the bytes its reader gets, one Read at a time.
type conn struct {
	net.Conn
	l *listener

	mu   sync.Mutex
	h    [4]byte
	nh   int   // header bytes seen
	left int64 // body bytes left of the current frame
	err  error
}

func (c *conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.Conn.Read(p)
	for i := 0; i < n; {
		if c.left > 0 {
			k := min(int64(n-i), c.left)
			i += int(k)
			c.left -= k
			continue
		}
		c.h[c.nh] = p[i]
		c.nh++
		i++
		if c.nh < 4 {
			continue
		}
		c.nh = 0
		size, cerr := Check(c.h, c.l.max)
		if cerr != nil {
			c.err = cerr
			c.l.log.Warn("kafka connection closed", "remote", c.Conn.RemoteAddr().String(), "err", cerr)
			_ = c.Conn.Close()
			if start := i - 4; start > 0 {
				return start, nil // the frames before; the error next
			}
			return 0, cerr
		}
		c.left = int64(size)
	}
	return n, err
}
