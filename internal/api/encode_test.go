package api

import (
	"encoding/json"
	"testing"

	"github.com/prodlab/prodlab"
)

func TestSendJSONMatchesEncodingJSON(t *testing.T) {
	p, o := int32(2), int64(41)
	for _, r := range []SendResult{
		{Status: "OK", Topic: "t", Partition: &p, Offset: &o, EventID: `e"<1>`, Mode: "idempotent", SendMode: "sync", Key: "k\u2028é", Engine: "franz"},
		{Status: "ACCEPTED", State: "PENDING", RequestID: "abc", Topic: "t.x", EventID: "e", Mode: "plain", SendMode: "async", Key: "\x01", Engine: "librdkafka"},
		{},
	} {
		want, _ := json.Marshal(r)
		if got := r.appendJSON(nil); string(got) != string(want) {
			t.Errorf("appendJSON = %s, want %s", got, want)
		}
	}
	for _, v := range []prodlab.Value{
		{EventID: "e-1", Mode: prodlab.Idempotent, SendMode: prodlab.Sync, API: "franz", TS: 1733500000000},
		{EventID: "<&>\"\\", Mode: prodlab.Plain, SendMode: prodlab.Async, API: "x", TS: -1},
	} {
		want, _ := json.Marshal(v)
		if got := appendValue(nil, v); string(got) != string(want) {
			t.Errorf("appendValue = %s, want %s", got, want)
		}
	}
}
