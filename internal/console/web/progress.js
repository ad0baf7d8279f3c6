// prodlab console: the "Parcours" panel, the module's checkpoints as the
// lab ticks them (GET /api/progress, polled every 2 s). Each row links to
// its section of the guide; a row turns green when its evidence arrives.
// The words of the rows come from the backend in both languages, the
// evidence after ✅ as a catalogue message (tick.msg) rendered by i18n.js's
// t() in the page's language (tick.how, English, for older ticks).
'use strict';

(() => {
  const card = document.getElementById('progress-card');
  const body = document.querySelector('#progress-table tbody');
  let report = null;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // seen is a tick's evidence in the page's language.
  function seen(tick) {
    return tick.msg && tick.msg.id in MESSAGES.en ? t(tick.msg.id, tick.msg.args || {}) : tick.how;
  }

  function render() {
    document.getElementById('progress-h').textContent = t('progress.h');
    if (!report) return;
    const rows = report.checkpoints;
    const done = rows.filter(r => r.tick).length;
    document.getElementById('progress-count').textContent =
      t('progress.done', { n: done, total: rows.length });
    body.replaceChildren(...rows.map(r => {
      const tr = el('tr', r.tick ? 'done' : 'todo');
      tr.dataset.id = r.id;
      tr.dataset.testid = 'progress-' + r.id;
      const label = r.id.startsWith('ex') ? 'Ex. ' + r.id.slice(2) : r.id;
      const a = el('a', '', label);
      a.href = report.guide + '#' + r.anchor;
      a.target = '_blank';
      a.rel = 'noopener';
      a.title = t('progress.link.title');
      const what = el('td');
      what.append(el('div', '', r.title[lang] || r.title.fr));
      const detail = r.tick
        ? `${t('progress.at')} ${new Date(r.tick.at).toLocaleTimeString(lang)} — ${seen(r.tick)}`
        : `${t('progress.todo')} — ${r.next[lang] || r.next.fr}`;
      what.append(el('div', 'muted small', detail));
      what.title = r.evidence[lang] || r.evidence.fr;
      const id = el('td');
      id.append(a);
      tr.append(id, what, el('td', 'mark', r.tick ? '✅' : '⬜'));
      return tr;
    }));
  }

  async function load() {
    try {
      const resp = await fetch('/api/progress', { headers: { Accept: 'application/json' } });
      if (!resp.ok) { card.hidden = true; return; }
      report = await resp.json();
      card.hidden = false;
      render();
    } catch { /* the lab is restarting: keep the last table */ }
  }

  async function poll() {
    if (!document.hidden) await load();
    setTimeout(poll, 2000);
  }

  document.querySelectorAll('#lang button').forEach(b => b.addEventListener('click', () => setTimeout(render)));
  i18nReady.then(poll);
})();
