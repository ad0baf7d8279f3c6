package broker

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestNullLists: CreateTopics v5+ answers an empty config list rather than
// null, and DescribeTopicPartitions empty ELR lists, as a real broker does;
// the Java admin client reads both without a null check.
func TestNullLists(t *testing.T) {
	c, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.DirectAddrs()[0]

	ct := kmsg.NewPtrCreateTopicsRequest()
	ct.Version = 7
	ct.TimeoutMillis = 5000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "null-lists", 2, 1
	ct.Topics = append(ct.Topics, rt)
	r, err := request(addr, ct)
	if err != nil {
		t.Fatal(err)
	}
	cresp := r.(*kmsg.CreateTopicsResponse)
	if len(cresp.Topics) != 1 || cresp.Topics[0].ErrorCode != 0 || cresp.Topics[0].NumPartitions != 2 {
		t.Fatalf("CreateTopics answered %+v", cresp.Topics)
	}
	if cresp.Topics[0].Configs == nil {
		t.Errorf("CreateTopics v7 answered a null config list")
	}
	if info := c.Kfake().TopicInfo("null-lists"); info == nil {
		t.Fatalf("the topic was not created")
	}
	// Once only: creating it again says it exists.
	if r, err := request(addr, ct); err != nil || r.(*kmsg.CreateTopicsResponse).Topics[0].ErrorCode == 0 {
		t.Errorf("second CreateTopics: %v, %+v", err, r)
	}

	dt := kmsg.NewPtrDescribeTopicPartitionsRequest()
	dtt := kmsg.NewDescribeTopicPartitionsRequestTopic()
	dtt.Topic = "null-lists"
	dt.Topics = append(dt.Topics, dtt)
	dt.ResponsePartitionLimit = 100
	r, err = request(addr, dt)
	if err != nil {
		t.Fatal(err)
	}
	dresp := r.(*kmsg.DescribeTopicPartitionsResponse)
	if len(dresp.Topics) != 1 || len(dresp.Topics[0].Partitions) != 2 {
		t.Fatalf("DescribeTopicPartitions answered %+v", dresp.Topics)
	}
	for _, p := range dresp.Topics[0].Partitions {
		if p.EligibleLeaderReplicas == nil || p.LastKnownELR == nil {
			t.Errorf("partition %d: null ELR lists (%v, %v)", p.Partition, p.EligibleLeaderReplicas, p.LastKnownELR)
		}
	}
}

// TestCreateTopicsConfigSource: CreateTopics v5+ answers each config the
// request set with its source, DYNAMIC_TOPIC_CONFIG, as a real broker does.
// kfake leaves the field at -1, which the Java admin client refuses
// (ConfigSource.forId: "id should be positive, id: -1"), so the seed's
// `kafka-topics --create --config cleanup.policy=compact` exits 1.
func TestCreateTopicsConfigSource(t *testing.T) {
	c, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	ct := kmsg.NewPtrCreateTopicsRequest()
	ct.Version = 7
	ct.TimeoutMillis = 5000
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "compact-demo", 1, 1
	for k, v := range map[string]string{"cleanup.policy": "compact", "segment.ms": "1000"} {
		cfg := kmsg.NewCreateTopicsRequestTopicConfig()
		cfg.Name, cfg.Value = k, kmsg.StringPtr(v)
		rt.Configs = append(rt.Configs, cfg)
	}
	ct.Topics = append(ct.Topics, rt)
	r, err := request(c.DirectAddrs()[0], ct)
	if err != nil {
		t.Fatal(err)
	}
	resp := r.(*kmsg.CreateTopicsResponse)
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("CreateTopics answered %+v", resp.Topics)
	}
	got := map[string]int8{}
	for _, cfg := range resp.Topics[0].Configs {
		got[cfg.Name] = cfg.Source
	}
	want := int8(kmsg.ConfigSourceDynamicTopicConfig)
	if len(got) != 2 || got["cleanup.policy"] != want || got["segment.ms"] != want {
		t.Errorf("CreateTopics v7 answered config sources %v, want %d for each config set", got, want)
	}
}

