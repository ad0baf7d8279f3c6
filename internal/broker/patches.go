package broker

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// forwardTag marks, among a request's tagged fields, one forwarded here.
const forwardTag = 0x7f5d

// patch fixes what kfake does otherwise than a real broker for a request
// key: ask, when set, rewrites the request before kfake reads it; answer,
// when set, patches kfake's answer.
type patch struct {
	ask    func(kmsg.Request)
	answer func(*Cluster, kmsg.Response)
}

// patches fill what a real broker always fills and Kafka's Java tools read
// unchecked: CreateTopics v5+ Configs (kafka-topics --create) and each
// config's source (kfake leaves -1, which the Java admin client refuses; the
// configs it answers are the ones the request set, DYNAMIC_TOPIC_CONFIG),
// DescribeTopicPartitions' EligibleLeaderReplicas and LastKnownELR
// (--describe), and the topic names of ConsumerGroupDescribe's assignments
// (kafka-consumer-groups --describe of a KIP-848 group; kfake gives only the
// topic IDs). ListGroups' TypesFilter is lower-cased and trimmed, as a real
// broker reads it: the Java admin client sends "Classic" and "Consumer",
// which kfake matches exactly against "classic" and "consumer"
// (kafka-consumer-groups --list).
var patches = map[kmsg.Key]patch{
	kmsg.ListGroups: {ask: func(r kmsg.Request) {
		req := r.(*kmsg.ListGroupsRequest)
		for i, typ := range req.TypesFilter {
			req.TypesFilter[i] = strings.ToLower(strings.TrimSpace(typ))
		}
	}},
	kmsg.CreateTopics: {answer: func(_ *Cluster, r kmsg.Response) {
		resp := r.(*kmsg.CreateTopicsResponse)
		for i := range resp.Topics {
			if t := &resp.Topics[i]; t.ErrorCode == 0 && t.Configs == nil {
				t.Configs = []kmsg.CreateTopicsResponseTopicConfig{}
			}
			for j := range resp.Topics[i].Configs {
				if cfg := &resp.Topics[i].Configs[j]; cfg.Source < 0 {
					cfg.Source = int8(kmsg.ConfigSourceDynamicTopicConfig)
				}
			}
		}
	}},
	kmsg.DescribeTopicPartitions: {answer: func(_ *Cluster, r kmsg.Response) {
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
	}},
	kmsg.ConsumerGroupDescribe: {answer: func(c *Cluster, r kmsg.Response) {
		resp := r.(*kmsg.ConsumerGroupDescribeResponse)
		c.kc.SleepControl(func() { // TopicIDInfo needs kfake's loop, which the control holds
			for i := range resp.Groups {
				for j := range resp.Groups[i].Members {
					m := &resp.Groups[i].Members[j]
					for _, a := range []*kmsg.Assignment{&m.Assignment, &m.TargetAssignment} {
						for k := range a.TopicPartitions {
							if tp := &a.TopicPartitions[k]; tp.Topic == "" {
								if info := c.kc.TopicIDInfo(tp.TopicID); info != nil {
									tp.Topic = info.Topic
								}
							}
						}
					}
				}
			}
		})
	}},
}

// controlPatches installs one control per key of patches, which forwards
// the request, patched, to kfake on a direct connection, marked to pass,
// and answers with kfake's answer patched.
func (c *Cluster) controlPatches() {
	kc := c.kc
	for key, patch := range patches {
		kc.ControlKey(int16(key), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
			kc.KeepControl()
			// Each key's request has UnknownTags, written at a flexible version.
			tags := reflect.ValueOf(kreq).Elem().FieldByName("UnknownTags").Addr().Interface().(*kmsg.Tags)
			forwarded := false
			tags.Each(func(tag uint32, _ []byte) { forwarded = forwarded || tag == forwardTag })
			if !kreq.IsFlexible() || forwarded {
				return nil, nil, false
			}
			tags.Set(forwardTag, nil)
			if patch.ask != nil {
				patch.ask(kreq)
			}
			resp, err := c.forwardAsleep(kreq)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key.Name(), err), true
			}
			if patch.answer != nil {
				patch.answer(c, resp)
			}
			return resp, nil, true
		})
	}
}
