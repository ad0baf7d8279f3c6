package kproxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab/internal/kafkaframe"
)

// proxyOf maps broker n to 127.0.0.1:40000+n%4096, the way the relay maps it
// to its Toxiproxy proxy.
func proxyOf(node int32, host string, port int32) (string, int32, error) {
	if host == "127.0.0.1" && port >= 40000 {
		return host, port, nil // already a proxy
	}
	return "127.0.0.1", 40000 + node&0xfff, nil
}

// flexible reports whether key at version ver has flexible messages.
func flexible(key, ver int16) bool {
	resp := kmsg.ResponseForKey(key)
	resp.SetVersion(ver)
	return resp.IsFlexible()
}

// answer encodes resp at its version behind correlation id corr and, for
// a flexible answer, header tagged fields hdrTags (count 0 if empty).
func answer(key int16, resp kmsg.Response, corr int32, hdrTags []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(corr))
	if flexible(key, resp.GetVersion()) && key != apiVersionsKey {
		if len(hdrTags) == 0 {
			hdrTags = []byte{0}
		}
		b = append(b, hdrTags...)
	}
	return resp.AppendTo(b)
}

// parse reads back an answer frame made by answer.
func parse(t *testing.T, key, ver int16, frame []byte) kmsg.Response {
	t.Helper()
	_, body, ok := kafkaframe.ResponseBody(key, ver, frame)
	if !ok {
		t.Fatalf("%s v%d: bad response header", kmsg.NameForKey(key), ver)
	}
	resp := kmsg.ResponseForKey(key)
	resp.SetVersion(ver)
	if err := resp.ReadFrom(body); err != nil {
		t.Fatalf("%s v%d does not parse after rewrite: %v", kmsg.NameForKey(key), ver, err)
	}
	return resp
}

// addrs lists node@host:port of every broker address resp names.
func addrs(resp kmsg.Response) []string {
	var out []string
	for _, ep := range endpoints(resp) {
		out = append(out, fmt.Sprintf("%d@%s:%d", ep.node, *ep.host, *ep.port))
	}
	return out
}

// versions returns every version of key's request, oldest first.
func versions(key int16) []int16 {
	req := kmsg.RequestForKey(key)
	var vs []int16
	for v := int16(0); v <= req.MaxVersion(); v++ {
		vs = append(vs, v)
	}
	return vs
}

// brokerAnswers returns an answer to key at ver naming brokers 1, 2 and
// 3 at broker-<n>.example.com:9092, with other fields set so that a
// re-encoding that loses them shows.
func brokerAnswers(key, ver int16) kmsg.Response {
	resp := kmsg.ResponseForKey(key)
	resp.SetVersion(ver)
	host := func(n int32) string { return fmt.Sprintf("broker-%d.example.com", n) }
	rack := "rack-a"
	switch r := resp.(type) {
	case *kmsg.MetadataResponse:
		r.ControllerID = 2
		cluster := "lab-cluster"
		r.ClusterID = &cluster
		for n := int32(1); n <= 3; n++ {
			r.Brokers = append(r.Brokers, kmsg.MetadataResponseBroker{NodeID: n, Host: host(n), Port: 9092, Rack: &rack})
		}
		topic := "bhf-transactions"
		r.Topics = []kmsg.MetadataResponseTopic{{Topic: &topic, Partitions: []kmsg.MetadataResponseTopicPartition{{Partition: 0, Leader: 2, Replicas: []int32{1, 2, 3}, ISR: []int32{2, 3}}}}}
	case *kmsg.FindCoordinatorResponse:
		if ver < 4 {
			r.NodeID, r.Host, r.Port = 3, host(3), 9092
			break
		}
		r.Coordinators = []kmsg.FindCoordinatorResponseCoordinator{{Key: "g1", NodeID: 3, Host: host(3), Port: 9092}, {Key: "g2", NodeID: 1, Host: host(1), Port: 9092}}
	case *kmsg.DescribeClusterResponse:
		r.ClusterID, r.ControllerID = "lab-cluster", 1
		for n := int32(1); n <= 3; n++ {
			r.Brokers = append(r.Brokers, kmsg.DescribeClusterResponseBroker{NodeID: n, Host: host(n), Port: 9092, Rack: &rack})
		}
	case *kmsg.ProduceResponse:
		r.Topics = []kmsg.ProduceResponseTopic{{Topic: "bhf-transactions", Partitions: []kmsg.ProduceResponseTopicPartition{{Partition: 0, ErrorCode: 6}}}}
		r.Brokers = []kmsg.ProduceResponseBroker{{NodeID: 2, Host: host(2), Port: 9092}}
	case *kmsg.FetchResponse:
		r.Topics = []kmsg.FetchResponseTopic{{Topic: "bhf-transactions", Partitions: []kmsg.FetchResponseTopicPartition{{Partition: 0, ErrorCode: 6, RecordBatches: []byte("opaque-batches")}}}}
		r.Brokers = []kmsg.FetchResponseBroker{{NodeID: 2, Host: host(2), Port: 9092}}
	case *kmsg.ShareFetchResponse:
		r.NodeEndpoints = []kmsg.ShareFetchResponseNodeEndpoint{{NodeID: 1, Host: host(1), Port: 9092}}
	case *kmsg.ShareAcknowledgeResponse:
		r.NodeEndpoints = []kmsg.ShareAcknowledgeResponseNodeEndpoint{{NodeID: 1, Host: host(1), Port: 9092}}
	}
	return resp
}

