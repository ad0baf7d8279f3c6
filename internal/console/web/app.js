// prodlab console: plain JavaScript over the console's JSON backend.
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

const state = {
  info: null,
  topic: '',
  tab: 'messages',
  skip: 0,
  limit: 100,
  seen: new Set(),     // partition:offset already shown, to flash new rows
  dupIds: new Set(),   // eventIds with more than one copy
  runID: 0,
};

// el builds an element: el('td', {class: 'num'}, 'text', child...).
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) {
    if (kid === undefined || kid === null) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}

// api calls the backend and returns {ok, status, body}; body is the JSON
// answer or {error} when the answer was not JSON.
async function api(method, path, params, body) {
  let url = path;
  if (params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += '?' + s;
  }
  // The backend's error sentences come from the same catalogue, in the
  // page's language.
  const init = { method, headers: { 'Accept-Language': lang } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (e) {
    return { ok: false, status: 0, body: { error: t('noanswer', { e: e.message }) } };
  }
  let data = null;
  const text = await resp.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: text }; }
  }
  return { ok: resp.ok, status: resp.status, body: data };
}

const fmtTime = ms => {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};

const modePill = m => m ? el('span', { class: 'pill ' + m, text: m }) : '';

function uniqueEventID() {
  const eng = $('#send-engine').value || 'api';
  const rnd = Math.random().toString(36).slice(2, 6).toUpperCase();
  return `CONSOLE-${eng.toUpperCase()}-${Date.now()}-${rnd}`;
}

// ---------- header, topics, cluster ----------

async function loadInfo() {
  const r = await api('GET', '/api/info');
  if (!r.ok) { $('#cluster-name').textContent = t('backend.down'); return; }
  state.info = r.body;
  state.topic = r.body.defaultTopic;
  $('#cluster-name').textContent = r.body.cluster;
  document.title = `${r.body.cluster} · ${t('title')}`;
  const sel = $('#send-engine');
  sel.replaceChildren(...r.body.engines.map(e => {
    const port = new URL(e.url).port;
    return el('option', { value: e.name, text: `${e.name} (:${port})` });
  }));
  $('#send-topic').value = state.topic;
  $('#send-eventId').value = uniqueEventID();
  $('#exp-schedule').replaceChildren(...r.body.schedules.map(s => el('option', { value: s, text: s })));
  $('#validate-btn').disabled = !r.body.validate;
  $('#exp-btn').disabled = !r.body.experiment;
  $('#validate-btn').title = r.body.validate ? '' : t('validate.na');
  $('#exp-btn').title = r.body.experiment ? '' : t('exp.na');
}

async function loadCluster() {
  const r = await api('GET', '/api/cluster');
  const dot = $('#health-dot');
  if (!r.ok) {
    dot.className = 'dot bad';
    $('#cluster-brief').textContent = r.body?.error || t('cluster.down');
    return;
  }
  const c = r.body;
  dot.className = 'dot ok';
  $('#cluster-brief').textContent = t('cluster.brief', { b: c.brokers.length, bs: c.brokers.length === 1 ? '' : 's', t: c.topics.length, ts: c.topics.length === 1 ? '' : 's' });
  const sel = $('#topic');
  const names = c.topics.map(tp => tp.name);
  if (!names.includes(state.topic)) names.unshift(state.topic);
  const current = [...sel.options].map(o => o.value).join('\n');
  if (current !== names.join('\n')) {
    sel.replaceChildren(...names.map(n => el('option', { value: n, text: n })));
  }
  sel.value = state.topic;
  $('#brokers tbody').replaceChildren(...c.brokers.map(b => el('tr', {},
    el('td', { class: 'num', text: b.nodeId }),
    el('td', { class: 'mono', text: b.advertised }),
    el('td', { class: 'mono', text: b.direct || t('cluster.same') }),
    el('td', {}, b.controller ? el('span', { class: 'pill', text: 'controller' }) : ''))));
  $('#topics tbody').replaceChildren(...c.topics.map(tp => el('tr', {},
    el('td', {}, el('a', { href: '#', text: tp.name, onclick: e => { e.preventDefault(); selectTopic(tp.name); showTab('messages'); } })),
    el('td', { class: 'num', text: tp.partitions.length }),
    el('td', { class: 'num', text: tp.records }),
    el('td', { class: 'mono', text: tp.partitions.map(p => `p${p.partition}: ${p.start}..${p.end}`).join('   ') }))));
}

