// Package htmlreport writes an experiment's report as one self-contained
// HTML page. It stands apart from package experiment so that the console,
// which serves the report as JSON, does not link html/template.
package htmlreport

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/prodlab/prodlab/internal/chart"
	"github.com/prodlab/prodlab/internal/experiment"
)

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>prodlab experiment: {{.Rep.Schedule}}</title>
<script>{{.Library}}</script>
<script>{{.Outcomes}}</script>
<style>
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
td.bad { color: #c00; font-weight: bold; }
code { background: #f4f4f4; padding: 1px 4px; }
.chart { position: relative; margin: 16px 0; }
details { margin: 12px 0; }
</style>
</head>
<body>
<h1>prodlab experiment: {{.Rep.Schedule}}</h1>
<p>{{.Rep.Description}}.</p>
<p>Run <code>{{.Rep.RunID}}</code>, {{.Rep.Started.UTC.Format "2006-01-02 15:04:05 UTC"}}: {{.Rep.N}} messages per row over {{.Rep.Keys}} keys
(one send in flight per key){{if .Rep.Rate}}, at most {{.Rep.Rate}} sends/s per row{{end}}, to topic <code>{{.Rep.Topic}}</code>;
request timeout {{.Rep.RequestTimeoutMs}} ms, HTTP timeout {{.Rep.SendTimeoutMs}} ms; {{ms .Rep.Duration}}.</p>
{{if .Rep.Command}}<p>Command: <code>{{.Rep.Command}}</code></p>{{end}}
<table>
<tr><th>engine</th><th>mode</th><th>sent</th><th>acked</th><th>failed</th><th>indeterminate</th><th>lost</th><th>duplicated</th><th>extra records</th><th>order violations</th><th>p50 ms</th><th>p99 ms</th></tr>
{{range .Rep.Rows}}<tr><td>{{.API}}</td><td>{{.Mode}}</td><td>{{.Sent}}</td><td>{{.Acked}}</td><td>{{.Failed}}</td><td>{{.Indeterminate}}</td>
<td{{if .Lost}} class="bad"{{end}}>{{.Lost}}</td><td{{if .Duplicated}} class="bad"{{end}}>{{.Duplicated}}</td><td>{{.Extra}}</td>
<td{{if .OrderViolations}} class="bad"{{end}}>{{.OrderViolations}}</td><td>{{printf "%.1f" .P50Ms}}</td><td>{{printf "%.1f" .P99Ms}}</td></tr>
{{end}}</table>
{{range .Rep.NoFaults}}<p><strong>{{.API}}: not measured:</strong> {{.Reason}}.</p>
{{end}}<p>Acked: the API answered 200. Failed: it answered an error. Indeterminate: no answer within the HTTP timeout.
Lost: acked with no copy in the log. Duplicated: requests with two or more copies; extra records: copies beyond the first.
Order violations: records whose key's sequence number is lower than one already in the log.</p>
<div class="chart" style="height: 420px"><canvas id="outcomes"></canvas></div>
<div class="chart" style="height: 340px"><canvas id="anomalies"></canvas></div>
<script>
const rep = {{.Rep}};
drawOutcomes(document.getElementById('outcomes'), rep, 'en');
// What went wrong, per row: the table's counts side by side.
new Chart(document.getElementById('anomalies'), {
  type: 'bar',
  data: {
    labels: rep.rows.map(r => r.api + ' ' + r.mode),
    datasets: [
      ['lost', 'lost', '#7b2cbf'], ['duplicated', 'duplicated', '#d64545'], ['extra records', 'extraRecords', '#b45309'],
      ['order violations', 'orderViolations', '#0e7490'], ['failed', 'failed', '#f0b35a'], ['indeterminate', 'indeterminate', '#8a94a6'],
    ].map(([label, field, color]) => ({ label, backgroundColor: color, data: rep.rows.map(r => r[field]) })),
  },
  options: {
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { title: { display: true, text: 'What went wrong, per row' }, legend: { position: 'bottom' } },
  },
});
</script>
<details><summary>Fault timeline ({{len .Rep.Events}} changes)</summary>
<table>{{range .Rep.Events}}<tr><td>{{ms .At}}</td><td>{{.What}}</td></tr>{{end}}</table>
</details>
<p><small>Charts: Chart.js 4.6.1 inlined (MIT License), so this page needs no network.</small></p>
</body>
</html>
`))

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
