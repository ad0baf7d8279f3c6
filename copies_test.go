package prodlab

import (
	"testing"
	"time"
)

func TestSameSend(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	base := Record{Key: []byte("k"), Value: []byte(`{"eventId":"e","ts":1}`), Headers: []Header{{HeaderEventID, []byte("e")}},
		Timestamp: t0, ProducerID: 7, ProducerEpoch: 0, Offset: 1, Partition: 0}
	with := func(f func(*Record)) Record { r := base; f(&r); return r }
	for _, tc := range []struct {
		name  string
		other Record
		retry bool
	}{
		{"the batch written again elsewhere", with(func(r *Record) { r.Offset, r.Partition = 9, 2 }), true},
		{"an epoch bump re-sends in-flight records", with(func(r *Record) { r.ProducerEpoch = 1 }), true},
		{"a sub-millisecond difference", with(func(r *Record) { r.Timestamp = t0.Add(time.Microsecond) }), true},
		{"a manual resend: new value", with(func(r *Record) { r.Value = []byte(`{"eventId":"e","ts":2}`) }), false},
		{"a manual resend: new timestamp", with(func(r *Record) { r.Timestamp = t0.Add(time.Millisecond) }), false},
		{"another producer", with(func(r *Record) { r.ProducerID = 8 }), false},
		{"another key", with(func(r *Record) { r.Key = []byte("k2") }), false},
		{"key and value split elsewhere", with(func(r *Record) { r.Key, r.Value = []byte("k{"), base.Value[1:] }), false},
		{"another eventId", with(func(r *Record) { r.Headers = []Header{{HeaderEventID, []byte("f")}} }), false},
	} {
		if got := SameSend.Counts(SendOf(base), SendOf(tc.other)); got != tc.retry {
			t.Errorf("%s: one send = %v, want %v", tc.name, got, tc.retry)
		}
	}
	none := Record{Value: []byte("x"), Timestamp: t0}
	if SameSend.Counts(SendOf(none), SendOf(none)) {
		t.Error("a record without an eventId is a retry of itself")
	}
}

func TestCopyRules(t *testing.T) {
	t0 := time.UnixMilli(1_700_000_000_000)
	rec := func(id string, ts int) Send {
		return SendOf(Record{Headers: []Header{{HeaderEventID, []byte(id)}}, Value: []byte(id), Timestamp: t0.Add(time.Duration(ts) * time.Millisecond), ProducerID: -1})
	}
	a1, resend, b := rec("a", 0), rec("a", 5), rec("b", 0)
	log := []Send{a1, a1, resend, b, SendOf(Record{Value: []byte("none")})}
	for _, tc := range []struct {
		rule CopyRule
		send Send
		want int
	}{
		{EveryCopy, a1, 3},
		{EveryCopy, Send{EventID: "a"}, 3},
		{SameSend, a1, 2},
		{SameSend, resend, 1},
		{EveryCopy, b, 1},
		{SameSend, b, 1},
		{EveryCopy, Send{}, 0},
		{SameSend, Send{}, 0},
	} {
		if got := tc.rule.Count(tc.send, log); got != tc.want {
			t.Errorf("%v.Count(%q) = %d, want %d", tc.rule, tc.send.EventID, got, tc.want)
		}
	}
	if got := EveryCopy.Tally(log); len(got) != 2 || got[Send{EventID: "a"}] != 3 || got[Send{EventID: "b"}] != 1 {
		t.Errorf("EveryCopy.Tally = %v", got)
	}
	if got := SameSend.Tally(log); len(got) != 3 || got[a1] != 2 || got[resend] != 1 {
		t.Errorf("SameSend.Tally = %v", got)
	}
	if n := Sends(log[:3]); n != 2 {
		t.Errorf("Sends = %d, want 2", n)
	}
}