function selectTopic(name) {
  if (name === state.topic) return;
  state.topic = name;
  state.skip = 0;
  state.seen = new Set();
  $('#topic').value = name;
  $('#send-topic').value = name;
  refresh();
}

// ---------- messages ----------

async function loadMessages(reread) {
  const params = { topic: state.topic, q: $('#filter').value, skip: state.skip, limit: state.limit };
  if (reread) params.reread = 'true';
  const r = await api('GET', '/api/messages', params);
  const tbody = $('#messages tbody');
  if (!r.ok) {
    $('#msg-summary').textContent = r.body?.error || t('msg.cannot');
    tbody.replaceChildren();
    return;
  }
  const m = r.body;
  const first = m.records.length ? m.skip + 1 : 0;
  $('#msg-summary').textContent = t('msg.summary', { first, last: m.skip + m.records.length, matched: m.matched }) +
    (m.matched !== m.cached ? t('msg.matching', { cached: m.cached }) : '') + t('msg.newest');
  $('#msg-ranges').textContent = t('msg.ranges') + m.partitions.map(p =>
    `p${p.partition}: ${p.start}..${p.end}` + (p.cachedFrom > p.start ? t('msg.showingFrom', { from: p.cachedFrom }) : '')).join(' · ');
  $('#newer').disabled = m.skip === 0;
  $('#older').disabled = m.skip + m.records.length >= m.matched;
  $('#msg-empty').hidden = m.records.length > 0;
  const firstLoad = state.seen.size === 0;
  tbody.replaceChildren(...m.records.map(rec => {
    const id = `${rec.partition}:${rec.offset}`;
    const fresh = !firstLoad && !state.seen.has(id);
    state.seen.add(id);
    const dup = rec.eventId && state.dupIds.has(rec.eventId);
    return el('tr', { class: [dup ? 'dup' : '', fresh ? 'fresh' : ''].join(' ').trim() || undefined, 'data-event-id': rec.eventId || '', 'data-partition': rec.partition, 'data-offset': rec.offset },
      el('td', { class: 'num', text: rec.partition }),
      el('td', { class: 'num', text: rec.offset }),
      el('td', { class: 'mono', text: fmtTime(rec.timestamp) }),
      el('td', { class: 'mono', text: rec.key }),
      el('td', { class: 'mono' }, rec.eventId || '', dup ? el('span', { class: 'copy', title: t('msg.duplicate.title'), text: t('msg.duplicate') }) : ''),
      el('td', {}, modePill(rec.mode)),
      el('td', { class: 'hdrs', text: rec.headers.map(h => `${h.key}=${h.value}`).join(', ') }),
      valueCell(rec));
  }));
  if (state.seen.size > 5000) state.seen = new Set(m.records.map(rec => `${rec.partition}:${rec.offset}`));
}

// valueCell shows a record's value wrapped; a long one is cut, with a
// button that opens the whole record in a dialog.
const VALUE_MAX = 240;
function valueCell(rec) {
  const v = rec.value ?? '';
  const cut = v.length > VALUE_MAX;
  return el('td', { class: 'value mono' }, cut ? v.slice(0, VALUE_MAX) + '…' : v,
    cut ? el('button', { type: 'button', class: 'small more', title: t('msg.detail.title'), text: t('msg.detail'), onclick: () => showDetail(rec) }) : '');
}

function showDetail(rec) {
  let value = rec.value ?? '';
  try { value = JSON.stringify(JSON.parse(value), null, 2); } catch { /* not JSON: as it is */ }
  $('#detail-title').textContent = t('detail.h', { partition: rec.partition, offset: rec.offset });
  $('#detail-body').textContent = [
    `${t('col.key')}: ${rec.key ?? 'null'}`,
    `eventId: ${rec.eventId || ''}`,
    `${t('col.timestamp')}: ${fmtTime(rec.timestamp)}`,
    `${t('col.headers')}: ${rec.headers.map(h => `${h.key}=${h.value}`).join(', ')}`,
    '',
    value,
  ].join('\n');
  $('#detail').showModal();
}

// ---------- duplicates ----------

