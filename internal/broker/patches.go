package broker

import (
	"fmt"
	"reflect"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// forwardTag marks, among a request's tagged fields, one forwarded here.
const forwardTag = 0x7f5d

// answerPatches fills what a real broker always fills and Kafka's Java
// tools read unchecked: CreateTopics v5+ Configs (kafka-topics --create)
// and each config's source (kfake leaves -1, which the Java admin client
// refuses; the configs it answers are the ones the request set,
// DYNAMIC_TOPIC_CONFIG), DescribeTopicPartitions' EligibleLeaderReplicas and
// LastKnownELR (--describe), and the topic names of ConsumerGroupDescribe's
// assignments (kafka-consumer-groups --describe of a KIP-848 group; kfake
// gives only the topic IDs).
var answerPatches = map[kmsg.Key]func(*Cluster, kmsg.Response){
	kmsg.CreateTopics: func(_ *Cluster, r kmsg.Response) {
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
	},
	kmsg.DescribeTopicPartitions: func(_ *Cluster, r kmsg.Response) {
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
	kmsg.ConsumerGroupDescribe: func(c *Cluster, r kmsg.Response) {
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
	},
}

// controlAnswers installs one control per key of answerPatches, which
// forwards the request to kfake on a direct connection, marked to pass,
// and answers with kfake's answer patched.
func (c *Cluster) controlAnswers() {
	kc := c.kc
	for key, patch := range answerPatches {
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
			resp, err := c.forwardAsleep(kreq)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key.Name(), err), true
			}
			patch(c, resp)
			return resp, nil, true
		})
	}
}
