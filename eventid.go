package prodlab

import (
	"bytes"
	"encoding/json"
)

// What counts as a record's eventId, for every observer of the lab
// (validate, experiment, the console, consume's filters):
//
//  1. the value of its first non-empty header named HeaderEventID, which
//     the lab's own APIs add;
//  2. otherwise the "eventId" string field of its value, when the value is
//     a JSON object: the seed's contract, which any API that follows it
//     writes, with or without the header (the seed's Java API sets none);
//  3. otherwise none ("").
//
// A header wins over the value, so a record whose header and value
// disagree counts under its header.

// EventIDOf returns the eventId of a record with headers and value, such
// as a prodlab.Record's or a kgo.Record's; see the rule above.
func EventIDOf[H ~struct {
	Key   string
	Value []byte
}](headers []H, value []byte) string {
	for _, h := range headers {
		if h := Header(h); h.Key == HeaderEventID && len(h.Value) > 0 {
			return string(h.Value)
		}
	}
	return ValueEventID(value)
}

// ValueEventID returns the "eventId" string field of a JSON object value,
// or "" if value is not a JSON object or has no such string field.
func ValueEventID(value []byte) string {
	v := bytes.TrimLeft(value, " \t\r\n")
	if len(v) == 0 || v[0] != '{' || !bytes.Contains(v, []byte(`"eventId"`)) {
		return ""
	}
	var body struct {
		EventID any `json:"eventId"`
	}
	if json.Unmarshal(v, &body) != nil {
		return ""
	}
	id, _ := body.EventID.(string)
	return id
}