async function loadDuplicates() {
  const r = await api('GET', '/api/duplicates', { topic: state.topic, limit: 200 });
  if (!r.ok) {
    $('#dup-summary').textContent = r.body?.error || t('dup.cannot');
    return;
  }
  const d = r.body;
  const run = state.lastValidate;
  $('#dup-run').hidden = !(run && run.topic === state.topic);
  if (run) $('#dup-run').replaceChildren(t('dup.last'), el('span', { class: 'mono', text: run.summary }));
  state.dupIds = new Set(d.duplicates.map(x => x.eventId));
  const badge = $('#dup-count');
  badge.hidden = d.duplicated === 0;
  badge.textContent = d.duplicated;
  $('#dup-summary').textContent = t('dup.summary', { dup: d.duplicated, ids: d.eventIds, cached: d.cached });
  $('#dup-empty').hidden = d.duplicates.length > 0;
  $('#duplicates tbody').replaceChildren(...d.duplicates.map(g => el('tr', { 'data-event-id': g.eventId },
    el('td', { class: 'mono', text: g.eventId }),
    el('td', { class: 'num', text: g.copies.length }),
    el('td', {}, g.producers === 1 ? el('span', { class: 'pill err', 'data-producers': 1, title: t('dup.oneProducer.title'), text: t('dup.oneProducer') })
      : el('span', { class: 'pill', 'data-producers': g.producers, title: t('dup.producers.title'), text: t('dup.producers', { n: g.producers }) })),
    el('td', {}, g.copies.map(c => el('span', { class: 'copy', title: fmtTime(c.timestamp), text: `p${c.partition} @ ${c.offset}` }))),
    el('td', {}, [...new Set(g.copies.map(c => c.mode))].map(modePill)),
    el('td', { text: [...new Set(g.copies.map(c => c.api).filter(Boolean))].join(', ') }),
    el('td', { class: 'mono', text: [...new Set(g.copies.map(c => `${c.producerId} / ${c.producerEpoch}`))].join(', ') }))));
}

// ---------- faults ----------

function describeToxic(x) {
  const order = state.toxicAttrs?.[x.type] || [];
  const rank = k => (order.indexOf(k) + 1) || 99;
  const attrs = Object.entries(x.attributes || {}).sort(([a], [b]) => rank(a) - rank(b)).map(([k, v]) => `${k} ${v} ms`).join(', ');
  return `${x.type}${attrs ? ': ' + attrs : ''} (${x.stream}${x.toxicity !== 1 ? ', toxicity ' + x.toxicity : ''})`;
}

async function loadProxies() {
  const r = await api('GET', '/api/proxies');
  const box = $('#proxies');
  if (r.ok) state.toxicAttrs = r.body.types;
  if (!r.ok) { box.replaceChildren(el('div', { class: 'error', text: r.body?.error || t('toxiproxy.down') })); return; }
  box.replaceChildren(...r.body.proxies.map(p => el('div', { class: 'proxy', 'data-proxy': p.name },
    el('div', {}, el('span', { class: 'name', text: p.name }), ' ',
      el('span', { class: 'addr', text: `${p.listen} → ${p.upstream}` }),
      p.enabled ? '' : el('span', { class: 'pill err', text: t('toxic.disabled') })),
    p.toxics.length === 0 ? el('div', { class: 'none', text: t('toxic.none') }) :
      p.toxics.map(x => el('div', { class: 'toxic', 'data-toxic': x.name },
        el('span', {}, el('b', { text: x.name }), ' ', describeToxic(x)),
        el('button', { class: 'small', type: 'button', text: t('toxic.remove'), 'aria-label': t('toxic.removeLabel', { name: x.name, proxy: p.name }),
          onclick: () => removeToxic(p.name, x.name) }))))));
  const sel = $('#toxic-proxy');
  const names = r.body.proxies.map(p => p.name);
  const want = ['*', ...names].join('\n');
  if ([...sel.options].map(o => o.value).join('\n') !== want || sel.options[0]?.text !== t('toxic.all')) {
    const prev = sel.value;
    sel.replaceChildren(el('option', { value: '*', text: t('toxic.all') }), ...names.map(n => el('option', { value: n, text: n })));
    sel.value = prev && [...sel.options].some(o => o.value === prev) ? prev : (names[0] || '*');
  }
}

function showToxicError(msg) {
  const box = $('#toxic-error');
  box.hidden = !msg;
  box.textContent = msg || '';
}

