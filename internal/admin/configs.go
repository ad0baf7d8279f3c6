package admin

import (
	"slices"
	"strconv"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
)

// configKind is how a topic config's value is checked: want names the
// catalogue's words for a valid value.
type configKind struct {
	want string
	ok   func(v string) bool
}

func bits(n int) func(string) bool {
	return func(v string) bool { _, err := strconv.ParseInt(v, 10, n); return err == nil }
}

func oneOf(vs ...string) func(string) bool {
	return func(v string) bool { return slices.Contains(vs, v) }
}

var (
	kindLong          = configKind{"admin.want.long", bits(64)}
	kindInt           = configKind{"admin.want.int", bits(32)}
	kindBool          = configKind{"admin.want.bool", oneOf("true", "false")}
	kindString        = configKind{"admin.want.nonEmpty", func(v string) bool { return v != "" }}
	kindCompression   = configKind{"admin.want.compression", oneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")}
	kindTimestampType = configKind{"admin.want.timestamp", oneOf("CreateTime", "LogAppendTime")}
	kindRatio         = configKind{"admin.want.ratio", func(v string) bool {
		f, err := strconv.ParseFloat(v, 64)
		return err == nil && f >= 0 && f <= 1
	}}
	kindPolicy = configKind{"admin.want.policy", func(v string) bool {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "compact" && p != "delete" {
				return false
			}
		}
		return true
	}}
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
	if !kind.ok(v) {
		return errm(ErrInvalid, "admin.badConfig", "config", k, "value", strconv.Quote(v), "want", i18n.T(kind.want))
	}
	return nil
}
