package httpjson_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/httpjson"
)

func TestParseQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"mode=plain&eventId=E1&partition=2;x": `query pair "partition=2;x" holds a ';'`,
		"eventId='\";--":                      `query pair "eventId='\";--" holds a ';'`,
		"mode=plain&topic=bad%":               `query pair "topic=bad%" has a bad %-escape`,
		"key=%ff%fe":                          `query pair "key=%ff%fe" is not valid UTF-8`,
		"eventId=a%00b":                       `query pair "eventId=a%00b" holds a control character ('\x00')`,
		"eventId=a%0Ab":                       `query pair "eventId=a%0Ab" holds a control character`,
		"ke%zzy=1":                            `query pair "ke%zzy=1" has a bad %-escape`,
		"eventId=%C2%85":                      `holds a control character`,
	} {
		field, msg := httpjson.ParseQuery(raw, func(string, string) {})
		if !strings.Contains(msg, want) || field == "" {
			t.Errorf("%q: field %q msg %q, want %q", raw, field, msg, want)
		}
	}
	q := url.Values{}
	_, msg := httpjson.ParseQuery("eventId=%27%22%3B--&key=caf%C3%A9&&k=1&k=2&empty=", func(k, v string) { q[k] = append(q[k], v) })
	if msg != "" || q.Get("eventId") != `'";--` || q.Get("key") != "café" || len(q["k"]) != 2 || !q.Has("empty") {
		t.Fatalf("valid query: %v %q", q, msg)
	}
}
