package kproxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab/internal/conntest"
	"github.com/prodlab/prodlab/internal/kafkaframe"
)

type noProxies struct{}

func (noProxies) AddProxy(string, string, string) (string, error) {
	return "", errors.New("no proxy in this test")
}

// request encodes req behind its size and request header.
func request(req kmsg.Request, corr int32) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, 2)
	b = append(b, "cl"...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	return kafkaframe.Sized(req.AppendTo(b))
}

// relayTo starts a relay to a fake broker, which runs serve on each
// connection, and returns a client connection through the relay.
func relayTo(t *testing.T, serve func(net.Conn)) net.Conn {
	t.Helper()
	ln := conntest.Listen(t)
	conntest.Serve(t, ln, serve)
	r, err := New(noProxies{}, Logger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	addr, err := r.Listen(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// TestRelayOrder: a Produce with acks=0 gets no answer and does not
// desynchronise the next one; an answer passes byte for byte; an answer
// to no request closes the connection.
func TestRelayOrder(t *testing.T) {
	answer := kafkaframe.Sized([]byte{0, 0, 0, 2, 9, 8, 7, 6}) // InitProducerID's answer to correlation id 2
	c := relayTo(t, func(b net.Conn) {
		for range 2 {
			f, err := kafkaframe.Read(b, nil, 1<<20)
			if err != nil {
				return
			}
			if binary.BigEndian.Uint16(f[4:]) == 22 {
				b.Write(answer)
			}
		}
		b.Write(kafkaframe.Sized([]byte{0, 0, 0, 99})) // unsolicited
		io.Copy(io.Discard, b)
	})
	p := kmsg.NewPtrProduceRequest()
	p.Version, p.Acks = 7, 0
	ip := kmsg.NewPtrInitProducerIDRequest()
	ip.Version = 1
	c.Write(append(request(p, 1), request(ip, 2)...))
	got, err := kafkaframe.Read(c, nil, 1<<20)
	if err != nil || !bytes.Equal(got, answer) {
		t.Fatalf("answer %x, %v; want %x", got, err, answer)
	}
	if _, err := kafkaframe.Read(c, nil, 1<<20); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an answer to no request: %v, want the connection closed", err)
	}
}

// TestRelaySaslHandshakeV0: SaslHandshake v0, after which raw SASL frames
// without Kafka headers follow, closes the connection before it reaches
// the broker.
func TestRelaySaslHandshakeV0(t *testing.T) {
	reached := make(chan int, 1)
	c := relayTo(t, func(b net.Conn) {
		n, _ := io.Copy(io.Discard, b)
		reached <- int(n)
	})
	h := kmsg.NewPtrSASLHandshakeRequest()
	h.Version, h.Mechanism = 0, "PLAIN"
	c.Write(request(h, 1))
	if _, err := kafkaframe.Read(c, nil, 1<<20); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("SaslHandshake v0: %v, want the connection closed", err)
	}
	if n := <-reached; n != 0 {
		t.Fatalf("%d bytes reached the broker", n)
	}
}
