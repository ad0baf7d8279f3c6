package direct_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/broker"
	"github.com/prodlab/prodlab/internal/direct"
)

// TestPathIPv6: a broker on [::1] advertises a proxy address on [::1] that
// must never be dialled. The bypass names that proxy in another spelling
// of the same IPv6 address; the path still matches it, lists the broker
// at its advertised address, writes and reads back through the broker's
// own listener, and the proxy sees no connection.
func TestPathIPv6(t *testing.T) {
	proxy, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer proxy.Close()
	var crossed atomic.Int32
	go func() {
		for {
			c, err := proxy.Accept()
			if err != nil {
				return
			}
			crossed.Add(1)
			c.Close()
		}
	}()
	c, err := broker.Start(broker.Host("::1"), broker.Topics(1, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	adv := proxy.Addr().String() // [::1]:port
	if err := c.Advertise(0, adv); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(adv)
	long := "[0:0:0:0:0:0:0:1]:" + port
	path, err := direct.New(direct.Bootstrap(c.DirectAddrs()...), direct.Bypass(map[string]string{long: c.DirectAddrs()[0]}))
	if err != nil {
		t.Fatal(err)
	}
	if up, ok := path.Upstream(adv); !ok || up != c.DirectAddrs()[0] {
		t.Fatalf("Upstream(%s) = %q, %v; want %s", adv, up, ok, c.DirectAddrs()[0])
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	bs, err := path.Brokers(ctx)
	if err != nil || len(bs) != 1 || bs[0].Addr != adv {
		t.Fatalf("Brokers = %+v, %v; want one at %s", bs, err, adv)
	}
	cl, err := path.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rec := &kgo.Record{Topic: "t", Value: []byte(`{"eventId":"v6"}`)}
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	recs, err := path.ReadAll(ctx, "t")
	if err != nil || len(recs) != 1 || direct.EventID(recs[0]) != "v6" {
		t.Fatalf("ReadAll = %d records, %v; want the one sent", len(recs), err)
	}
	if n := crossed.Load(); n != 0 {
		t.Fatalf("the proxy address was dialled %d times", n)
	}
}

// TestPathChecks: New refuses a bootstrap that is not host:port and
// client settings franz-go cannot apply, naming them; a path without a
// bootstrap makes no client.
func TestPathChecks(t *testing.T) {
	if _, err := direct.New(direct.Bootstrap("::1")); err == nil || !strings.Contains(err.Error(), "Bootstrap") {
		t.Fatalf("bootstrap ::1: %v, want an error naming Bootstrap", err)
	}
	var props prodlab.ClientProps
	err := errors.Join(props.Set("security.protocol", "SSL"), props.Set("ssl.ca.location", t.TempDir()+"/none.pem"))
	if err == nil {
		_, err = direct.New(direct.Props(props))
	}
	if !errors.Is(err, prodlab.ErrClientProp) || !strings.Contains(err.Error(), "ssl.ca.location") {
		t.Fatalf("a missing CA file: %v, want ErrClientProp naming ssl.ca.location", err)
	}
	p, err := direct.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Client(); !errors.Is(err, direct.ErrNoBootstrap) {
		t.Fatalf("Client without a bootstrap: %v, want ErrNoBootstrap", err)
	}
}
