package bench

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab"
)

func TestParsePeer(t *testing.T) {
	p, err := ParsePeer("java-3.6.1=java -cp a:b ProducerApi")
	if err != nil || p.Name != "java-3.6.1" || p.Command != "java -cp a:b ProducerApi" {
		t.Fatalf("ParsePeer = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "java", "=cmd", "name=", " = "} {
		if _, err := ParsePeer(bad); err == nil {
			t.Errorf("ParsePeer(%q) accepted it", bad)
		}
	}
}

func TestProcStatCountsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, err := procStat(os.Getpid()); err == nil {
			t.Fatal("procStat works off Linux?")
		}
		t.Skip("per-process CPU needs /proc")
	}
	t0, err := procStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until the kernel has counted at least two ticks more.
	deadline := time.Now().Add(10 * time.Second)
	x := 0
	for {
		for i := range 1 << 20 {
			x += i
		}
		t1, err := procStat(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if t1-t0 >= 2*time.Second/clockTick {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time stayed at %v after 10s of work (%d)", t1-t0, x)
		}
	}
	rss, peak, err := procMemory(os.Getpid())
	if err != nil || rss == 0 || peak < rss {
		t.Fatalf("procMemory = %d, %d, %v", rss, peak, err)
	}
}

func TestRunProcsRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string][]Opt{
		"no peer":       nil,
		"zero duration": {Peers(Peer{"x", "true"}), Duration(0)},
		"no repetition": {Peers(Peer{"x", "true"}), Repetitions(0)},
	} {
		if _, err := RunProcs(context.Background(), opts...); err == nil {
			t.Errorf("%s: RunProcs succeeded", name)
		}
	}
}

func TestProcsMarkdown(t *testing.T) {
	r := &ProcsReport{Peers: []string{"franz", "java"}, cfg: cfg{reps: 2, conns: 64}, Cells: map[prodlab.SendMode]map[string][]Result{
		prodlab.Sync: {"franz": {{Rate: 100, Sent: 100, CPU: 4 * time.Millisecond}, {Rate: 120, Sent: 100, CPU: 4 * time.Millisecond}}},
	}, RSS: map[string]uint64{"franz": 100 << 20}}
	var b strings.Builder
	r.Markdown(&b)
	for _, want := range []string{"| | franz | java |", "| sync, req/s | 100–120 | – |", "| sync, CPU µs per request | 40 | – |", "| RSS after the run | 100.0 MiB | – |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