// TestRewriteEveryVersion rewrites, at every version kmsg knows of every
// rewritten API, an answer naming brokers: it then names only their
// proxies, keeps its correlation id and header tags, and every other field
// re-encodes as before.
func TestRewriteEveryVersion(t *testing.T) {
	hdrTags := []byte{1, 7, 3, 'a', 'b', 'c'} // one unknown tag in the header
	for key := range rewritten {
		if !slices.ContainsFunc(versions(key), func(v int16) bool { return rewritable(key, v) && len(addrs(brokerAnswers(key, v))) > 0 }) {
			t.Errorf("endpoints finds no broker in any %s answer", kmsg.NameForKey(key))
		}
		for _, ver := range versions(key) {
			if !rewritable(key, ver) {
				continue
			}
			name := fmt.Sprintf("%s/v%d", kmsg.NameForKey(key), ver)
			t.Run(name, func(t *testing.T) {
				in := brokerAnswers(key, ver)
				want := addrs(in)
				if len(want) == 0 {
					t.Skipf("%s names no broker at this version", name)
				}
				frame := answer(key, in, 0x7a0b0c0d, hdrTags)
				orig := bytes.Clone(frame)
				out, err := rewrite(key, ver, frame, proxyOf)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(frame, orig) {
					t.Fatal("rewrite changed its input")
				}
				if got := binary.BigEndian.Uint32(out); got != 0x7a0b0c0d {
					t.Fatalf("correlation id %#x, want 0x7a0b0c0d", got)
				}
				if flexible(key, ver) && !bytes.Equal(out[4:4+len(hdrTags)], hdrTags) {
					t.Fatalf("header tags %x, want %x", out[4:4+len(hdrTags)], hdrTags)
				}
				got := parse(t, key, ver, out)
				var gotAddrs []string
				for _, ep := range endpoints(got) {
					gotAddrs = append(gotAddrs, fmt.Sprintf("%d@%s:%d", ep.node, *ep.host, *ep.port))
					if *ep.host != "127.0.0.1" || *ep.port != 40000+ep.node&0xfff {
						t.Errorf("broker %d still at %s:%d", ep.node, *ep.host, *ep.port)
					}
				}
				if len(gotAddrs) != len(want) {
					t.Fatalf("addresses %v after rewrite, from %v", gotAddrs, want)
				}
				// Put the original addresses back: the rest must encode the same.
				for _, ep := range endpoints(got) {
					*ep.host, *ep.port = fmt.Sprintf("broker-%d.example.com", ep.node), 9092
				}
				if back := answer(key, got, 0x7a0b0c0d, hdrTags); !bytes.Equal(back, orig) {
					t.Fatalf("rest of the answer changed:\n got %x\nwant %x", back, orig)
				}
				// Rewriting a rewritten answer is a no-op, byte for byte.
				again, err := rewrite(key, ver, out, proxyOf)
				if err != nil || !bytes.Equal(again, out) {
					t.Fatalf("second rewrite: %v, changed %v", err, !bytes.Equal(again, out))
				}
			})
		}
	}
}

