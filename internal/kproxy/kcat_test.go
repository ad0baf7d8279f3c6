package kproxy_test

import (
	"context"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/labtest"
)

// TestKcatThroughRelay: Debian's kcat (librdkafka, a client nobody here
// wrote), bootstrapped at the lab's proxy, lists only proxies, and a 1.5 s
// latency toxic on the leader's proxy delays its produce. Skipped without
// kcat on PATH, failed under PRODLAB_REQUIRE_KCAT=1 (see labtest.Kcat).
func TestKcatThroughRelay(t *testing.T) {
	kcat := labtest.Kcat(t)
	f := front(t, 3)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, kcat, "-b", f.bootstrap, "-L", "-m", "10").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -L: %v\n%s", err, out)
	}
	var addrs []string
	for _, m := range regexp.MustCompile(`(?m)^\s+broker (\d+) at (\S+)`).FindAllStringSubmatch(string(out), -1) {
		addrs = append(addrs, m[2])
	}
	sort.Strings(addrs)
	f.checkOnlyProxies(t, "kcat -L", addrs, 3)

	produce := func(v string) time.Duration {
		t.Helper()
		cmd := exec.CommandContext(ctx, kcat, "-b", f.bootstrap, "-P", "-t", topic, "-p", "0", "-X", "linger.ms=0")
		cmd.Stdin = strings.NewReader(v + "\n")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kcat -P: %v\n%s", err, out)
		}
		return time.Since(start)
	}
	t.Logf("kcat produce, no toxic: %v", produce("warm"))
	latency(t, f.leaderProxy(t, 0), 1500*time.Millisecond)
	if took := produce("slow"); took < 1500*time.Millisecond {
		t.Fatalf("kcat produce under a 1.5 s toxic on the leader's proxy took %v", took)
	} else {
		t.Logf("kcat produce under a 1.5 s toxic on the leader's proxy: %v", took)
	}
}
