package portowner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestListenerFindsDockerProxy: a port published by a container is held
// by root's docker-proxy, whose sockets another user cannot see; its
// command line still names it.
func TestListenerFindsDockerProxy(t *testing.T) {
	proc := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		p := filepath.Join(proc, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// 0x2384 is 9092; 0x1F90 is 8080, held by nobody visible.
	write("net/tcp", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"+
		"   0: 00000000:2384 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4711 1 0 100 0 0 10 0\n"+
		"   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4712 1 0 100 0 0 10 0\n")
	args := []string{"/usr/bin/docker-proxy", "-proto", "tcp", "-host-ip", "0.0.0.0", "-host-port", "9092", "-container-ip", "172.18.0.2", "-container-port", "9092"}
	write("4242/cmdline", strings.Join(args, "\x00")+"\x00")
	write("77/cmdline", "/usr/bin/docker-proxy\x00-host-port\x0029092\x00")
	p, err := listener(proc, 9092)
	if err != nil || p.PID != 4242 || !p.IsDockerProxy() || p.IsProdlab() {
		t.Fatalf("listener(9092) = %+v, %v; want docker-proxy PID 4242", p, err)
	}
	if _, err := listener(proc, 8080); err != ErrUnknown {
		t.Fatalf("listener(8080) = %v, want ErrUnknown (no docker-proxy publishes it)", err)
	}
}
