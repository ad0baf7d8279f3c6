//go:build cgo

package kproxy_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// TestLibrdkafkaThroughRelay: librdkafka, which has no dialer hook,
// bootstrapped at the lab's proxy, sees only proxies in Metadata, and a
// latency toxic on the leader's proxy delays its idempotent produce.
func TestLibrdkafkaThroughRelay(t *testing.T) {
	f := front(t, 3)
	p, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers":  f.bootstrap,
		"enable.idempotence": true,
		"linger.ms":          0,
		"log_level":          3,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	go func() {
		for range p.Events() { // drained, as every librdkafka producer must be
		}
	}()
	md, err := p.GetMetadata(nil, true, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, b := range md.Brokers {
		addrs = append(addrs, net.JoinHostPort(b.Host, strconv.Itoa(b.Port)))
	}
	f.checkOnlyProxies(t, "librdkafka", addrs, 3)

	send := func(v string) time.Duration {
		t.Helper()
		tp := topic
		done := make(chan kafka.Event, 1)
		start := time.Now()
		if err := p.Produce(&kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &tp, Partition: 0}, Value: []byte(v)}, done); err != nil {
			t.Fatal(err)
		}
		m := (<-done).(*kafka.Message)
		if m.TopicPartition.Error != nil {
			t.Fatalf("send %s: %v", v, m.TopicPartition.Error)
		}
		return time.Since(start)
	}
	send("warm")
	latency(t, f.leaderProxy(t, 0), 1500*time.Millisecond)
	if took := send("slow"); took < 1500*time.Millisecond {
		t.Fatalf("librdkafka produce under a 1.5 s toxic on the leader's proxy took %v", took)
	}
}