// TestConsumerGroupDescribeTopicNames: ConsumerGroupDescribe names each
// assigned topic, as a real broker does. kfake answers the topic ID only,
// and kafka-consumer-groups --describe of a KIP-848 group (a consumer with
// group.protocol=consumer) then fails: InvalidTopicException on an empty
// topic name.
func TestConsumerGroupDescribeTopicNames(t *testing.T) {
	addr := join848(t, "g848", "described")
	d := kmsg.NewPtrConsumerGroupDescribeRequest()
	d.Groups = []string{"g848"}
	r, err := request(addr, d)
	if err != nil {
		t.Fatal(err)
	}
	resp := r.(*kmsg.ConsumerGroupDescribeResponse)
	if len(resp.Groups) != 1 || resp.Groups[0].ErrorCode != 0 || len(resp.Groups[0].Members) != 1 {
		t.Fatalf("ConsumerGroupDescribe answered %+v", resp.Groups)
	}
	m := resp.Groups[0].Members[0]
	for name, a := range map[string]kmsg.Assignment{"Assignment": m.Assignment, "TargetAssignment": m.TargetAssignment} {
		if len(a.TopicPartitions) != 1 || a.TopicPartitions[0].Topic != "described" {
			t.Errorf("%s: %+v, want topic described named", name, a.TopicPartitions)
		}
	}
}

// join848 starts a cluster with topic (3 partitions), where a member joins
// group subscribed to it with the KIP-848 protocol (a first
// ConsumerGroupHeartbeat) and gets an assignment; it returns the broker's
// address.
func join848(t *testing.T, group, topic string) string {
	t.Helper()
	c, err := Start(Topics(3, topic))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.DirectAddrs()[0]
	hb := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	hb.Version = 1
	hb.Group, hb.MemberID, hb.MemberEpoch = group, "member-1", 0
	hb.RebalanceTimeoutMillis = 30000
	hb.SubscribedTopicNames = []string{topic}
	hb.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	r, err := request(addr, hb)
	if err != nil {
		t.Fatal(err)
	}
	if hr := r.(*kmsg.ConsumerGroupHeartbeatResponse); hr.ErrorCode != 0 || hr.Assignment == nil {
		t.Fatalf("ConsumerGroupHeartbeat answered error %d, assignment %v", hr.ErrorCode, hr.Assignment)
	}
	return addr
}

// TestListGroupsTypesFilter: ListGroups v5 reads its TypesFilter as a real
// broker does, lower-cased: the Java admin client sends "Classic" and
// "Consumer", which kfake matches against "classic" and "consumer" exactly,
// so kafka-consumer-groups --list listed no group at all.
func TestListGroupsTypesFilter(t *testing.T) {
	addr := join848(t, "g-listed", "listed")

	for _, types := range [][]string{{"Classic", "Consumer"}, {"consumer"}, nil} {
		lg := kmsg.NewPtrListGroupsRequest()
		lg.Version = 5
		lg.TypesFilter = types
		r, err := request(addr, lg)
		if err != nil {
			t.Fatal(err)
		}
		resp := r.(*kmsg.ListGroupsResponse)
		if resp.ErrorCode != 0 || len(resp.Groups) != 1 || resp.Groups[0].Group != "g-listed" {
			t.Errorf("ListGroups v5, types %q: error %d, groups %+v, want g-listed", types, resp.ErrorCode, resp.Groups)
		}
	}
	lg := kmsg.NewPtrListGroupsRequest()
	lg.Version = 5
	lg.TypesFilter = []string{"Classic"}
	if r, err := request(addr, lg); err != nil || len(r.(*kmsg.ListGroupsResponse).Groups) != 0 {
		t.Errorf("ListGroups v5, types [Classic]: %v, %+v, want no group (g-listed is a consumer group)", err, r)
	}
}
