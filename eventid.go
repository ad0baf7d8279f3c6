package prodlab

import (
	"bytes"
	"encoding/json"
	"iter"
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

// EventIDOf returns the eventId of a record whose headers are the key and
// value pairs in headers and whose value is value; see the rule above.
func EventIDOf(headers iter.Seq2[string, []byte], value []byte) string {
	if headers != nil {
		for k, v := range headers {
			if k == HeaderEventID && len(v) > 0 {
				return string(v)
			}
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
