// Cross-origin browser test: it starts a lab on free ports and, in Debian's
// Chromium, opens an attacker page served from another origin (its own
// little HTTP server) that tries what a hostile web page on the trainee's
// machine would: text/plain form POSTs and no-cors fetch POSTs to the
// console, both producer APIs and Toxiproxy's API. Then, from the server
// side, it checks nothing changed: no toxic, no proxy, no record, no run.
// It also opens every listener under a rebound name (Chromium's resolver
// maps rebind.test to 127.0.0.1), as DNS rebinding would, and expects 403.
//
//   cd tests/browser && npm ci && node cross-origin.test.mjs
//
// Environment: CHROMIUM (default /usr/bin/chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { executablePath, log, Failure, expect, startLab, stopLab, chromiumArgs } from './lab.mjs';

// The attacks: [description, kind (form or fetch), URL, text/plain body].
function attacks(u) {
  const toxic = name => JSON.stringify({ name, type: 'latency', attributes: { latency: 3000 } });
  return [
    ['console: add a toxic', 'form', `${u.console}/api/proxies/kafka/toxics`, toxic('evil_form')],
    ['console: add a toxic', 'fetch', `${u.console}/api/proxies/kafka/toxics`, toxic('evil_fetch')],
    ['console: reset the proxies', 'fetch', `${u.console}/api/reset`, ''],
    ['console: reset the progress', 'form', `${u.console}/api/progress/reset`, ''],
    ['console: reset the progress', 'fetch', `${u.console}/api/progress/reset`, ''],
    ['console: start validate', 'form', `${u.console}/api/runs?kind=validate`, ''],
    ['console: start validate', 'fetch', `${u.console}/api/runs?kind=validate`, ''],
    ['console: start an experiment', 'fetch', `${u.console}/api/runs?kind=experiment&schedule=ack-loss&n=10`, ''],
    ['console: send', 'form', `${u.console}/api/send?engine=franz&mode=plain&eventId=EVIL-console-form`, ''],
    ['console: send', 'fetch', `${u.console}/api/send?engine=librdkafka&mode=plain&eventId=EVIL-console-fetch`, ''],
    ['franz API: send', 'form', `${u.franz}/api/v1/send?mode=plain&eventId=EVIL-franz-form`, ''],
    ['franz API: send', 'fetch', `${u.franz}/api/v1/send?mode=plain&eventId=EVIL-franz-fetch`, ''],
    ['librdkafka API: send', 'form', `${u.librdkafka}/api/v1/send?mode=plain&eventId=EVIL-rdkafka-form`, ''],
    ['librdkafka API: send', 'fetch', `${u.librdkafka}/api/v1/send?mode=idempotent&eventId=EVIL-rdkafka-fetch`, ''],
    ['Toxiproxy: add a toxic', 'form', `${u.toxiproxy}/proxies/kafka/toxics`, toxic('evil_toxi_form')],
    ['Toxiproxy: add a toxic', 'fetch', `${u.toxiproxy}/proxies/kafka/toxics`, toxic('evil_toxi_fetch')],
    ['Toxiproxy: open a relay proxy', 'fetch', `${u.toxiproxy}/proxies`, JSON.stringify({ name: 'evil_relay', listen: '127.0.0.1:0', upstream: '127.0.0.1:22' })],
  ];
}

// attackerPage is the hostile page: every form posts into its own iframe,
// every fetch is no-cors; window.done is set once all have been sent.
function attackerPage(list) {
  const forms = [], fetches = [];
  list.forEach(([, kind, url, body], i) => {
    if (kind === 'form') {
      // text/plain: name=value, so the JSON's tail hides in the value.
      // {"a":1} is sent as {"a":1,"x":"="}: name {"a":1,"x":" and value "}.
      const name = body ? body.slice(0, -1) + ',"x":"' : 'x';
      const value = body ? '"}' : '';
      forms.push(`<iframe name="f${i}"></iframe><form method="POST" enctype="text/plain" target="f${i}" action="${url.replace(/&/g, '&amp;')}">` +
        `<input type="hidden" name='${name.replace(/'/g, '&#39;')}' value='${value}'></form>`);
    } else {
      fetches.push({ url, body });
    }
  });
  return `<!doctype html><html><body><h1>Totally harmless page</h1>${forms.join('\n')}
<script>
const fetches = ${JSON.stringify(fetches)};
(async () => {
  const frames = [...document.querySelectorAll('iframe')];
  const loaded = frames.map(f => new Promise(res => f.addEventListener('load', res, { once: true })));
  document.querySelectorAll('form').forEach(f => f.submit());
  await Promise.all(fetches.map(f => fetch(f.url, { method: 'POST', mode: 'no-cors', body: f.body,
    headers: { 'Content-Type': 'text/plain' } }).catch(() => null)));
  await Promise.all(loaded);
  window.done = true;
})();
</script></body></html>`;
}