// TestRewriteNoAddress: answers that name no broker come back as the very
// same bytes: other APIs, error answers of FindCoordinator, Produce and
// Fetch without leader hints or below their versions.
func TestRewriteNoAddress(t *testing.T) {
	cases := []struct {
		key  int16
		resp func(v int16) kmsg.Response
	}{
		{0, func(v int16) kmsg.Response {
			r := kmsg.NewPtrProduceResponse()
			r.Version = v
			r.Topics = []kmsg.ProduceResponseTopic{{Topic: "t", Partitions: []kmsg.ProduceResponseTopicPartition{{BaseOffset: 42}}}}
			return r
		}},
		{10, func(v int16) kmsg.Response {
			r := kmsg.NewPtrFindCoordinatorResponse()
			r.Version, r.ErrorCode, r.NodeID, r.Port = v, 15, -1, -1
			if v >= 4 {
				r.Coordinators = []kmsg.FindCoordinatorResponseCoordinator{{Key: "g", ErrorCode: 15, NodeID: -1, Port: -1}}
			}
			return r
		}},
		{3, func(v int16) kmsg.Response {
			r := kmsg.NewPtrMetadataResponse()
			r.Version = v
			return r
		}},
		{22, func(v int16) kmsg.Response { // InitProducerID
			r := kmsg.NewPtrInitProducerIDResponse()
			r.Version, r.ProducerID = v, 7
			return r
		}},
	}
	for _, c := range cases {
		for _, ver := range versions(c.key) {
			frame := answer(c.key, c.resp(ver), 9, nil)
			out, err := rewrite(c.key, ver, frame, func(int32, string, int32) (string, int32, error) {
				return "", 0, errors.New("asked for an address")
			})
			if err != nil {
				t.Fatalf("%s v%d: %v", kmsg.NameForKey(c.key), ver, err)
			}
			if &out[0] != &frame[0] || len(out) != len(frame) {
				t.Fatalf("%s v%d: answer re-encoded", kmsg.NameForKey(c.key), ver)
			}
		}
	}
}

// TestRewriteRefuses: an address-carrying answer that does not parse, or
// at a version kmsg does not know, is an error (the connection closes),
// never passed on with the broker's own address.
func TestRewriteRefuses(t *testing.T) {
	frame := answer(3, brokerAnswers(3, 12), 1, nil)
	for _, f := range [][]byte{frame[:len(frame)-3], frame[:2]} {
		if _, err := rewrite(3, 12, f, proxyOf); !errors.Is(err, ErrBadAnswer) {
			t.Errorf("truncated Metadata: %v, want ErrBadAnswer", err)
		}
	}
	if _, err := rewrite(3, kmsg.NewPtrMetadataRequest().MaxVersion()+1, frame, proxyOf); !errors.Is(err, ErrBadAnswer) {
		t.Errorf("Metadata past kmsg's versions: %v, want ErrBadAnswer", err)
	}
	boom := errors.New("no proxy")
	if _, err := rewrite(3, 12, frame, func(int32, string, int32) (string, int32, error) { return "", 0, boom }); !errors.Is(err, boom) {
		t.Errorf("proxy creation failed: %v, want it returned", err)
	}
}

