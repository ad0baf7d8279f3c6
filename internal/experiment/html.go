package experiment

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// echartsJS is Apache ECharts 5.6.0 (npm "echarts", Apache-2.0; see
// assets/README). It is inlined in every report: go-echarts would load it
// from a CDN, and a report must render offline.
//
//go:embed assets/echarts.common.min.js
var echartsJS string

// outcomeSeries are the stacks of the outcome chart: each request lands in
// exactly one.
var outcomeSeries = []struct {
	name    string
	color   string
	outcome Outcome
	copies  int // 0, 1, or 2 for two or more
}{
	{"acked, 1 copy", "#3ba272", Acked, 1},
	{"acked, duplicated", "#fc8452", Acked, 2},
	{"acked, lost", "#ee6666", Acked, 0},
	{"failed, not written", "#91a7c4", Failed, 0},
	{"failed, written once", "#9a60b4", Failed, 1},
	{"failed, duplicated", "#73398a", Failed, 2},
	{"indeterminate, not written", "#c8c8c8", Indeterminate, 0},
	{"indeterminate, written once", "#fac858", Indeterminate, 1},
	{"indeterminate, duplicated", "#d48806", Indeterminate, 2},
}

func (rep Report) outcomeChart() *charts.Bar {
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{Width: "100%", Height: "460px", ChartID: "outcomes"}),
		charts.WithAnimation(false),
		charts.WithTitleOpts(opts.Title{Title: "Outcome of every request", Subtitle: "client's view × copies found in the log"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "55px"}),
		charts.WithGridOpts(opts.Grid{Top: "130px", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Name: "requests"}),
	)
	var names []string
	for _, r := range rep.Rows {
		names = append(names, r.Name())
	}
	bar.SetXAxis(names)
	for _, s := range outcomeSeries {
		data := make([]opts.BarData, len(rep.Rows))
		for i, r := range rep.Rows {
			data[i] = opts.BarData{Value: r.Copies[s.outcome.String()][s.copies]}
		}
		bar.AddSeries(s.name, data,
			charts.WithBarChartOpts(opts.BarChart{Stack: "outcomes"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: s.color}))
	}
	return bar
}

func (rep Report) anomalyChart() *charts.Bar {
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{Width: "100%", Height: "380px", ChartID: "anomalies"}),
		charts.WithAnimation(false),
		charts.WithTitleOpts(opts.Title{Title: "What went wrong, per row", Subtitle: "counts, side by side"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "55px"}),
		charts.WithGridOpts(opts.Grid{Top: "100px", ContainLabel: opts.Bool(true)}),
	)
	var names []string
	for _, r := range rep.Rows {
		names = append(names, r.Name())
	}
	bar.SetXAxis(names)
	for _, s := range []struct {
		name, color string
		v           func(Row) int
	}{
		{"lost", "#ee6666", func(r Row) int { return r.Lost }},
		{"duplicated", "#fc8452", func(r Row) int { return r.Duplicated }},
		{"extra records", "#d48806", func(r Row) int { return r.Extra }},
		{"order violations", "#9a60b4", func(r Row) int { return r.OrderViolations }},
		{"failed", "#91a7c4", func(r Row) int { return r.Failed }},
		{"indeterminate", "#c8c8c8", func(r Row) int { return r.Indeterminate }},
	} {
		data := make([]opts.BarData, len(rep.Rows))
		for i, r := range rep.Rows {
			data[i] = opts.BarData{Value: s.v(r)}
		}
		bar.AddSeries(s.name, data, charts.WithItemStyleOpts(opts.ItemStyle{Color: s.color}))
	}
	return bar
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>prodlab experiment: {{.Rep.Schedule}}</title>
<script>{{.JS}}</script>
<style>
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 12px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
td.bad { color: #c00; font-weight: bold; }
code { background: #f4f4f4; padding: 1px 4px; }
.container { margin: 16px 0; }
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
<p>Acked: the API answered 200. Failed: it answered an error. Indeterminate: no answer within the HTTP timeout.
Lost: acked with no copy in the log. Duplicated: requests with two or more copies; extra records: copies beyond the first.
Order violations: records whose key's sequence number is lower than one already in the log.</p>
{{.Outcomes}}
{{.Anomalies}}
<details><summary>Fault timeline ({{len .Rep.Events}} changes)</summary>
<table>{{range .Rep.Events}}<tr><td>{{ms .At}}</td><td>{{.What}}</td></tr>{{end}}</table>
</details>
<p><small>Charts: go-echarts with Apache ECharts 5.6.0 inlined (Apache License 2.0), so this page needs no network.</small></p>
</body>
</html>
`))

// WriteHTML writes the report as a self-contained HTML page with charts of
// the outcomes per row.
func (rep Report) WriteHTML(w io.Writer) error {
	snippet := func(b *charts.Bar) template.HTML {
		s := b.RenderSnippet()
		return template.HTML(s.Element + s.Script)
	}
	return page.Execute(w, map[string]any{
		"Rep":       rep,
		"JS":        template.JS(echartsJS),
		"Outcomes":  snippet(rep.outcomeChart()),
		"Anomalies": snippet(rep.anomalyChart()),
	})
}
