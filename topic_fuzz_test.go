package prodlab

import (
	"regexp"
	"testing"
)

// FuzzLegalTopic checks the hand-written topic check against the rule as a
// regexp.
func FuzzLegalTopic(f *testing.F) {
	rule := regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)
	for _, s := range []string{"", "a", "bhf-transactions", "a b", "é", "a\n", "..", string(make([]byte, 250))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := legalTopic(s), rule.MatchString(s); got != want {
			t.Errorf("legalTopic(%q) = %v, the rule says %v", s, got, want)
		}
	})
}
