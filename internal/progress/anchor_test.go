package progress

import (
	"github.com/prodlab/prodlab/internal/i18n"

	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// slug is GitHub's anchor for a heading: lower case, letters, digits,
// spaces, hyphens and underscores kept, spaces turned into hyphens.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// TestAnchorsExist: every checkpoint links to a heading of the guide.
func TestAnchorsExist(t *testing.T) {
	md, err := os.ReadFile("../../docs/lab/module-02-producer-reliability.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(md), "\n") {
		if h, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && strings.HasPrefix(line, "#") {
			anchors[slug(h)] = true
		}
	}
	if !strings.HasSuffix(GuideURL, "docs/lab/module-02-producer-reliability.md") {
		t.Errorf("GuideURL %s is not the guide", GuideURL)
	}
	for _, c := range Checkpoints {
		if !anchors[c.Anchor] {
			t.Errorf("%s: no heading of the guide has the anchor %q", c.ID, c.Anchor)
		}
		for _, lang := range i18n.Langs {
			l := string(lang)
			if c.Title[l] == "" || c.Evidence[l] == "" || c.Next[l] == "" {
				t.Errorf("%s: missing words in %s", c.ID, l)
			}
		}
	}
}

// TestEveryCheckpointHasARule: each listed checkpoint has its rule, and
// the rules that read the brokers are 02.4's and 02.6's.
func TestEveryCheckpointHasARule(t *testing.T) {
	var verifiers []ID
	for _, c := range Checkpoints {
		if c.rule == nil {
			t.Errorf("%s has no rule", c.ID)
		}
		if _, ok := c.rule.(verifier); ok {
			verifiers = append(verifiers, c.ID)
		}
	}
	if !slices.Equal(verifiers, []ID{Validate, Compaction}) {
		t.Errorf("verifiers %v, want 02.4 and 02.6", verifiers)
	}
}
