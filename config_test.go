package prodlab

import (
	"slices"
	"testing"
)

func TestSplitList(t *testing.T) {
	for in, want := range map[string][]string{
		"":               nil,
		" , ,":           nil,
		"a":              {"a"},
		"a, b,,c ":       {"a", "b", "c"},
		"[::1]:9092,x:1": {"[::1]:9092", "x:1"},
	} {
		if got := SplitList(in); !slices.Equal(got, want) || (want == nil) != (got == nil) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}
