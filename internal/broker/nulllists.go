package broker

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Null lists and the Java admin client.
//
// A few nullable lists that a real broker always fills, kfake leaves null,
// and the Java admin client (Apache Kafka's own kafka-topics among its
// users) reads them without a null check:
//
//   - CreateTopics v5+ (KIP-525): each created topic's Configs. A real
//     broker lists the topic's configs; kfake lists only those the request
//     set. kafka-topics --create fails with "Cannot invoke
//     java.util.List.stream() because configs is null".
//   - DescribeTopicPartitions (KIP-966): each partition's
//     EligibleLeaderReplicas and LastKnownELR. A KRaft broker always sets
//     them, empty when there is none. kafka-topics --describe fails.
//
// For these keys the control takes kfake's own answer (the request
// forwarded on a direct connection, marked so that the control lets it
// through) and sends it back with empty lists in place of null ones.

// forwardTag marks a request this package forwarded to its own broker, in
// the request's tagged fields: brokers ignore unknown ones.
const forwardTag = 0x7f5d

// nullListPatches fills the null lists of a response, per request key.
var nullListPatches = map[kmsg.Key]func(kmsg.Response){
	kmsg.CreateTopics: func(r kmsg.Response) {
		resp := r.(*kmsg.CreateTopicsResponse)
		for i := range resp.Topics {
			if t := &resp.Topics[i]; t.ErrorCode == 0 && t.Configs == nil {
				t.Configs = []kmsg.CreateTopicsResponseTopicConfig{}
			}
		}
	},
	kmsg.DescribeTopicPartitions: func(r kmsg.Response) {
		resp := r.(*kmsg.DescribeTopicPartitionsResponse)
		for i := range resp.Topics {
			for j := range resp.Topics[i].Partitions {
				p := &resp.Topics[i].Partitions[j]
				if p.EligibleLeaderReplicas == nil {
					p.EligibleLeaderReplicas = []int32{}
				}
				if p.LastKnownELR == nil {
					p.LastKnownELR = []int32{}
				}
			}
		}
	},
}

// controlNullLists installs one control per key of nullListPatches.
func controlNullLists(kc *kfake.Cluster, direct func(node int32) []string) {
	for key, patch := range nullListPatches {
		kc.ControlKey(int16(key), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			kc.KeepControl()
			tags := unknownTags(kreq)
			if !kreq.IsFlexible() || tags == nil || forwarded(tags) {
				return nil, nil, false
			}
			tags.Set(forwardTag, nil)
			addrs := direct(kc.CurrentNode())
			var (
				resp kmsg.Response
				err  error
			)
			// Sleeping lets the cluster answer the forwarded request.
			kc.SleepControl(func() { resp, err = forward(addrs, kreq) })
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key.Name(), err), true
			}
			patch(resp)
			return resp, nil, true
		})
	}
}

func unknownTags(r kmsg.Request) *kmsg.Tags {
	switch r := r.(type) {
	case *kmsg.CreateTopicsRequest:
		return &r.UnknownTags
	case *kmsg.DescribeTopicPartitionsRequest:
		return &r.UnknownTags
	}
	return nil
}

func forwarded(t *kmsg.Tags) bool {
	found := false
	t.Each(func(tag uint32, _ []byte) { found = found || tag == forwardTag })
	return found
}
