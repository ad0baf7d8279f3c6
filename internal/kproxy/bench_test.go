package kproxy_test

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkProduceLatency: sequential sync produces of one small record,
// through Toxiproxy alone (every connection dialled to the broker's proxy)
// and through Toxiproxy and the relay (bootstrapped at the lab's proxy),
// no toxic. It reports each path's p50 and p99 per request.
//
//	go test ./internal/kproxy -run '^$' -bench ProduceLatency -benchtime 3000x
func BenchmarkProduceLatency(b *testing.B) {
	b.Run("toxiproxy", func(b *testing.B) {
		latencies(b, toxiproxyOnly(b)...)
	})
	b.Run("toxiproxy+kproxy", func(b *testing.B) {
		f := front(b, 1)
		latencies(b, kgo.SeedBrokers(f.bootstrap))
	})
}

// toxiproxyOnly returns the options of a client of a kfake broker behind a
// Toxiproxy proxy, every connection dialled to that proxy.
func toxiproxyOnly(b *testing.B) []kgo.Opt {
	c, s := clusterAndToxi(b, kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	px, err := s.AddProxy("kafka", "127.0.0.1:0", c.ListenAddrs()[0])
	if err != nil {
		b.Fatal(err)
	}
	var d net.Dialer
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) { return d.DialContext(ctx, network, px) }
	return []kgo.Opt{kgo.SeedBrokers(px), kgo.Dialer(dial)}
}

// BenchmarkProduceThroughput: sync produces from 64 goroutines sharing one
// client, through Toxiproxy alone and through Toxiproxy and the relay, no
// toxic; it reports records per second.
//
//	go test ./internal/kproxy -run '^$' -bench ProduceThroughput -benchtime 50000x
func BenchmarkProduceThroughput(b *testing.B) {
	run := func(b *testing.B, opts ...kgo.Opt) {
		cl, err := kgo.NewClient(append(opts, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))...)
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte("warm")}).FirstErr(); err != nil {
			b.Fatal(err)
		}
		b.SetParallelism(32) // 64 goroutines on 2 cores
		start := time.Now()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := cl.ProduceSync(context.Background(), &kgo.Record{Value: []byte("0123456789abcdef")}).FirstErr(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
	}
	b.Run("toxiproxy", func(b *testing.B) {
		run(b, toxiproxyOnly(b)...)
	})
	b.Run("toxiproxy+kproxy", func(b *testing.B) {
		f := front(b, 1)
		run(b, kgo.SeedBrokers(f.bootstrap))
	})
}

func latencies(b *testing.B, opts ...kgo.Opt) {
	cl, err := kgo.NewClient(append(opts, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(0))...)
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	rec := func() *kgo.Record { return &kgo.Record{Value: []byte("0123456789abcdef")} }
	for range 200 { // warm: connections, metadata, proxies
		if err := cl.ProduceSync(ctx, rec()).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := cl.ProduceSync(ctx, rec()).FirstErr(); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), "p99-µs")
}