// TestCapVersions: ApiVersions offering a rewritten API past what kmsg
// knows is capped there; one that offers no more is left byte for byte.
func TestCapVersions(t *testing.T) {
	for _, ver := range versions(apiVersionsKey) {
		r := kmsg.NewPtrApiVersionsResponse()
		r.Version = ver
		r.ApiKeys = []kmsg.ApiVersionsResponseApiKey{{ApiKey: 0, MaxVersion: 13}, {ApiKey: 3, MinVersion: 0, MaxVersion: 13}, {ApiKey: 18, MaxVersion: 4}}
		frame := answer(apiVersionsKey, r, 5, nil)
		if out := capVersions(ver, frame); &out[0] != &frame[0] {
			t.Fatalf("v%d: known versions re-encoded", ver)
		}
		r.ApiKeys[1].MaxVersion = 99
		r.ApiKeys = append(r.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: 9999, MaxVersion: 99})
		out, err := rewrite(apiVersionsKey, ver, answer(apiVersionsKey, r, 5, nil), proxyOf)
		if err != nil {
			t.Fatal(err)
		}
		got := kmsg.NewPtrApiVersionsResponse()
		got.Version = ver
		if err := got.ReadFrom(out[4:]); err != nil {
			t.Fatal(err)
		}
		maxes := map[int16]int16{}
		for _, k := range got.ApiKeys {
			maxes[k.ApiKey] = k.MaxVersion
		}
		want := map[int16]int16{0: 13, 3: kmsg.NewPtrMetadataRequest().MaxVersion(), 18: 4, 9999: 99}
		for k, v := range want {
			if maxes[k] != v {
				t.Errorf("v%d: key %d max %d, want %d", ver, k, maxes[k], v)
			}
		}
	}
}

func TestProduceAcks(t *testing.T) {
	for _, ver := range versions(0) {
		for _, acks := range []int16{0, 1, -1} {
			req := kmsg.NewPtrProduceRequest()
			req.Version, req.Acks = ver, acks
			txn := "txn-1"
			req.TransactionID = &txn
			client := "prodlab"
			f := binary.BigEndian.AppendUint16(nil, 0)
			f = binary.BigEndian.AppendUint16(f, uint16(ver))
			f = binary.BigEndian.AppendUint32(f, 77)
			f = binary.BigEndian.AppendUint16(f, uint16(len(client)))
			f = append(f, client...)
			if req.IsFlexible() {
				f = append(f, 0)
			}
			f = req.AppendTo(f)
			got, ok := produceAcks(ver, f)
			if !ok || got != acks {
				t.Errorf("Produce v%d acks=%d: read %d, %v", ver, acks, got, ok)
			}
			if answered(0, ver, f) != (acks != 0) {
				t.Errorf("Produce v%d acks=%d: answered %v", ver, acks, !(acks != 0))
			}
		}
	}
}

// FuzzRewrite: any answer to any request never panics the rewrite; an
// answer to an API that names no broker, or one in which no broker is
// named, comes back byte for byte; a rewritten one parses and names only
// proxies.
func FuzzRewrite(f *testing.F) {
	for key := range rewritten {
		for _, ver := range versions(key) {
			if rewritable(key, ver) {
				f.Add(key, ver, answer(key, brokerAnswers(key, ver), 1, nil))
			}
		}
	}
	r := kmsg.NewPtrApiVersionsResponse()
	r.Version = 3
	r.ApiKeys = []kmsg.ApiVersionsResponseApiKey{{ApiKey: 3, MaxVersion: 99}}
	f.Add(int16(18), int16(3), answer(18, r, 1, nil))
	f.Add(int16(22), int16(4), []byte{0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, key, ver int16, frame []byte) {
		orig := bytes.Clone(frame)
		out, err := rewrite(key, ver, frame, proxyOf)
		if !bytes.Equal(frame, orig) {
			t.Fatal("input changed")
		}
		if err != nil {
			if !errors.Is(err, ErrBadAnswer) {
				t.Fatalf("error %v does not wrap ErrBadAnswer", err)
			}
			if !rewritable(key, ver) {
				t.Fatalf("%d v%d names no broker, yet: %v", key, ver, err)
			}
			return
		}
		if bytes.Equal(out, frame) {
			return
		}
		switch {
		case key == apiVersionsKey:
			return // capped versions, checked by TestCapVersions
		case !rewritable(key, ver):
			t.Fatalf("%d v%d names no broker, yet changed", key, ver)
		}
		before := parse(t, key, ver, frame)
		if len(endpoints(before)) == 0 {
			t.Fatalf("%s v%d names no broker, yet changed", kmsg.NameForKey(key), ver)
		}
		for _, ep := range endpoints(parse(t, key, ver, out)) {
			if *ep.host != "127.0.0.1" || *ep.port < 40000 {
				t.Fatalf("broker %d left at %s:%d", ep.node, *ep.host, *ep.port)
			}
		}
		if !slices.Equal(out[:4], frame[:4]) {
			t.Fatal("correlation id changed")
		}
	})
}
