package prodlab

import (
	"testing"
)

func hdrs(kv ...string) []Header {
	var out []Header
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, Header{Key: kv[i], Value: []byte(kv[i+1])})
	}
	return out
}

func TestEventIDOf(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []Header
		value   string
		want    string
	}{
		{"header", hdrs("mode", "plain", "eventId", "H1"), `{"eventId":"V1"}`, "H1"},
		{"seed value, no header", nil, `{"eventId":"V1","mode":"plain","sendMode":"sync"}`, "V1"},
		{"spaces and escapes", hdrs("mode", "plain"), " \n{ \"ts\": 1, \"eventId\" : \"a\\\"b\" }", `a"b`},
		{"empty header falls back", hdrs("eventId", ""), `{"eventId":"V2"}`, "V2"},
		{"number is not an eventId", nil, `{"eventId":42}`, ""},
		{"nested only", nil, `{"x":{"eventId":"N"}}`, ""},
		{"not JSON", nil, `eventId=V1`, ""},
		{"broken JSON", nil, `{"eventId":"V1"`, ""},
		{"plain string value", nil, `V3`, ""},
		{"nothing", nil, ``, ""},
	} {
		if got := EventIDOf(tc.headers, []byte(tc.value)); got != tc.want {
			t.Errorf("%s: EventIDOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}
