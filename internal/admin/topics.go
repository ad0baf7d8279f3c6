package admin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/prodlab/prodlab"
	"github.com/prodlab/prodlab/internal/direct"
	"github.com/prodlab/prodlab/internal/wait"
)

// TopicSpec describes a topic to create.
type TopicSpec struct {
	Name string `json:"name"`
	// Partitions and ReplicationFactor take the broker's defaults if -1.
	Partitions        int32             `json:"partitions"`
	ReplicationFactor int16             `json:"replicationFactor"`
	Configs           map[string]string `json:"configs,omitempty"` // such as cleanup.policy=compact
	// IfNotExists makes an existing topic a success (Created false).
	IfNotExists bool `json:"ifNotExists,omitempty"`
}

// Created is the outcome of CreateTopic.
type Created struct {
	Name              string `json:"name"`
	Created           bool   `json:"created"` // false: it already existed
	Partitions        int32  `json:"partitions"`
	ReplicationFactor int16  `json:"replicationFactor"`
}

// TopicSummary is one line of ListTopics.
type TopicSummary struct {
	Name              string `json:"name"`
	Partitions        int    `json:"partitions"`
	ReplicationFactor int    `json:"replicationFactor"`
	Internal          bool   `json:"internal,omitempty"`
}

// Partition describes one partition.
type Partition struct {
	Partition   int32   `json:"partition"`
	Leader      int32   `json:"leader"` // -1 without a leader
	LeaderEpoch int32   `json:"leaderEpoch"`
	Replicas    []int32 `json:"replicas"`
	ISR         []int32 `json:"isr"`
	Offline     []int32 `json:"offline,omitempty"`
	StartOffset int64   `json:"startOffset"`
	EndOffset   int64   `json:"endOffset"`
	Err         string  `json:"error,omitempty"`
}

// ConfigEntry is one topic config.
type ConfigEntry struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"` // such as DYNAMIC_TOPIC_CONFIG, DEFAULT_CONFIG
	Set    bool   `json:"set"`    // the topic overrides the broker's value
}

// TopicDescription is the outcome of DescribeTopic.
type TopicDescription struct {
	Name              string        `json:"name"`
	ID                string        `json:"id"`
	Internal          bool          `json:"internal,omitempty"`
	ReplicationFactor int           `json:"replicationFactor"`
	Partitions        []Partition   `json:"partitions"`
	Configs           []ConfigEntry `json:"configs"`
}

// Config returns the value of config name and whether it was described.
func (d TopicDescription) Config(name string) (string, bool) {
	if i := slices.IndexFunc(d.Configs, func(c ConfigEntry) bool { return c.Name == name }); i >= 0 {
		return d.Configs[i].Value, true
	}
	return "", false
}

var legalConfig = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

// Validate checks s before it reaches a broker.
func (s TopicSpec) Validate() error {
	switch err := checkTopic(s.Name); {
	case err != nil:
		return err
	case s.Partitions == 0 || s.Partitions < -1:
		return errm(ErrInvalid, "admin.partitions", "n", s.Partitions)
	case s.ReplicationFactor == 0 || s.ReplicationFactor < -1:
		return errm(ErrInvalid, "admin.replication", "n", s.ReplicationFactor)
	}
	for k, v := range s.Configs {
		if !legalConfig.MatchString(k) {
			return errm(ErrInvalid, "admin.configName", "config", strconv.Quote(k))
		}
		if err := checkConfig(k, v); err != nil {
			return err
		}
	}
	return nil
}

// ParseConfig parses one k=v topic config.
func ParseConfig(kv string) (string, string, error) {
	k, v, ok := strings.Cut(kv, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" || v == "" {
		return "", "", errm(ErrInvalid, "admin.configKV", "config", strconv.Quote(kv))
	}
	return k, v, nil
}

// CreateTopic creates a topic and waits until every partition has a leader.
// An existing topic is ErrTopicExists unless s.IfNotExists.
func (c *Client) CreateTopic(ctx context.Context, s TopicSpec) (Created, error) {
	out := Created{Name: s.Name}
	if err := s.Validate(); err != nil {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	configs := make(map[string]*string, len(s.Configs))
	for k, v := range s.Configs {
		configs[k] = kadm.StringPtr(v)
	}
	resp, err := c.adm.CreateTopic(ctx, s.Partitions, s.ReplicationFactor, configs, s.Name)
	if err != nil && resp.Err == nil {
		return out, c.wrap(err)
	}
	if err := kafkaErr(s.Name, resp.Err, resp.ErrMessage); err != nil {
		if errors.Is(err, ErrTopicExists) && s.IfNotExists {
			t, terr := c.topic(ctx, s.Name)
			out.Partitions, out.ReplicationFactor = int32(len(t.Partitions)), int16(len(t.Partitions[0].Replicas))
			return out, terr
		}
		return out, err
	}
	out.Created = true
	out.Partitions, out.ReplicationFactor = resp.NumPartitions, resp.ReplicationFactor
	n, err := direct.WaitLeaders(ctx, c.adm, s.Name, 0)
	if err != nil {
		return out, fmt.Errorf("topic %q created, but its partitions have no leader yet: %w", s.Name, err)
	}
	out.Partitions = int32(n)
	return out, nil
}

// ListTopics lists the topics, sorted by name; internal ones only if
// internal is true.
func (c *Client) ListTopics(ctx context.Context, internal bool) ([]TopicSummary, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	td, err := c.adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, c.wrap(err)
	}
	if !internal {
		td.FilterInternal()
	}
	out := []TopicSummary{}
	for _, name := range td.Names() {
		t := td[name]
		out = append(out, TopicSummary{Name: name, Partitions: len(t.Partitions),
			ReplicationFactor: len(t.Partitions[0].Replicas), Internal: t.IsInternal})
	}
	return out, nil
}

