package admin

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Record is one record read from a topic.
type Record struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	Timestamp time.Time `json:"timestamp"`
	Key       *string   `json:"key"`   // nil: a null key
	Value     *string   `json:"value"` // nil: a null value (a tombstone)
	Headers   []Header  `json:"headers,omitempty"`
	EventID   string    `json:"eventId,omitempty"` // direct.EventID
}

// Header is a record header.
type Header struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// KeyString returns the key, or "null".
func (r Record) KeyString() string { return orNull(r.Key) }

// ValueString returns the value, or "null".
func (r Record) ValueString() string { return orNull(r.Value) }

// Is reports whether r carries the version v: its EventID, or its whole
// value, equals v.
func (r Record) Is(v string) bool {
	return r.EventID == v || (r.Value != nil && *r.Value == v)
}

func orNull(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// printable are the fields a consume prints, in kafka-console-consumer's
// order, each formatted as its default formatter does.
var printable = []struct {
	name   string
	format func(Record) string
}{
	{"timestamp", func(r Record) string { return "CreateTime:" + strconv.FormatInt(r.Timestamp.UnixMilli(), 10) }},
	{"partition", func(r Record) string { return "Partition:" + strconv.Itoa(int(r.Partition)) }},
	{"offset", func(r Record) string { return "Offset:" + strconv.FormatInt(r.Offset, 10) }},
	{"headers", func(r Record) string {
		if len(r.Headers) == 0 {
			return "NO_HEADERS"
		}
		hs := make([]string, len(r.Headers))
		for i, h := range r.Headers {
			hs[i] = h.Key + ":" + h.Value
		}
		return strings.Join(hs, ",")
	}},
	{"key", Record.KeyString},
	{"value", Record.ValueString},
}

// Fields is a set of fields to print, by name.
type Fields map[string]bool

// ParseFields parses a comma-separated field list such as
// "partition,offset". An empty list means value only.
func ParseFields(s string) (Fields, error) {
	if strings.TrimSpace(s) == "" {
		return Fields{"value": true}, nil
	}
	f, names := Fields{}, make([]string, len(printable))
	for i, p := range printable {
		names[i] = p.name
	}
	for _, p := range strings.Split(s, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if !slices.Contains(names, p) {
			return nil, errm(ErrInvalid, "admin.printField", "field", strconv.Quote(p), "fields", strings.Join(names, ","))
		}
		f[p] = true
	}
	return f, nil
}

// Format prints r as kafka-console-consumer's default formatter does with
// the matching print.* properties: the fields in its order, tab-separated,
// such as "CreateTime:1718000000000	Partition:1	Offset:42	eventId:P1,mode:plain	k	{...}".
func (f Fields) Format(r Record) string {
	var parts []string
	for _, p := range printable {
		if f[p.name] {
			parts = append(parts, p.format(r))
		}
	}
	return strings.Join(parts, "\t")
}
