// Package chart holds the one chart library of prodlab, Chart.js, and the
// outcome chart drawn with it by the web console and by every experiment
// report, so that both show the same series with the same words and
// colours.
package chart

import "embed"

// Files holds chart.umd.min.js (Chart.js), its licence chart.js.LICENSE.md,
// and outcomes.js, which defines drawOutcomes(canvas, report, lang).
//
//go:embed chart.umd.min.js chart.js.LICENSE.md outcomes.js
var Files embed.FS

// Library is Chart.js, to inline in a page that must render offline.
//
//go:embed chart.umd.min.js
var Library string

// Outcomes is outcomes.js, to inline after Library.
//
//go:embed outcomes.js
var Outcomes string