// DescribeTopic returns a topic's partitions (leaders, replicas, ISR, start
// and end offsets) and configs.
func (c *Client) DescribeTopic(ctx context.Context, name string) (TopicDescription, error) {
	d := TopicDescription{Name: name}
	if err := checkTopic(name); err != nil {
		return d, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	t, err := c.topic(ctx, name)
	if err != nil {
		return d, err
	}
	starts, err := c.adm.ListStartOffsets(ctx, name)
	if err != nil {
		return d, c.wrap(err)
	}
	ends, err := c.adm.ListEndOffsets(ctx, name)
	if err != nil {
		return d, c.wrap(err)
	}
	offset := func(l kadm.ListedOffsets, p int32) int64 {
		if o, ok := l.Lookup(name, p); ok && o.Err == nil {
			return o.Offset
		}
		return -1
	}
	// Kafka shows topic IDs in URL-safe base64 without padding.
	d.ID, d.Internal = base64.RawURLEncoding.EncodeToString(t.ID[:]), t.IsInternal
	for _, p := range t.Partitions.Sorted() {
		part := Partition{Partition: p.Partition, Leader: p.Leader, LeaderEpoch: p.LeaderEpoch,
			Replicas: append([]int32{}, p.Replicas...), ISR: append([]int32{}, p.ISR...), Offline: p.OfflineReplicas,
			StartOffset: offset(starts, p.Partition), EndOffset: offset(ends, p.Partition)}
		if p.Err != nil {
			part.Err = p.Err.Error()
		}
		d.Partitions = append(d.Partitions, part)
	}
	if len(d.Partitions) > 0 {
		d.ReplicationFactor = len(d.Partitions[0].Replicas)
	}
	rcs, err := c.adm.DescribeTopicConfigs(ctx, name)
	if err != nil {
		return d, c.wrap(err)
	}
	rc, err := rcs.On(name, nil)
	if err == nil {
		err = kafkaErr(name, rc.Err, rc.ErrMessage)
	}
	if err != nil {
		return d, err
	}
	for _, cf := range rc.Configs {
		d.Configs = append(d.Configs, ConfigEntry{Name: cf.Key, Value: cf.MaybeValue(),
			Source: cf.Source.String(), Set: cf.Source == kmsg.ConfigSourceDynamicTopicConfig})
	}
	slices.SortFunc(d.Configs, func(a, b ConfigEntry) int { return strings.Compare(a.Name, b.Name) })
	return d, nil
}

// topic returns the metadata of topic name.
func (c *Client) topic(ctx context.Context, name string) (kadm.TopicDetail, error) {
	td, err := c.adm.ListTopics(ctx, name)
	if err != nil {
		return kadm.TopicDetail{}, c.wrap(err)
	}
	t, ok := td[name]
	if !ok {
		return t, errm(prodlab.ErrUnknownTopic, "admin.unknownTopic", "topic", strconv.Quote(name))
	}
	return t, kafkaErr(name, t.Err, "")
}

// DeleteTopic deletes a topic and waits until the metadata no longer lists
// it.
func (c *Client) DeleteTopic(ctx context.Context, name string) error {
	if err := checkTopic(name); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	resp, err := c.adm.DeleteTopic(ctx, name)
	if err != nil && resp.Err == nil {
		return c.wrap(err)
	}
	if err := kafkaErr(name, resp.Err, resp.ErrMessage); err != nil {
		return err
	}
	err = wait.Until(ctx, func() bool {
		td, err := c.adm.ListTopics(ctx, name)
		t, ok := td[name]
		return err == nil && (!ok || t.Err != nil)
	})
	if err != nil {
		return fmt.Errorf("topic %q is being deleted, but metadata still lists it: %w", name, err)
	}
	return nil
}

// checkTopic refuses a name Kafka would refuse (prodlab.ValidTopic).
func checkTopic(name string) error {
	if msg := prodlab.ValidTopic(name); msg != "" {
		return invalidError(msg)
	}
	return nil
}
