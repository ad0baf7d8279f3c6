package console

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestI18nKeys: every word the page asks for exists in French and in
// English, and both languages hold the same keys.
func TestI18nKeys(t *testing.T) {
	read := func(name string) string {
		b, err := webFS.ReadFile("web/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	js := read("i18n.js")
	fr, en, ok := strings.Cut(js[strings.Index(js, "\n  fr: {"):], "\n  en: {")
	if !ok {
		t.Fatal("i18n.js: no fr and en blocks")
	}
	keyRe := regexp.MustCompile(`(?m)^\s+'([\w.]+)':`)
	keys := func(block string) []string {
		var ks []string
		for _, m := range keyRe.FindAllStringSubmatch(block, -1) {
			ks = append(ks, m[1])
		}
		slices.Sort(ks)
		return ks
	}
	frKeys, enKeys := keys(fr), keys(en)
	if len(frKeys) < 50 || !slices.Equal(frKeys, enKeys) {
		t.Fatalf("French has %d keys, English %d; they differ", len(frKeys), len(enKeys))
	}
	used := map[string]string{}
	for _, m := range regexp.MustCompile(`data-i18n(?:-title|-placeholder|-aria)?="([\w.]+)"`).FindAllStringSubmatch(read("index.html"), -1) {
		used[m[1]] = "index.html"
	}
	for _, m := range regexp.MustCompile(`\bt\('([\w.]+)'`).FindAllStringSubmatch(read("app.js"), -1) {
		if !strings.HasSuffix(m[1], ".") { // a prefix completed at run time: listed below
			used[m[1]] = "app.js"
		}
	}
	for _, st := range []string{"running", "ok", "failed"} { // t('state.' + run.state)
		used["state."+st] = "app.js"
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in use: the patterns no longer match the page", len(used))
	}
	for k, where := range used {
		if _, found := slices.BinarySearch(frKeys, k); !found {
			t.Errorf("%s uses %q, which i18n.js does not define", where, k)
		}
	}
}