async function addToxic(ev) {
  ev.preventDefault();
  showToxicError('');
  $$('#toxic-form .invalid').forEach(x => x.classList.remove('invalid'));
  const type = $('#toxic-type').value;
  const attributes = {};
  const num = id => {
    const v = $(id).value.trim();
    return /^\d+$/.test(v) ? Number(v) : v === '' ? 0 : NaN;
  };
  if (type === 'latency') { attributes.latency = num('#toxic-latency'); attributes.jitter = num('#toxic-jitter'); }
  else attributes.timeout = num('#toxic-timeout');
  for (const [k, v] of Object.entries(attributes)) {
    if (Number.isNaN(v)) { $('#toxic-' + k).classList.add('invalid'); showToxicError(t('toxic.whole', { k })); return; }
  }
  const sel = $('#toxic-proxy').value;
  const targets = sel === '*' ? [...$('#toxic-proxy').options].map(o => o.value).filter(v => v !== '*') : [sel];
  for (const p of targets) {
    const r = await api('POST', `/api/proxies/${encodeURIComponent(p)}/toxics`, null, { type, stream: $('#toxic-stream').value, attributes });
    if (!r.ok) {
      const f = r.body?.field?.replace('attributes.', '');
      if (f && $('#toxic-' + f)) $('#toxic-' + f).classList.add('invalid');
      showToxicError(`${p}: ${r.body?.error || r.status}`);
      break;
    }
  }
  loadProxies();
}

async function removeToxic(proxy, name) {
  showToxicError('');
  const r = await api('DELETE', `/api/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(name)}`);
  if (!r.ok) showToxicError(r.body?.error || String(r.status));
  loadProxies();
}

async function resetToxics() {
  showToxicError('');
  const r = await api('POST', '/api/reset');
  if (!r.ok) showToxicError(r.body?.error || String(r.status));
  loadProxies();
}

function toxicTypeChanged() {
  const type = $('#toxic-type').value;
  $$('#toxic-form [data-for]').forEach(l => { l.hidden = (l.dataset.for === 'latency') !== (type === 'latency'); });
}

// ---------- send ----------

async function send(ev) {
  ev.preventDefault();
  const f = $('#send-form');
  $$('.invalid', f).forEach(x => x.classList.remove('invalid'));
  const data = new FormData(f);
  const params = {};
  for (const k of ['engine', 'mode', 'sendMode', 'eventId', 'key', 'partition', 'topic']) {
    const v = String(data.get(k) ?? '').trim();
    if (v !== '') params[k] = v;
  }
  const btn = $('#send-btn');
  btn.disabled = true;
  $('#send-result').hidden = false;
  $('#send-state').replaceChildren(el('span', { class: 'pill PENDING', text: t('send.sending') }));
  $('#send-json').textContent = '';
  const r = await api('POST', '/api/send', params);
  btn.disabled = false;
  $('#send-json').textContent = JSON.stringify(r.body, null, 2);
  if (!r.ok) {
    const field = r.body?.field;
    if (field && f.elements[field] && f.elements[field].classList) f.elements[field].classList.add('invalid');
    $('#send-state').replaceChildren(el('span', { class: 'pill ERROR', text: `HTTP ${r.status}` }), ' ', r.body?.error || '');
    return;
  }
  $('#send-eventId').value = uniqueEventID();
  if (r.body.status === 'OK') {
    $('#send-state').replaceChildren(el('span', { class: 'pill OK', text: 'OK' }), ` partition ${r.body.partition} · offset ${r.body.offset}`);
  } else if (r.body.requestId) {
    followStatus(params.engine, r.body.requestId);
  }
  refresh();
}

// followStatus polls an async send's status until it leaves PENDING.
async function followStatus(engine, requestId) {
  const stateBox = $('#send-state');
  const started = Date.now();
  for (;;) {
    const r = await api('GET', '/api/status', { engine, requestId });
    const s = r.body || {};
    if (!r.ok) {
      stateBox.replaceChildren(el('span', { class: 'pill ERROR', text: `HTTP ${r.status}` }), ' ', s.error || '');
      return;
    }
    const extra = s.state === 'OK' ? ` partition ${s.partition} · offset ${s.offset}` : s.state === 'ERROR' ? ' ' + s.error : ` ${((Date.now() - started) / 1000).toFixed(1)} s`;
    stateBox.replaceChildren(el('span', { class: 'pill ' + s.state, 'data-state': s.state, text: s.state }), ` requestId ${requestId.slice(0, 8)}…`, extra);
    $('#send-json').textContent = JSON.stringify(s, null, 2);
    if (s.state !== 'PENDING') { refresh(); return; }
    await new Promise(res => setTimeout(res, 300));
  }
}

