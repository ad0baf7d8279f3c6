package kproxy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFrameSize wraps the error of a frame whose size prefix is negative,
// too small for its header, or past the relay's cap (MaxFrame).
var ErrFrameSize = errors.New("kproxy: bad frame size")

// readFrame reads one size-prefixed Kafka frame from r into buf (grown if
// it is too small) and returns it with its size. A size below min or above
// max is an error wrapping ErrFrameSize, and nothing past the size is read.
func readFrame(r io.Reader, buf []byte, min, max int) ([]byte, error) {
	if cap(buf) < 4 {
		buf = make([]byte, 4, 4096)
	}
	buf = buf[:4]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(buf)))
	if n < min || n > max {
		return nil, fmt.Errorf("%w: %d bytes (from %d to %d)", ErrFrameSize, n, min, max)
	}
	if cap(buf) < 4+n {
		nb := make([]byte, 4+n)
		copy(nb, buf)
		buf = nb
	}
	buf = buf[:4+n]
	if _, err := io.ReadFull(r, buf[4:]); err != nil {
		return nil, err
	}
	return buf, nil
}

// sized returns frame (an answer without its size) behind its size.
func sized(frame []byte) []byte {
	out := make([]byte, 4, 4+len(frame))
	binary.BigEndian.PutUint32(out, uint32(len(frame)))
	return append(out, frame...)
}
