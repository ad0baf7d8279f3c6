package kafkalocal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/direct/directtest"
	"github.com/prodlab/prodlab/internal/kafkalocal"
)

// TestDiscoverOtherLayout: a cluster that is not laid out as kafkalocal
// lays it out (an embedded broker, node id 0, on a free port) is found
// as such, and gets no upstreams.
func TestDiscoverOtherLayout(t *testing.T) {
	c, err := broker.Start(broker.Topics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	found, err := kafkalocal.Discover(ctx, directtest.Path(t, c.DirectAddrs()...))
	if err != nil || found.Layout {
		t.Fatalf("Discover = %+v, %v; want another layout", found, err)
	}
	if ups, err := found.Upstreams(); err == nil || !strings.Contains(err.Error(), "--upstreams") {
		t.Fatalf("Upstreams = %v, %v; want an error pointing to --upstreams", ups, err)
	}
}

// TestCheckAdvertised: a broker asked through a "proxy" passes when it
// advertises a port a proxy listens on, and fails naming the broker and
// its address when it advertises another.
func TestCheckAdvertised(t *testing.T) {
	c, err := broker.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p := directtest.Path(t)
	if err := kafkalocal.CheckAdvertised(ctx, p, c.DirectAddrs()); err != nil {
		t.Fatalf("a broker that advertises the proxy's port: %v", err)
	}
	if err := c.Advertise(0, "127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	err = kafkalocal.CheckAdvertised(ctx, p, c.DirectAddrs())
	if err == nil || !strings.Contains(err.Error(), "advertises 127.0.0.1:1") {
		t.Fatalf("a broker that advertises another port: %v, want it named", err)
	}
}
