package kproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab/internal/kafkaframe"
)

const (
	// maxInFlight bounds a connection's requests awaiting their answer; a
	// client past it waits (Kafka clients keep about 5).
	maxInFlight = 1024
	// keepBuf is the biggest read buffer a connection keeps between frames.
	keepBuf = 1 << 20
)

// readFrame reads a frame of min to kafkaframe.DefaultMax bytes into *buf,
// kept up to keepBuf.
func readFrame(in io.Reader, buf *[]byte, min int) ([]byte, error) {
	f, err := kafkaframe.Read(in, *buf, kafkaframe.DefaultMax)
	if err != nil {
		return nil, err
	}
	if len(f) < 4+min {
		return nil, fmt.Errorf("kproxy: protocol: a frame of %d bytes, under %d", len(f)-4, min)
	}
	if *buf = nil; cap(f) <= keepBuf {
		*buf = f
	}
	return f, nil
}

// inflight is a request awaiting its answer.
type inflight struct {
	corr     int32
	key, ver int16
}

// relay relays c to the first of upstreams that answers until either closes.
func (r *Relay) relay(c net.Conn, upstreams []string) {
	if r.cfg.clientTLS != nil {
		tc := tls.Server(c, r.cfg.clientTLS)
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			r.cfg.logger.Warn("client TLS handshake failed (does the client trust the lab CA?)", "client", c.RemoteAddr().String(), "err", err)
			return
		}
		c = tc
	}
	up, err := r.dialUpstream(upstreams)
	if err != nil {
		r.cfg.logger.Warn("upstream unreachable", "upstreams", upstreams, "err", err)
		return
	}
	if !r.track(up) {
		up.Close()
		return
	}
	defer r.untrack(up)
	pending := make(chan inflight, maxInFlight)
	done := make(chan error, 2)
	go func() { done <- r.requests(c, up, pending) }()
	go func() { done <- r.answers(up, c, pending) }()
	err = <-done
	// Either side gone ends both.
	c.Close()
	up.Close()
	<-done
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		r.cfg.logger.Warn("connection closed", "client", c.RemoteAddr().String(), "upstream", up.RemoteAddr().String(), "err", err)
	}
}

// requests copies request frames from c to up, each answered one first in pending.
func (r *Relay) requests(c, up net.Conn, pending chan<- inflight) error {
	defer close(pending)
	in := bufio.NewReaderSize(c, 32<<10)
	var buf []byte
	for {
		f, err := readFrame(in, &buf, 8) // key, version, correlation id
		if err != nil {
			return err
		}
		key := int16(binary.BigEndian.Uint16(f[4:]))
		ver := int16(binary.BigEndian.Uint16(f[6:]))
		corr := int32(binary.BigEndian.Uint32(f[8:]))
		// SaslHandshake v0 is followed by raw SASL frames.
		if key == int16(kmsg.SASLHandshake) && ver == 0 {
			return errors.New("kproxy: protocol: SaslHandshake v0 is not relayed: use a client with SaslAuthenticate (Kafka 1.0+)")
		}
		if answered(key, ver, f[4:]) {
			pending <- inflight{corr: corr, key: key, ver: ver}
		}
		if _, err := up.Write(f); err != nil {
			return err
		}
	}
}

// answered reports whether the request frame (without its size) gets an
// answer: all but Produce with acks=0 (a frame too short to say does).
func answered(key, ver int16, f []byte) bool {
	if key != 0 {
		return true
	}
	acks, ok := produceAcks(ver, f)
	return !ok || acks != 0
}

// produceAcks reads the acks of the Produce request frame f (without its
// size), after the request header and, from v3, the transactional id.
func produceAcks(ver int16, f []byte) (int16, bool) {
	b := kbin.Reader{Src: f[8:]}
	b.UnsafeNullableString() // client id
	switch {
	case ver >= 9:
		kmsg.SkipTags(&b)               // the header's
		b.UnsafeCompactNullableString() // transactional id
	case ver >= 3:
		b.UnsafeNullableString()
	}
	acks := b.Int16()
	return acks, b.Ok()
}

// answers copies answer frames from up to c, rewriting those that name
// brokers. Kafka answers in order: any other order closes the connection.
func (r *Relay) answers(up, c net.Conn, pending <-chan inflight) error {
	in := bufio.NewReaderSize(up, 32<<10)
	var buf []byte
	for {
		f, err := readFrame(in, &buf, 4) // correlation id
		if err != nil {
			return err
		}
		corr := int32(binary.BigEndian.Uint32(f[4:]))
		// A request is pending before it leaves: none pending, no request.
		var req inflight
		ok := false
		select {
		case req, ok = <-pending:
		default:
			return fmt.Errorf("kproxy: protocol: an answer (correlation id %d) to no request", corr)
		}
		switch {
		case !ok:
			return fmt.Errorf("kproxy: protocol: an answer (correlation id %d) after the client stopped sending", corr)
		case req.corr != corr:
			return fmt.Errorf("kproxy: protocol: answer to correlation id %d, expected %d", corr, req.corr)
		}
		body, err := rewrite(req.key, req.ver, f[4:], r.addr)
		if err != nil {
			return err
		}
		if len(body) != len(f)-4 || &body[0] != &f[4] {
			f = kafkaframe.Sized(body)
		}
		if _, err := c.Write(f); err != nil {
			return err
		}
	}
}
