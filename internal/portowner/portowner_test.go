package portowner_test

import (
	"errors"
	"net"
	"os"
	"runtime"
	"testing"

	"github.com/prodlab/prodlab/internal/portowner"
)

func TestListenerNamesThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p, err := portowner.Listener(port)
	if err != nil {
		t.Fatalf("Listener(%d): %v", port, err)
	}
	if p.PID != os.Getpid() {
		t.Fatalf("Listener(%d) = PID %d, want this test's %d", port, p.PID, os.Getpid())
	}
	if p.Cmdline == "" || p.IsProdlab() {
		t.Fatalf("cmdline %q: want the test binary, not prodlab", p.Cmdline)
	}
	ln.Close()
	if _, err := portowner.Listener(port); !errors.Is(err, portowner.ErrUnknown) {
		t.Fatalf("after Close: %v, want ErrUnknown", err)
	}
}
