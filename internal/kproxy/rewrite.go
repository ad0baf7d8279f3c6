package kproxy

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab/internal/kafkaframe"
)

// ErrBadAnswer wraps the error of an answer that names brokers but does
// not parse: its connection is closed rather than the answer passed on.
var ErrBadAnswer = errors.New("kproxy: unparsable answer")

// rewritten maps the API keys whose answers can name a broker's host and
// port to the first version that does: Produce (v10+, KIP-951 leader
// hints), Fetch (v16+), Metadata, FindCoordinator, DescribeCluster,
// ShareFetch and ShareAcknowledge. Other answers name brokers by node id,
// or controllers (DescribeQuorum), which clients do not dial.
var rewritten = map[int16]int16{0: 10, 1: 16, 3: 0, 10: 0, 60: 0, 78: 0, 79: 0}

// rewritable reports whether key's answer at version ver can name brokers.
func rewritable(key, ver int16) bool {
	first, ok := rewritten[key]
	return ok && ver >= first
}

// apiVersionsKey is ApiVersions, whose answer capVersions reads.
const apiVersionsKey = int16(kmsg.ApiVersions)

// addrFunc returns where a client must dial broker nodeID at host:port.
type addrFunc func(nodeID int32, host string, port int32) (string, int32, error)

// endpoint is one broker address inside a parsed answer.
type endpoint struct {
	node int32
	host *string
	port *int32
}

// endpoints returns every NodeID, Host and Port of resp: in FindCoordinator
// itself (v0-v3) or its Coordinators (v4+), in Brokers or NodeEndpoints.
func endpoints(resp kmsg.Response) []endpoint {
	var eps []endpoint
	add := func(v reflect.Value) {
		host := v.FieldByName("Host").Addr().Interface().(*string)
		if *host != "" { // an error answer (FindCoordinator) names no broker
			eps = append(eps, endpoint{int32(v.FieldByName("NodeID").Int()), host, v.FieldByName("Port").Addr().Interface().(*int32)})
		}
	}
	v := reflect.ValueOf(resp).Elem()
	if _, ok := resp.(*kmsg.FindCoordinatorResponse); ok {
		add(v)
	}
	for _, list := range []string{"Brokers", "Coordinators", "NodeEndpoints"} {
		if l := v.FieldByName(list); l.IsValid() {
			for i := range l.Len() {
				add(l.Index(i))
			}
		}
	}
	return eps
}

// rewrite returns the answer frame (without its size) to key at version
// ver with every broker address as addr returns it; frame if none changes.
func rewrite(key, ver int16, frame []byte, addr addrFunc) ([]byte, error) {
	if key == apiVersionsKey {
		return capVersions(ver, frame), nil
	}
	if !rewritable(key, ver) {
		return frame, nil
	}
	req := kmsg.RequestForKey(key)
	if ver > req.MaxVersion() {
		return nil, fmt.Errorf("%w: %s v%d is newer than the relay knows (v%d)", ErrBadAnswer, kmsg.NameForKey(key), ver, req.MaxVersion())
	}
	_, body, ok := kafkaframe.ResponseBody(key, ver, frame)
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d: bad response header", ErrBadAnswer, kmsg.NameForKey(key), ver)
	}
	resp := req.ResponseKind()
	resp.SetVersion(ver)
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: %s v%d: %w", ErrBadAnswer, kmsg.NameForKey(key), ver, err)
	}
	changed := false
	for _, ep := range endpoints(resp) {
		h, p, err := addr(ep.node, *ep.host, *ep.port)
		if err != nil {
			return nil, err
		}
		if h != *ep.host || p != *ep.port {
			*ep.host, *ep.port, changed = h, p, true
		}
	}
	if !changed {
		return frame, nil
	}
	return resp.AppendTo(slices.Clone(frame[:len(frame)-len(body)])), nil
}

// capVersions caps every rewritten API's max version in the ApiVersions
// answer frame at what kmsg parses; frame if none is capped or it does not parse.
func capVersions(ver int16, frame []byte) []byte {
	if len(frame) < 4 {
		return frame
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(ver)
	if resp.ReadFrom(frame[4:]) != nil {
		return frame
	}
	changed := false
	for i := range resp.ApiKeys {
		k := &resp.ApiKeys[i]
		if _, ok := rewritten[k.ApiKey]; ok {
			if m := kmsg.RequestForKey(k.ApiKey).MaxVersion(); k.MaxVersion > m {
				k.MaxVersion, changed = m, true
			}
		}
	}
	if !changed {
		return frame
	}
	return resp.AppendTo(slices.Clone(frame[:4]))
}
