// Package accept keeps accept loops alive through a process out of file
// descriptors: an Accept error other than a closed listener's (EMFILE,
// ENFILE) is waited out, as net/http's Server does, where kfake's,
// kproxy's and fasthttp's loops end at the first and never accept again.
package accept

import (
	"errors"
	"log/slog"
	"net"
	"time"
)

// Next returns ln's next connection, waiting out (5 ms doubling to 1 s,
// logged at Warn) every failure but a closed listener's.
func Next(ln net.Listener, logger *slog.Logger) (net.Conn, error) {
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, time.Second) {
		c, err := ln.Accept()
		if err == nil || errors.Is(err, net.ErrClosed) {
			return c, err
		}
		logger.Warn("accept failed, retrying", "addr", ln.Addr().String(), "err", err, "pause", pause)
		time.Sleep(pause)
	}
}

// Listener returns ln accepting through Next.
func Listener(ln net.Listener, logger *slog.Logger) net.Listener { return listener{ln, logger} }

type listener struct {
	net.Listener
	log *slog.Logger
}

func (l listener) Accept() (net.Conn, error) { return Next(l.Listener, l.log) }
