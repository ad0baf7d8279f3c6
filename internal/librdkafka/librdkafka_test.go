//go:build cgo

package librdkafka

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/franz"
)

func props(t *testing.T, kv ...string) prodlab.ClientProps {
	t.Helper()
	var p prodlab.ClientProps
	if err := p.SetPair(kv...); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestClientConfig: the Java names map to librdkafka's own; the plain
// producer alone takes max.in.flight.
func TestClientConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	common, plain, err := clientConfig(props(t, "security.protocol=SASL_SSL", "sasl.mechanism=SCRAM-SHA-512",
		"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";",
		"ssl.truststore.location="+ca, "ssl.endpoint.identification.algorithm=", "client.id=c",
		"max.in.flight.requests.per.connection=1"))
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.ConfigMap{"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "u",
		"sasl.password": "p", "ssl.ca.location": ca, "ssl.endpoint.identification.algorithm": "none", "client.id": "c"}
	if !reflect.DeepEqual(common, want) {
		t.Errorf("common = %v\nwant %v", common, want)
	}
	if !reflect.DeepEqual(plain, kafka.ConfigMap{"max.in.flight.requests.per.connection": 1}) {
		t.Errorf("plain = %v", plain)
	}
}

// TestClientConfigRefusesStaticToken: librdkafka takes no static
// OAUTHBEARER token here; the engine refuses it, naming the key.
func TestClientConfigRefusesStaticToken(t *testing.T) {
	cfg := prodlab.DefaultConfig()
	cfg.Client = props(t, "security.protocol=SASL_SSL", "sasl.mechanism=OAUTHBEARER", "sasl.oauthbearer.token=tok-secret")
	_, err := New(cfg)
	if !errors.Is(err, prodlab.ErrClientProp) || !strings.Contains(err.Error(), "sasl.mechanism") || strings.Contains(err.Error(), "tok-secret") {
		t.Fatalf("err = %v, want a refusal naming sasl.mechanism", err)
	}
}

// TestEngines: both engines read a topic's partition count, and call an
// unknown topic ErrUnknownTopic, through the producers' bootstrap or
// through Config.Metadata when it is set; both send a record to the
// partition it asks for, and otherwise to the same partition for a key.
func TestEngines(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	keyed := map[string][]int32{} // engine → partition of each key
	for _, eng := range []struct {
		name string
		new  func(prodlab.Config) (prodlab.Producer, error)
	}{{"franz", franz.New}, {"librdkafka", New}} {
		for _, viaMetadata := range []bool{false, true} {
			cfg := prodlab.DefaultConfig()
			cfg.Bootstrap = c.ListenAddrs()
			if viaMetadata {
				cfg.Bootstrap = []string{"127.0.0.1:1"} // never answers: the count must come from Metadata
				cfg.Metadata = c.ListenAddrs()
			}
			e, err := eng.new(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if n, err := e.Partitions(ctx, "t"); n != 3 || err != nil {
				t.Errorf("%s (metadata %v): Partitions(t) = %d, %v; want 3", eng.name, viaMetadata, n, err)
			}
			if _, err := e.Partitions(ctx, "absent"); !errors.Is(err, prodlab.ErrUnknownTopic) {
				t.Errorf("%s (metadata %v): Partitions(absent) = %v; want ErrUnknownTopic", eng.name, viaMetadata, err)
			}
			if !viaMetadata {
				for _, mode := range prodlab.Modes {
					for p := range int32(3) { // one key: at most one partition is its hash's
						if d := send(t, e, mode, prodlab.Message{Topic: "t", Key: []byte("k"), Partition: p}); d.Partition != p {
							t.Errorf("%s %s: partition %d asked, delivered to %d", eng.name, mode, p, d.Partition)
						}
					}
				}
				for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
					d := send(t, e, prodlab.Idempotent, prodlab.Message{Topic: "t", Key: []byte(k), Partition: prodlab.AnyPartition})
					keyed[eng.name] = append(keyed[eng.name], d.Partition)
				}
			}
			cancel()
			e.Close()
		}
	}
	if !reflect.DeepEqual(keyed["franz"], keyed["librdkafka"]) {
		t.Errorf("the engines hash keys differently: %v", keyed)
	}
}

// send produces m and waits for its delivery, which must succeed.
func send(t *testing.T, e prodlab.Producer, mode prodlab.Mode, m prodlab.Message) prodlab.Delivery {
	t.Helper()
	done := make(chan prodlab.Delivery, 1)
	if err := e.Produce(mode, m, func(d prodlab.Delivery) { done <- d }); err != nil {
		t.Fatalf("%s %s: %v", e.Name(), mode, err)
	}
	d := <-done
	if d.Err != nil {
		t.Fatalf("%s %s: %v", e.Name(), mode, d.Err)
	}
	return d
}

// TestHeadersOnTheWire: records sent concurrently (their kafka.Message
// reused) reach Kafka with their own headers, byte for byte.
func TestHeadersOnTheWire(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "h"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cfg := prodlab.DefaultConfig()
	cfg.Bootstrap = c.ListenAddrs()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const n = 300
	want := func(i int) []kgo.RecordHeader {
		return []kgo.RecordHeader{{Key: prodlab.HeaderEventID, Value: []byte(fmt.Sprint("ev-", i))}, {Key: prodlab.HeaderMode, Value: []byte(fmt.Sprint("m\x00é", i))}}
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			m := prodlab.Message{Topic: "h", Key: []byte(fmt.Sprint(i)), Partition: prodlab.AnyPartition}
			for _, h := range want(i) {
				m.Headers = append(m.Headers, prodlab.Header(h))
			}
			if err := e.Produce(prodlab.Modes[i%2], m, func(d prodlab.Delivery) {
				if d.Err != nil {
					t.Error(d.Err)
				}
				wg.Done()
			}); err != nil {
				t.Error(err)
				wg.Done()
			}
		}()
	}
	wg.Wait()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("h"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := map[string][]kgo.RecordHeader{}
	for len(got) < n && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got[string(r.Key)] = r.Headers })
	}
	for i := range n {
		if h := got[fmt.Sprint(i)]; !reflect.DeepEqual(h, want(i)) {
			t.Fatalf("record %d: headers %q, want %q", i, h, want(i))
		}
	}
}

// TestExplain: a timed-out record's error names the last authentication
// error; any other outcome is left as it is.
func TestExplain(t *testing.T) {
	var a authErrors
	timedOut := kafka.NewError(kafka.ErrMsgTimedOut, "Message timed out", false)
	if d := a.explain(prodlab.Delivery{Err: timedOut}); d.Err != timedOut {
		t.Errorf("no auth error yet: %v", d.Err)
	}
	a.note(kafka.NewError(kafka.ErrAuthentication, "SASL authentication failed", false))
	if d := a.explain(prodlab.Delivery{Err: fmt.Errorf("wrapped: %w", timedOut)}); !errors.Is(d.Err, timedOut) || !strings.Contains(d.Err.Error(), "SASL authentication failed") {
		t.Errorf("timed out after an auth error: %v", d.Err)
	}
	other := kafka.NewError(kafka.ErrUnknownTopic, "unknown", false)
	if d := a.explain(prodlab.Delivery{Err: other}); d.Err != other {
		t.Errorf("other error: %v", d.Err)
	}
	if d := a.explain(prodlab.Delivery{Offset: 7}); d.Err != nil || d.Offset != 7 {
		t.Errorf("success: %+v", d)
	}
}
