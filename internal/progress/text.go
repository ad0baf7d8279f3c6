package progress

import (
	"fmt"
	"strings"
)

// Label is the row's name in the table: "02.4", or "Ex. 1".
func (c Checkpoint) Label() string {
	if n, ok := strings.CutPrefix(string(c.ID), "ex"); ok {
		return "Ex. " + n
	}
	return string(c.ID)
}

var words = map[string]map[string]string{
	"fr": {"status": "Statut", "todo": "à faire", "done": "%d/%d cochés", "guide": "Guide", "how": "vu"},
	"en": {"status": "Status", "todo": "to do", "done": "%d/%d ticked", "guide": "Guide", "how": "seen"},
}

// ValidLang reports whether lang is one the tables speak.
func ValidLang(lang string) bool { _, ok := words[lang]; return ok }

// Text renders the report as the seed's recap table, in lang (fr or en):
// ✅ with when and how each checkpoint was seen, ⬜ with the guide's next
// command.
func (r Report) Text(lang string) string {
	w := words[lang]
	if w == nil {
		w, lang = words["fr"], "fr"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| # | Checkpoint | %s |\n|---|------------|--------|\n", w["status"])
	for _, row := range r.Rows {
		status := "⬜ " + w["todo"] + " — " + row.Next[lang]
		if row.Tick != nil {
			status = "✅ " + row.Tick.At.Local().Format("2006-01-02 15:04:05") + " — " + row.Tick.How
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", row.Label(), row.Title[lang], status)
	}
	fmt.Fprintf(&b, "\n"+w["done"]+". %s: %s\n", r.Done(), len(r.Rows), w["guide"], r.Guide)
	return b.String()
}
