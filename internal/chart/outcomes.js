// prodlab's outcome chart, drawn with Chart.js by the console and by every
// experiment report: one horizontal bar per engine × mode, each request in
// exactly one stack, its outcome crossed with the copies found in the log.
'use strict';

// OUTCOME_SERIES are the stacks: report rows hold copies[outcome][0, 1 or 2+].
const OUTCOME_SERIES = [
  { key: 'acked1', outcome: 'acked', copies: 1, color: '#1f9d55' },
  { key: 'acked2', outcome: 'acked', copies: 2, color: '#d64545' },
  { key: 'acked0', outcome: 'acked', copies: 0, color: '#7b2cbf' },
  { key: 'failed0', outcome: 'failed', copies: 0, color: '#f0b35a' },
  { key: 'failed1', outcome: 'failed', copies: 1, color: '#b45309' },
  { key: 'failed2', outcome: 'failed', copies: 2, color: '#7c2d12' },
  { key: 'indeterminate0', outcome: 'indeterminate', copies: 0, color: '#c3cad6' },
  { key: 'indeterminate1', outcome: 'indeterminate', copies: 1, color: '#8a94a6' },
  { key: 'indeterminate2', outcome: 'indeterminate', copies: 2, color: '#4b5563' },
];

// OUTCOME_WORDS are the chart's words in French and English.
const OUTCOME_WORDS = {
  fr: {
    'title': 'Issue de chaque requête par moteur × mode ({schedule})',
    'requests': 'requêtes',
    'acked1': 'acquittée, 1 copie',
    'acked2': 'acquittée, 2+ copies (doublon)',
    'acked0': 'acquittée, 0 copie (perdue)',
    'failed0': 'échouée, 0 copie',
    'failed1': 'échouée, écrite une fois',
    'failed2': 'échouée, 2+ copies',
    'indeterminate0': 'indéterminée, 0 copie',
    'indeterminate1': 'indéterminée, 1 copie',
    'indeterminate2': 'indéterminée, 2+ copies',
  },
  en: {
    'title': 'Outcomes per engine × mode ({schedule})',
    'requests': 'requests',
    'acked1': 'acked, 1 copy',
    'acked2': 'acked, 2+ copies (duplicate)',
    'acked0': 'acked, 0 copies (lost)',
    'failed0': 'failed, 0 copies',
    'failed1': 'failed, written once',
    'failed2': 'failed, 2+ copies',
    'indeterminate0': 'indeterminate, 0 copies',
    'indeterminate1': 'indeterminate, 1 copy',
    'indeterminate2': 'indeterminate, 2+ copies',
  },
};

// drawOutcomes draws rep (an experiment report's JSON) on canvas with the
// words of lang (fr or en), redrawing the chart already there, and returns
// the Chart.
function drawOutcomes(canvas, rep, lang) {
  const words = OUTCOME_WORDS[lang] || OUTCOME_WORDS.en;
  const rows = rep.rows || [];
  const data = {
    labels: rows.map(r => `${r.api} ${r.mode}`),
    datasets: OUTCOME_SERIES.map(s => ({
      label: words[s.key],
      backgroundColor: s.color,
      data: rows.map(r => (r.copies?.[s.outcome] || [0, 0, 0])[s.copies]),
    })),
  };
  const title = words.title.replace('{schedule}', rep.schedule);
  let chart = window.Chart.getChart(canvas);
  if (chart) {
    chart.data = data;
    chart.options.plugins.title.text = title;
    chart.options.scales.x.title.text = words.requests;
    chart.update();
  } else {
    chart = new window.Chart(canvas, {
      type: 'bar', data,
      options: {
        indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
        scales: { x: { stacked: true, title: { display: true, text: words.requests } }, y: { stacked: true } },
      },
    });
  }
  // The canvas says in words what the chart holds: each bar's total.
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', title + ': ' + chart.data.labels.map((label, i) =>
    `${label}: ${chart.data.datasets.reduce((sum, d) => sum + d.data[i], 0)} ${words.requests}`).join(', '));
  return chart;
}
