package admin

import (
	"github.com/prodlab/prodlab/internal/i18n"
	"strconv"
	"strings"
)

// configKind is how a topic config's value is checked.
type configKind int

const (
	kindLong configKind = iota
	kindInt
	kindRatio // a double from 0 to 1
	kindBool
	kindString
	kindPolicy
	kindCompression
	kindTimestampType
)

// topicConfigs are Apache Kafka 4.4's topic configs. Checking them before a
// create makes the embedded broker (which stores any config) reject the
// same input a real broker rejects.
var topicConfigs = map[string]configKind{
	"cleanup.policy":                          kindPolicy,
	"compression.type":                        kindCompression,
	"compression.gzip.level":                  kindInt,
	"compression.lz4.level":                   kindInt,
	"compression.zstd.level":                  kindInt,
	"delete.retention.ms":                     kindLong,
	"errors.deadletterqueue.group.enable":     kindBool,
	"file.delete.delay.ms":                    kindLong,
	"flush.messages":                          kindLong,
	"flush.ms":                                kindLong,
	"follower.replication.throttled.replicas": kindString,
	"index.interval.bytes":                    kindInt,
	"leader.replication.throttled.replicas":   kindString,
	"local.retention.bytes":                   kindLong,
	"local.retention.ms":                      kindLong,
	"max.compaction.lag.ms":                   kindLong,
	"max.decompressed.message.bytes":          kindInt,
	"max.message.bytes":                       kindInt,
	"message.timestamp.after.max.ms":          kindLong,
	"message.timestamp.before.max.ms":         kindLong,
	"message.timestamp.type":                  kindTimestampType,
	"min.cleanable.dirty.ratio":               kindRatio,
	"min.compaction.lag.ms":                   kindLong,
	"min.insync.replicas":                     kindInt,
	"preallocate":                             kindBool,
	"remote.copy.lag.bytes":                   kindLong,
	"remote.copy.lag.ms":                      kindLong,
	"remote.log.copy.disable":                 kindBool,
	"remote.log.delete.on.disable":            kindBool,
	"remote.storage.enable":                   kindBool,
	"retention.bytes":                         kindLong,
	"retention.ms":                            kindLong,
	"segment.bytes":                           kindInt,
	"segment.index.bytes":                     kindInt,
	"segment.jitter.ms":                       kindLong,
	"segment.ms":                              kindLong,
	"unclean.leader.election.enable":          kindBool,
}

// checkConfig checks one topic config name and value.
func checkConfig(k, v string) error {
	kind, ok := topicConfigs[k]
	if !ok {
		return errm(ErrInvalid, "admin.unknownConfig", "config", strconv.Quote(k))
	}
	bad := func(want string) error {
		return errm(ErrInvalid, "admin.badConfig", "config", k, "value", strconv.Quote(v), "want", i18n.T(want))
	}
	switch kind {
	case kindLong:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return bad("admin.want.long")
		}
	case kindInt:
		if _, err := strconv.ParseInt(v, 10, 32); err != nil {
			return bad("admin.want.int")
		}
	case kindRatio:
		if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 || f > 1 {
			return bad("admin.want.ratio")
		}
	case kindBool:
		if v != "true" && v != "false" {
			return bad("admin.want.bool")
		}
	case kindPolicy:
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "compact" && p != "delete" {
				return bad("admin.want.policy")
			}
		}
	case kindCompression:
		switch v {
		case "uncompressed", "zstd", "lz4", "snappy", "gzip", "producer":
		default:
			return bad("admin.want.compression")
		}
	case kindTimestampType:
		if v != "CreateTime" && v != "LogAppendTime" {
			return bad("admin.want.timestamp")
		}
	case kindString:
		if v == "" {
			return bad("admin.want.nonEmpty")
		}
	}
	return nil
}
