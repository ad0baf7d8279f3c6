package broker

import (
	"reflect"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// forwardTag marks, among a request's tagged fields, one forwarded here.
const forwardTag = 0x7f5d

// nullListPatches fills the null lists that a real broker always fills and
// kafka-topics reads unchecked: CreateTopics v5+ Configs (--create),
// DescribeTopicPartitions' EligibleLeaderReplicas and LastKnownELR (--describe).
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

// controlNullLists forwards each flexible request of a key of
// nullListPatches to kfake on a direct connection, marked to pass, and
// answers with empty lists in place of null ones.
func (c *Cluster) controlNullLists() {
	for key, patch := range nullListPatches {
		c.forwardControl(key, markForward, patch)
	}
}

// markForward returns a flexible request not yet forwarded, marked; else nil.
func markForward(req kmsg.Request) kmsg.Request {
	// Each key's request has UnknownTags, written at a flexible version.
	tags := reflect.ValueOf(req).Elem().FieldByName("UnknownTags").Addr().Interface().(*kmsg.Tags)
	forwarded := false
	tags.Each(func(tag uint32, _ []byte) { forwarded = forwarded || tag == forwardTag })
	if !req.IsFlexible() || forwarded {
		return nil
	}
	tags.Set(forwardTag, nil)
	return req
}
