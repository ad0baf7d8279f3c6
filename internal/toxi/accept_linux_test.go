package toxi

import (
	"context"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/prodlab/prodlab/internal/wait"
)

// TestChildOutOfDescriptors: a child out of file descriptors fails a
// proxy's Accept (EMFILE), which ends Toxiproxy's accept loop: that proxy
// would accept nothing more, for good. The child exits instead, and the
// parent restarts it (the watchdog is out of the way) with the proxy.
func TestChildOutOfDescriptors(t *testing.T) {
	s := start(t, Watchdog(time.Hour))
	addr, err := s.AddProxy("echo", "127.0.0.1:0", echo(t))
	if err != nil {
		t.Fatal(err)
	}
	pid := s.pid()
	// The child's next descriptor is its lowest free one: as its limit, no
	// descriptor is left (no connection through the proxy frees one later).
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, f := range fds {
		used[f.Name()] = true
	}
	free := 0
	for used[strconv.Itoa(free)] {
		free++
	}
	lim := syscall.Rlimit{Cur: uint64(free), Max: uint64(free)}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0); e != 0 {
		t.Fatalf("prlimit: %v", e)
	}
	// The child may exit, resetting this connection, before Dial returns.
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if wait.Until(ctx, func() bool { return s.Restarts() >= 1 && s.pid() != 0 && s.pid() != pid }) != nil {
		t.Fatalf("the child out of descriptors was not restarted (restarts %d)", s.Restarts())
	}
	roundTrip(t, addr)
}
