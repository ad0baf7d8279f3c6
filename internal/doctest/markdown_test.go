package doctest

import (
	"strings"
	"testing"
	"time"
)

const sample = "# Guide\n\n## Lab 1\n\n" +
	"<!-- doctest: lab-start -->\n```bash\ngo run ./cmd/prodlab up\n```\n\n" +
	"Texte.\n\n<!-- doctest: min-seconds=4.5 timeout=90s exact=partition -->\n```bash\ncurl -fsS x\n```\n\n" +
	"**Résultat attendu** :\n\n```json\n{\"status\":\"OK\",\"partition\":1}\n```\n\n" +
	"```text\nTotal\t1\n```\n\n" +
	"**Résultat possible** :\n\n```json\n{\"state\":\"PENDING\"}\n```\n\n" +
	"### Exercice 1 - Essai\n\n<!-- doctest: skip (docker) -->\n```bash\ndocker ps\n```\n\n" +
	"```mermaid\nflowchart LR\n```\n"

func TestBlocks(t *testing.T) {
	bs, err := Blocks(sample)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 3 {
		t.Fatalf("got %d blocks, want 3", len(bs))
	}
	if !bs[0].LabStart || bs[0].Heading != "Lab 1" {
		t.Errorf("block 0: %+v", bs[0])
	}
	b := bs[1]
	if b.MinElapsed != 4500*time.Millisecond || b.Timeout != 90*time.Second || len(b.Exact) != 1 || b.Exact[0] != "partition" {
		t.Errorf("block 1 directives: %+v", b)
	}
	if len(b.Expect) != 2 || b.Expect[0].Lang != "json" || !strings.Contains(b.Expect[0].Body, `"OK"`) || b.Expect[1].Lang != "text" {
		t.Errorf("block 1 expects %+v, want the Résultat attendu block and the text block right after it", b.Expect)
	}
	if bs[2].Skip != "docker" {
		t.Errorf("block 2 skip = %q", bs[2].Skip)
	}
	if bs[0].Section != "Lab 1" || bs[1].Section != "Lab 1" || bs[2].Section != "Exercice 1 - Essai" {
		t.Errorf("sections %q %q %q, want Lab 1, Lab 1, Exercice 1 - Essai", bs[0].Section, bs[1].Section, bs[2].Section)
	}
}

func TestBlocksRejects(t *testing.T) {
	for name, md := range map[string]string{
		"skip without why":   "test de la doc\n<!-- doctest: skip -->\n```bash\nx\n```\n",
		"unknown directive":  "<!-- doctest: sleep=2 -->\n```bash\nx\n```\n",
		"bad min-seconds":    "<!-- doctest: min-seconds=abc -->\n```bash\nx\n```\n",
		"expect before bash": "Résultat attendu\n```\nOK\n```\n",
		"unclosed fence":     "```bash\nx\n",
	} {
		if _, err := Blocks(md); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMatchJSON(t *testing.T) {
	want := `{"status":"OK","topic":"bhf-transactions","partition":0,"offset":5,"eventId":"E-1"}`
	for _, tc := range []struct {
		name, out string
		exact     []string
		ok        bool
	}{
		{"same shape", `{"status":"OK","topic":"bhf-transactions","partition":2,"offset":0,"eventId":"E-99"}`, nil, true},
		{"after text", "Réponse: " + `{"status":"OK","topic":"bhf-transactions","partition":1,"offset":7,"eventId":"x"}` + "\nfin", nil, true},
		{"other status", `{"status":"ERROR","topic":"bhf-transactions","partition":1,"offset":7,"eventId":"x"}`, nil, false},
		{"missing field", `{"status":"OK","topic":"bhf-transactions","partition":1,"eventId":"x"}`, nil, false},
		{"extra field", `{"status":"OK","topic":"bhf-transactions","partition":1,"offset":1,"eventId":"x","more":1}`, nil, false},
		{"wrong type", `{"status":"OK","topic":"bhf-transactions","partition":"1","offset":1,"eventId":"x"}`, nil, false},
		{"partition out of range", `{"status":"OK","topic":"bhf-transactions","partition":3,"offset":1,"eventId":"x"}`, nil, false},
		{"negative offset", `{"status":"OK","topic":"bhf-transactions","partition":0,"offset":-1,"eventId":"x"}`, nil, false},
		{"exact partition", `{"status":"OK","topic":"bhf-transactions","partition":1,"offset":1,"eventId":"x"}`, []string{"partition"}, false},
		{"no json", "curl: (7) Failed to connect", nil, false},
	} {
		err := MatchJSON(want, tc.out, tc.exact)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestMatchJSONArrays(t *testing.T) {
	if err := MatchJSON(`[]`, "[]\n", nil); err != nil {
		t.Errorf("empty list: %v", err)
	}
	if err := MatchJSON(`[]`, `[{"name":"latency"}]`, nil); err == nil {
		t.Error("a toxic left behind matched []")
	}
	toxic := `[{"name":"latency","type":"latency","stream":"downstream","toxicity":1,"attributes":{"latency":5000,"jitter":0}}]`
	if err := MatchJSON(toxic, toxic, nil); err != nil {
		t.Errorf("same toxic list: %v", err)
	}
	if err := MatchJSON(toxic, strings.Replace(toxic, "downstream", "upstream", 1), nil); err == nil {
		t.Error("upstream toxic matched downstream")
	}
	// Two values must appear in order.
	if err := MatchJSON(`{"a":1} {"b":2}`, `{"b":2} {"a":1}`, nil); err == nil {
		t.Error("values out of order matched")
	}
}

func TestMatchText(t *testing.T) {
	out := "building...\nOK\nOK: franz_idempotent=1 franz_plain=2\n  franz_plain copy  partition=1 offset=4\nRequestId: 3fa2b9\n"
	for _, tc := range []struct {
		want string
		ok   bool
	}{
		{"OK", true},
		{"OK\nOK: franz_idempotent=1 franz_plain=2", true},
		{"OK: franz_idempotent=1 franz_plain=<n>", true},
		{"OK: franz_idempotent=1 franz_plain=3", false},
		{"franz_plain copy partition=<p> offset=<o>", true},
		{"RequestId: <requestId>", true},
		{"RequestId: ...", true},
		{"RequestId:", false},
		{"NOT READY", false},
		{"OK: franz_idempotent=1 franz_plain=2\nOK", false}, // order
	} {
		err := MatchText(tc.want, out)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok=%v", tc.want, err, tc.ok)
		}
	}
}