async function getJSON(url) {
  const r = await fetch(url);
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

// state reads, from the server side, what the attacks could change.
async function state(u) {
  const proxies = (await getJSON(`${u.toxiproxy}/proxies`)).body;
  const toxics = Object.values(proxies).flatMap(p => p.toxics.map(t => `${p.name}/${t.name}`));
  const cluster = (await getJSON(`${u.console}/api/cluster`)).body;
  const topic = cluster.topics.find(t => t.name === 'bhf-transactions');
  const evil = (await getJSON(`${u.console}/api/messages?topic=bhf-transactions&q=EVIL&reread=true`)).body;
  const run = await getJSON(`${u.console}/api/runs/current`);
  return { proxies: Object.keys(proxies).sort(), toxics, records: topic.records, evil: evil.matched, run: run.status };
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'prodlab-xorigin-'));
  let lab, browser, attacker;
  try {
    lab = await startLab(dir);
    const u = lab.urls;
    log('lab: ' + JSON.stringify(u));
    const list = attacks(u);
    attacker = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(attackerPage(list));
    });
    await new Promise(res => attacker.listen(0, '127.0.0.1', res));
    // Another origin on the same machine: a name, not 127.0.0.1:port.
    const attackerURL = `http://attacker.test:${attacker.address().port}/`;

    const before = await state(u);
    log('before: ' + JSON.stringify(before));
    expect(before.toxics.length === 0 && before.run === 204 && before.evil === 0, 'the lab is not fresh: ' + JSON.stringify(before));

    browser = await chromium.launch({
      executablePath, headless: true,
      args: chromiumArgs('--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebind.test 127.0.0.1'),
    });
    const page = await browser.newPage();
    const statuses = new Map();
    page.on('response', r => { if (r.request().method() === 'POST') statuses.set(`${r.url()} ${r.request().resourceType()}`, r.status()); });
    await page.goto(attackerURL);
    await page.waitForFunction(() => window.done === true, null, { timeout: 60000 });
    log(`attacker page at ${attackerURL} sent ${list.length} requests`);
    // Chromium sees each answer; every one must be a refusal.
    expect(statuses.size === list.length, `only ${statuses.size} answers seen for ${list.length} requests: ${[...statuses.keys()]}`);
    const passed = [...statuses].filter(([, s]) => s !== 403).map(([k, s]) => `${k} answered ${s}`);
    // The server's state: the run would have started, the sends landed.
    const after = await state(u);
    log('after: ' + JSON.stringify(after));
    expect(passed.length === 0, `${passed.length} of ${statuses.size} cross-origin POSTs were not refused with 403:\n  ${passed.join('\n  ')}`);
    log(`every cross-origin POST answered 403 (${statuses.size} seen)`);
    expect(JSON.stringify(after) === JSON.stringify(before), 'the attacker page changed the lab: before ' + JSON.stringify(before) + ', after ' + JSON.stringify(after));

    // DNS rebinding: the same listeners under a name the lab does not know.
    for (const [name, base] of Object.entries(u)) {
      const rebound = base.replace('127.0.0.1', 'rebind.test') + '/';
      const resp = await page.goto(rebound);
      const text = await page.textContent('body');
      expect(resp.status() === 403, `${name} at ${rebound} answered ${resp.status()}, want 403`);
      expect(/is not allowed/.test(text) && !/BHF-Training|proxies/.test(text), `${name} at ${rebound} showed ${text.slice(0, 200)}`);
    }
    log('every listener refuses a rebound Host with 403');

    // Control: the console's own page can still add and remove a toxic.
    await page.goto(u.console);
    const own = await page.evaluate(async () => {
      const add = await fetch('/api/proxies/kafka/toxics', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'own_page', type: 'latency', attributes: { latency: 1 } }) });
      const del = await fetch('/api/proxies/kafka/toxics/own_page', { method: 'DELETE' });
      return [add.status, del.status];
    });
    expect(own[0] === 201 && own[1] === 204, `the console's own page: add ${own[0]}, delete ${own[1]}`);
    log('the console\'s own page still adds (201) and removes (204) a toxic');
    log('PASS');
  } finally {
    if (browser) await browser.close();
    if (attacker) attacker.close();
    await stopLab(lab);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e instanceof Failure ? 'FAIL: ' + e.message : e);
  process.exit(1);
});
