package main

import (
	"strings"
	"testing"

	"github.com/prodlab/prodlab/internal/admin"
)

// TestRecordPrintersEscape: consume's and compaction-check's lines show a
// record's key, value and headers escaped, and keep their own tabs.
func TestRecordPrintersEscape(t *testing.T) {
	key, value := "k\x1b[2J", "v\r\x1b]0;t\a é"
	r := admin.Record{Partition: 1, Offset: 2, Key: &key, Value: &value,
		Headers: []admin.Header{{Key: "h\x9b", Value: "x\x1b[1;31m"}}, EventID: "e\x07"}
	f, err := admin.ParseFields("key,value,headers")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(f.Format(safeRecord(r)) + "\n")
	printVersions(&b, []admin.Record{r})
	out := b.String()
	t.Logf("%q", out)
	if strings.ContainsAny(out, "\x1b\a\r\u009b") {
		t.Errorf("raw control characters printed: %q", out)
	}
	for _, want := range []string{`h\x9b:x\x1b[1;31m` + "\t" + `k\x1b[2J` + "\t" + `v\r\x1b]0;t\a é`, `key=k\x1b[2J` + "\teventId=" + `e\a` + "\t"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if *r.Key != key || r.Headers[0].Key != "h\x9b" {
		t.Error("safeRecord changed the record it was given")
	}
}
