package prodlab

import (
	"regexp"
	"testing"
)

// FuzzLegalTopic checks the hand-written name check, at Kafka's topic
// length, against the rule as a regexp.
func FuzzLegalTopic(f *testing.F) {
	rule := regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)
	for _, s := range []string{"", "a", "bhf-transactions", "a b", "é", "a\n", "..", string(make([]byte, 250))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := legalName(s, 249), rule.MatchString(s) && s != "." && s != ".."; got != want {
			t.Errorf("legalName(%q, 249) = %v, the rule says %v", s, got, want)
		}
	})
}
