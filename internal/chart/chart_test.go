package chart

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOutcomeWords: every series has words in French and English, both
// languages hold the same keys, and the series cover each outcome × copies
// once.
func TestOutcomeWords(t *testing.T) {
	js := Outcomes
	fr, en, ok := strings.Cut(js[strings.Index(js, "\n  fr: {"):], "\n  en: {")
	if !ok {
		t.Fatal("outcomes.js: no fr and en blocks")
	}
	keyRe := regexp.MustCompile(`(?m)^\s+'(\w+)':`)
	keys := func(block string) []string {
		var ks []string
		for _, m := range keyRe.FindAllStringSubmatch(block, -1) {
			ks = append(ks, m[1])
		}
		slices.Sort(ks)
		return ks
	}
	frKeys, enKeys := keys(fr), keys(en)
	if !slices.Equal(frKeys, enKeys) {
		t.Fatalf("French keys %v, English %v", frKeys, enKeys)
	}
	series := regexp.MustCompile(`\{ key: '(\w+)', outcome: '(\w+)', copies: (\d), color: '#[0-9a-f]{6}' \}`).FindAllStringSubmatch(js, -1)
	if len(series) != 9 {
		t.Fatalf("%d series, want 3 outcomes × 3 copy counts", len(series))
	}
	seen := map[string]bool{}
	for _, s := range series {
		if s[1] != s[2]+s[3] || seen[s[1]] {
			t.Errorf("series %q: key not outcome+copies, or twice", s[0])
		}
		seen[s[1]] = true
		if _, found := slices.BinarySearch(frKeys, s[1]); !found {
			t.Errorf("series %s has no words", s[1])
		}
	}
	if !strings.HasPrefix(Library, "/*!") || !strings.Contains(Library, "Chart.js v4.6.1") {
		t.Errorf("Library is not Chart.js 4.6.1: %.60q", Library)
	}
}