// ---------- Lab 02.4: validate and experiment ----------

async function startRun(params) {
  const r = await api('POST', '/api/runs', params);
  if (!r.ok) {
    (params.kind === 'validate' ? showValidate : showExperimentState)({ state: 'failed', error: r.body?.error || String(r.status) });
    return;
  }
  followRun(r.body.id);
}

async function followRun(id) {
  state.runID = id;
  for (;;) {
    const r = await api('GET', '/api/runs/current');
    if (!r.ok || r.body.id !== id || state.runID !== id) return;
    const run = r.body;
    if (run.kind === 'validate') showValidate(run); else showExperiment(run);
    $('#validate-btn').disabled = $('#exp-btn').disabled = run.state === 'running';
    if (run.state !== 'running') {
      loadProxies();
      $('#validate-btn').disabled = !state.info.validate;
      $('#exp-btn').disabled = !state.info.experiment;
      refresh();
      return;
    }
    await new Promise(res => setTimeout(res, 500));
  }
}

function showValidate(run) {
  const out = $('#validate-out');
  out.hidden = false;
  out.dataset.state = run.state;
  if (run.state === 'running') {
    const secs = ((Date.now() - new Date(run.started)) / 1000).toFixed(0);
    out.replaceChildren(el('span', { class: 'pill running', text: t('state.running') }), t('validate.running', { s: secs }),
      el('pre', { text: (run.log || []).join('\n') || '…' }));
    return;
  }
  const v = run.validate;
  const runs = v?.runs || [];
  if (runs.length) state.lastValidate = v;
  const kids = [];
  if (runs.length) kids.push(el('div', { class: 'summary-line' + (run.state === 'failed' ? ' failed' : ''), 'data-testid': 'validate-summary', text: v.summary }));
  if (run.error) kids.push(el('div', { class: 'error', text: run.error }));
  kids.push(...noFaults(v, 'validate.noFault'));
  const details = validateDetails(v?.topic, runs);
  if (details.length) kids.push(el('pre', { text: details.join('\n') }));
  if (v?.topic) {
    kids.push(el('button', { type: 'button', text: t('validate.showDup'), onclick: () => { selectTopic(v.topic); showTab('duplicates'); } }));
  }
  out.replaceChildren(...kids);
}

// validateDetails says where the copies of every duplicate are, and the
// producer id and epoch of every idempotent record.
function validateDetails(topic, runs) {
  const secs = ns => (ns / 1e9).toFixed(3);
  const lines = [];
  for (const r of runs) {
    const copies = r.copies || [];
    const v = { name: `${r.api}_${r.mode}`, n: copies.length, id: r.eventId, topic, took: secs(r.tookNs), window: secs(r.windowNs) };
    if (copies.length > 1) {
      lines.push('  ' + t('validate.copies', v));
      for (const c of copies) {
        lines.push('    ' + t('validate.copy', { p: c.partition, o: c.offset }) + (c.producerId < 0 ? '' : t('validate.producer', { pid: c.producerId, epoch: c.producerEpoch })));
      }
    } else if (r.mode === 'idempotent' && copies.length === 1) {
      const c = copies[0];
      lines.push('  ' + t('validate.one', { ...v, p: c.partition, o: c.offset, pid: c.producerId, epoch: c.producerEpoch }));
    }
  }
  return lines;
}

function showExperimentState(run) {
  $('#exp-state').replaceChildren(el('span', { class: 'pill ' + run.state, 'data-state': run.state, text: t('state.' + run.state) }), ' ', run.error || '');
}

function showExperiment(run) {
  const prog = $('#exp-progress');
  prog.hidden = run.state !== 'running';
  prog.max = run.total || 1;
  prog.value = run.done;
  const label = run.state === 'running' ? t('exp.progress', { done: run.done, total: run.total || '?', schedule: run.schedule, n: run.n }) : t('exp.done', { schedule: run.schedule, n: run.n });
  $('#exp-state').replaceChildren(el('span', { class: 'pill ' + run.state, 'data-state': run.state, text: t('state.' + run.state) }), label,
    run.experiment?.description ? el('div', { text: run.experiment.description }) : '',
    run.error ? el('div', { class: 'error', text: run.error }) : '', ...noFaults(run.experiment, 'exp.noFault'));
  if (run.experiment) drawExperiment(run.experiment);
}

