// Package conntest serves connections on loopback for tests.
package conntest

import (
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
)

// Listen returns a listener on a free loopback port, closed when t ends.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// Serve runs handle on each connection ln accepts, each in its own
// goroutine, and closes the connection when handle returns. It stops when
// ln is closed, which it does when t ends.
func Serve(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
}

// EMFILE is the error of an Accept in a process out of file descriptors.
var EMFILE error = &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}

// FailAccept returns ln whose Accept fails with errs first, one a call.
func FailAccept(ln net.Listener, errs ...error) net.Listener {
	return &failing{Listener: ln, errs: errs}
}

type failing struct {
	net.Listener
	mu   sync.Mutex
	errs []error
}

func (f *failing) Accept() (net.Conn, error) {
	f.mu.Lock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		f.mu.Unlock()
		return nil, err
	}
	f.mu.Unlock()
	return f.Listener.Accept()
}
