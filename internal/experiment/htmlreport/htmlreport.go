// Package htmlreport writes an experiment's report as one self-contained
// HTML page. It stands apart from package experiment so that the console,
// which serves the report as JSON, does not link html/template.
package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/prodlab/prodlab/internal/chart"
	"github.com/prodlab/prodlab/internal/experiment"
)

// report.html is the page; its script gets the report as JSON.
//
//go:embed report.html
var report string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) },
}).Parse(report))

// Write writes rep as one self-contained HTML page, Chart.js inlined, with
// the console's outcome chart and a chart of what went wrong per row.
func Write(w io.Writer, rep experiment.Report) error {
	if rep.Rows == nil {
		rep.Rows = []experiment.Row{} // the page's script reads rep.rows
	}
	return page.Execute(w, map[string]any{
		"Rep":      rep,
		"Library":  template.JS(chart.Library),
		"Outcomes": template.JS(chart.Outcomes),
	})
}