// noFaults says which APIs a report leaves out because no fault reaches
// them (an external cluster in dialer mode: librdkafka), and why.
function noFaults(rep, key) {
  return (rep?.noFaults || []).map(nf => el('div', { class: 'nofault', 'data-testid': 'nofault', text: t(key, nf) }));
}

function drawExperiment(rep) {
  const rows = rep.rows || [];
  if (window.Chart) drawOutcomes($('#exp-chart'), rep, lang);
  const table = $('#exp-table');
  table.hidden = rows.length === 0;
  $('tbody', table).replaceChildren(...rows.map(r => el('tr', {},
    el('td', { text: r.api }), el('td', {}, modePill(r.mode)),
    ...[r.sent, r.acked, r.failed, r.indeterminate, r.lost, r.duplicated, r.extraRecords, r.orderViolations].map(n => el('td', { class: 'num', text: n })),
    el('td', { class: 'num', text: r.p50Ms.toFixed(1) }), el('td', { class: 'num', text: r.p99Ms.toFixed(1) }))));
}

// ---------- tabs and refresh loop ----------

function showTab(name) {
  state.tab = name;
  $$('.tabs button').forEach(b => b.classList.toggle('active', b.dataset.tab === name));
  $$('.tab').forEach(x => { x.hidden = x.id !== 'tab-' + name; });
  refresh();
}

let refreshing = false;
async function refresh() {
  if (refreshing) return;
  refreshing = true;
  try {
    await loadDuplicates();
    if (state.tab === 'messages') await loadMessages();
    if (state.tab === 'cluster') await loadCluster();
  } finally {
    refreshing = false;
  }
}

async function tick() {
  if ($('#live').checked && !document.hidden) {
    await Promise.all([refresh(), loadProxies(), state.tab === 'cluster' ? null : loadCluster()]);
  }
  setTimeout(tick, 2000);
}

async function resumeRun() {
  const r = await api('GET', '/api/runs/current');
  if (r.ok && r.body) {
    if (r.body.kind === 'validate') showValidate(r.body); else showExperiment(r.body);
    if (r.body.state === 'running' && state.runID !== r.body.id) followRun(r.body.id);
  }
}

// switchLang redraws the page in language l.
function switchLang(l) {
  setLang(l);
  if (state.info) {
    document.title = `${state.info.cluster} · ${t('title')}`;
    $('#validate-btn').title = state.info.validate ? '' : t('validate.na');
    $('#exp-btn').title = state.info.experiment ? '' : t('exp.na');
  }
  Promise.all([refresh(), loadProxies(), loadCluster(), resumeRun()]);
}

async function main() {
  await i18nReady;
  applyStatic();
  $$('#lang button').forEach(b => b.addEventListener('click', () => switchLang(b.dataset.lang)));
  $('#detail-close').addEventListener('click', () => $('#detail').close());
  $$('.tabs button').forEach(b => b.addEventListener('click', () => showTab(b.dataset.tab)));
  $('#topic').addEventListener('change', e => selectTopic(e.target.value));
  $('#send-form').addEventListener('submit', send);
  $('#send-engine').addEventListener('change', () => { $('#send-eventId').value = uniqueEventID(); });
  $('#toxic-form').addEventListener('submit', addToxic);
  $('#toxic-form').addEventListener('input', () => { showToxicError(''); $$('#toxic-form .invalid').forEach(x => x.classList.remove('invalid')); });
  $('#send-form').addEventListener('input', e => e.target.classList?.remove('invalid'));
  $('#toxic-type').addEventListener('change', toxicTypeChanged);
  $('#toxic-reset').addEventListener('click', resetToxics);
  let typing;
  $('#filter').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { state.skip = 0; loadMessages(); }, 250); });
  $('#reread').addEventListener('click', () => { state.seen = new Set(); loadMessages(true); });
  $('#newer').addEventListener('click', () => { state.skip = Math.max(0, state.skip - state.limit); loadMessages(); });
  $('#older').addEventListener('click', () => { state.skip += state.limit; loadMessages(); });
  $('#validate-btn').addEventListener('click', () => startRun({ kind: 'validate' }));
  $('#exp-btn').addEventListener('click', () => startRun({ kind: 'experiment', schedule: $('#exp-schedule').value, n: $('#exp-n').value.trim() }));
  await loadInfo();
  await Promise.all([loadCluster(), loadProxies()]);
  await refresh();
  resumeRun();
  setTimeout(tick, 2000);
}

main();
