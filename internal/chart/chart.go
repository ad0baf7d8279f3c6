// Package chart holds prodlab's one chart library, Chart.js, and the
// outcome chart that the console and every experiment report draw with it.
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
