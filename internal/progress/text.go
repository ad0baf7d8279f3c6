package progress

import (
	"fmt"
	"strings"

	"github.com/prodlab/prodlab/internal/i18n"
)

// Label is the row's name in the table: "02.4", or "Ex. 1".
func (c Checkpoint) Label() string {
	if n, ok := strings.CutPrefix(string(c.ID), "ex"); ok {
		return "Ex. " + n
	}
	return string(c.ID)
}

// Text renders the report as the seed's recap table, in l: ✅ with when
// and how each checkpoint was seen, ⬜ with the guide's next command.
func (r Report) Text(l i18n.Lang) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| # | %s | %s |\n|---|------------|--------|\n", l.T("progress.col.checkpoint"), l.T("progress.col.status"))
	for _, row := range r.Rows {
		status := "⬜ " + l.T("progress.todo") + " — " + row.Next[string(l)]
		if row.Tick != nil {
			status = "✅ " + row.Tick.At.Local().Format("2006-01-02 15:04:05") + " — " + row.Tick.Text(l)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", row.Label(), row.Title[string(l)], status)
	}
	fmt.Fprintf(&b, "\n%s. %s\n", l.T("progress.done", "n", r.Done(), "total", len(r.Rows)), l.T("progress.guide", "url", r.Guide))
	return b.String()
}
