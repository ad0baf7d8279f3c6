// Package observe reads what the brokers hold through a direct path that
// bypasses Toxiproxy, so that a toxic never blinds the lab's counters.
package observe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab/internal/toxi"
)

// Bypass maps a proxy's listen address to its upstream. A client whose
// Metadata names a proxy address dials the upstream instead.
type Bypass map[string]string

// Dialer returns a dial function that applies b.
func (b Bypass) Dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if up, ok := b[addr]; ok {
			addr = up
		}
		return d.DialContext(ctx, network, addr)
	}
}

// FetchBypass reads the proxies from the Toxiproxy REST API at baseURL
// (such as http://127.0.0.1:8474).
func FetchBypass(ctx context.Context, baseURL string) (Bypass, error) {
	tc, err := toxi.NewClient(baseURL)
	if err != nil {
		return nil, err
	}
	proxies, err := tc.Proxies(ctx)
	if errors.Is(err, toxi.ErrNoAnswer) {
		return nil, err // it names the URL
	}
	if err != nil {
		return nil, fmt.Errorf("toxiproxy at %s: GET /proxies: %w", baseURL, err)
	}
	b := Bypass{}
	for _, p := range proxies {
		b[p.Listen] = p.Upstream
		// A proxy listening on all interfaces is reached through loopback.
		if host, port, err := net.SplitHostPort(p.Listen); err == nil && (host == "0.0.0.0" || host == "::" || host == "") {
			b[net.JoinHostPort("127.0.0.1", port)] = p.Upstream
			b[net.JoinHostPort("localhost", port)] = p.Upstream
		}
	}
	return b, nil
}

// NewClient returns a kgo client bootstrapped on the direct listeners that
// bypasses every proxy in b.
func NewClient(bootstrap []string, b Bypass, opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(bootstrap...),
		kgo.Dialer(b.Dialer()),
	}, opts...)...)
}

// ReadAll returns every record of topic from the start offsets to the end
// offsets as they stand when it is called.
func ReadAll(ctx context.Context, bootstrap []string, b Bypass, topic string) ([]*kgo.Record, error) {
	adm, err := NewClient(bootstrap, b)
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	ends, err := kadm.NewClient(adm).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	if err := ends.Error(); err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	if len(want) == 0 {
		return nil, nil
	}
	starts := map[string]map[int32]kgo.Offset{topic: {}}
	for p := range want {
		starts[topic][p] = kgo.NewOffset().AtStart()
	}
	cl, err := NewClient(bootstrap, b, kgo.ConsumePartitions(starts), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var recs []*kgo.Record
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return recs, fmt.Errorf("reading %s: %w", topic, err)
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return recs, fmt.Errorf("reading %s: %w", topic, ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			recs = append(recs, r)
			// The last offset always holds a record: compaction keeps
			// the newest record of each key.
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	return recs, nil
}
