// Browser test of the prodlab web console: it builds prodlab, starts a lab on
// free ports in a temporary directory, and drives the console in Debian's
// Chromium through playwright-core (which never downloads a browser).
//
//   cd tests/browser && npm ci && node console.test.mjs
//
// It exits non-zero on the first failed expectation and always stops the lab.
// The console is driven in French (its default), then switched to English.
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT (default
// build/screenshots/console.png in the repository, which git ignores) and
// SCREENSHOT_LAB (the Lab 02.4 tab after the experiment, default
// build/screenshots/console-lab.png), HEADED=1 to watch it. `make
// screenshots` points both at docs/img to refresh README's images.
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { root, executablePath, log, Failure, expect, startLab, stopLab, chromiumArgs } from './lab.mjs';

const screenshot = path.resolve(root, process.env.SCREENSHOT || 'build/screenshots/console.png');
const screenshotLab = path.resolve(root, process.env.SCREENSHOT_LAB || 'build/screenshots/console-lab.png');

// sendFromPanel fills the send panel and submits it; it returns the eventId
// and the final state line once the answer (or the async status) settles.
async function sendFromPanel(page, { engine, mode, sendMode }) {
  await page.selectOption('#send-engine', engine);
  await page.check(`#send-form input[name=mode][value=${mode}]`);
  await page.check(`#send-form input[name=sendMode][value=${sendMode}]`);
  const eventId = await page.inputValue('#send-eventId');
  expect(/^CONSOLE-/.test(eventId), `the eventId is not pre-filled: ${JSON.stringify(eventId)}`);
  await page.click('#send-btn');
  if (sendMode === 'async') {
    // PENDING first, or OK at once if the broker was quicker than the page.
    await page.waitForSelector('#send-state .pill[data-state]', { timeout: 15000 });
    await page.waitForSelector('#send-state .pill[data-state=OK]', { timeout: 30000 });
  } else {
    await page.waitForSelector('#send-state .pill.OK', { timeout: 30000 });
  }
  const line = (await page.textContent('#send-state')).trim();
  expect(/partition \d+ · offset \d+/.test(line), `the send panel shows no partition and offset: ${line}`);
  const next = await page.inputValue('#send-eventId');
  expect(next !== eventId, 'the eventId was not renewed after a send');
  log(`sent ${mode}/${sendMode} through ${engine}: ${eventId} → ${line}`);
  return eventId;
}

// messageRow waits for eventId's row in the messages view and returns its
// partition and offset.
async function messageRow(page, eventId) {
  const row = page.locator(`#messages tbody tr[data-event-id="${eventId}"]`);
  await row.first().waitFor({ timeout: 15000 });
  const cells = await row.first().locator('td').allTextContents();
  expect(/^\d+$/.test(cells[0]) && /^\d+$/.test(cells[1]), `row of ${eventId} has no partition/offset: ${cells}`);
  return { partition: Number(cells[0]), offset: Number(cells[1]), count: await row.count() };
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'prodlab-browser-'));
  let lab, browser;
  const problems = [];
  try {
    lab = await startLab(dir);
    const consoleURL = lab.urls.console;
    const origin = new URL(consoleURL).origin;
    log('console at ' + consoleURL);

    browser = await chromium.launch({
      executablePath,
      headless: !process.env.HEADED,
      args: process.env.HEADED ? chromiumArgs() : chromiumArgs('--headless'),
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', e => problems.push('page error: ' + e.message));
    // The backend's 4xx answers are expected (a refused toxic); Chromium
    // logs each as "Failed to load resource". Missing page files are not.
    page.on('console', m => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push('console error: ' + m.text());
    });
    page.on('response', r => {
      if (!new URL(r.url()).pathname.startsWith('/api/') && r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
    });
    // Everything must come from the binary: no CDN, no network.
    page.on('request', r => {
      if (!r.url().startsWith(origin + '/') && !r.url().startsWith('data:')) problems.push('request outside the console: ' + r.url());
    });

    await page.goto(consoleURL);
    await page.waitForSelector('#health-dot.ok', { timeout: 20000 });
    // French by default: the guide's language and its labels.
    expect(await page.getAttribute('html', 'lang') === 'fr', 'the page is not in French by default');
    for (const [sel, want] of [['.tabs button[data-tab=messages]', 'Messages'], ['.tabs button[data-tab=duplicates]', 'Doublons'],
      ['#send-card h2', 'Envoyer un message'], ['#send-btn', 'Envoyer'], ['#toxic-add', 'Ajouter le toxic'], ['#messages th:nth-child(8)', 'Valeur']]) {
      const got = (await page.textContent(sel)).trim();
      expect(got.startsWith(want), `${sel} reads ${JSON.stringify(got)}, want ${JSON.stringify(want)} in French`);
    }
    log('the console speaks French by default');
    // The Parcours panel: the ten checkpoints, none ticked on a new lab,
    // each linked to its section of the guide.
    await page.waitForSelector('#progress-card:not([hidden]) #progress-table tbody tr', { timeout: 10000 });
    const parcours = await page.$$eval('#progress-table tbody tr', trs => trs.map(tr => [tr.dataset.id, tr.className]));
    expect(parcours.length === 10, `the Parcours panel has ${parcours.length} rows, want 10`);
    expect((await page.textContent('#progress-h')) === 'Parcours', 'the progress panel is not titled Parcours in French');
    const validateRow = '#progress-table tr[data-id="02.4"]';
    expect(await page.getAttribute(validateRow, 'class') === 'todo', '02.4 is ticked on a new lab');
    const href = await page.getAttribute(validateRow + ' a', 'href');
    expect(href.endsWith('module-02-producer-reliability.md#-lab-024---idempotence-vs-plain-test-clé'), `02.4 links to ${href}`);
    log('Parcours: 10 checkpoints, 02.4 to do, linked to ' + href.replace(/^.*#/, '#'));
    expect((await page.textContent('#cluster-name')) === 'BHF-Training', 'the cluster is not named BHF-Training');
    const engines = await page.$$eval('#send-engine option', os => os.map(o => o.value));
    log('engines: ' + engines.join(', '));
    expect(engines.includes('franz'), 'franz is not offered in the send panel');
    const second = engines.includes('librdkafka') ? 'librdkafka' : 'franz';

    // 1. A plain and an idempotent message, both seen with partition and offset.
    const plainID = await sendFromPanel(page, { engine: 'franz', mode: 'plain', sendMode: 'sync' });
    const idemID = await sendFromPanel(page, { engine: second, mode: 'idempotent', sendMode: 'async' });
    for (const id of [plainID, idemID]) {
      const r = await messageRow(page, id);
      expect(r.count === 1, `${id} appears ${r.count} times`);
      log(`messages view: ${id} at partition ${r.partition}, offset ${r.offset}`);
    }
    const modes = await page.$$eval(`#messages tbody tr[data-event-id="${idemID}"] .pill`, ps => ps.map(p => p.textContent));
    expect(modes.includes('idempotent'), `the idempotent record shows mode ${modes}`);
    await page.fill('#filter', plainID);
    await page.waitForFunction(id => {
      const rows = [...document.querySelectorAll('#messages tbody tr')];
      return rows.length === 1 && rows[0].dataset.eventId === id;
    }, plainID, { timeout: 10000 });
    log('filter by eventId keeps exactly its row');
    await page.fill('#filter', '');

    // 2. A latency toxic, listed, then removed.
    await page.selectOption('#toxic-proxy', 'kafka');
    await page.selectOption('#toxic-type', 'latency');
    // The form starts at the guide's 500 ms (Étape 12), below the 1 s
    // request timeout.
    expect(await page.inputValue('#toxic-latency') === '500', `the latency form starts at ${await page.inputValue('#toxic-latency')} ms, want 500`);
    await page.fill('#toxic-latency', '1500');
    await page.click('#toxic-add');
    const toxic = page.locator('.proxy[data-proxy=kafka] .toxic[data-toxic=latency_downstream]');
    await toxic.waitFor({ timeout: 10000 });
    const desc = await toxic.textContent();
    expect(desc.includes('latency 1500 ms'), `the toxic is listed as ${desc}`);
    expect((await toxic.locator('button').textContent()) === 'Retirer', 'the remove button is not in French');
    log('toxic listed: ' + desc.replace('Retirer', '').trim());
    await toxic.locator('button').click();
    await toxic.waitFor({ state: 'detached', timeout: 10000 });
    await page.waitForSelector('.proxy[data-proxy=kafka] .none', { timeout: 10000 });
    log('toxic removed');
    // A bad value is refused with the backend's sentence.
    await page.fill('#toxic-latency', '9999999');
    await page.click('#toxic-add');
    await page.waitForSelector('#toxic-error:not([hidden])', { timeout: 10000 });
    const refusal = await page.textContent('#toxic-error');
    // The backend answers in the page's language (Accept-Language): French here.
    expect(/hors limites|out of range/.test(refusal), `a 9999999 ms latency was not refused: ${refusal}`);
    log('bad toxic refused: ' + refusal);
    await page.fill('#toxic-latency', '500');

    // 3. The validate scenario, then the plain duplicate in the duplicates view.
    await page.click('.tabs button[data-tab=lab]');
    expect(await page.isEnabled('#validate-btn'), 'the console cannot run the validation (button disabled)');
    await page.click('#validate-btn');
    log('validate running');
    await page.waitForSelector('#validate-out[data-state=ok], #validate-out[data-state=failed]', { timeout: 120000 });
    const verdict = (await page.textContent('#validate-out')).trim();
    log('validate: ' + verdict.split('\n')[0]);
    expect(await page.getAttribute('#validate-out', 'data-state') === 'ok', 'validate failed: ' + verdict);
    // The lab counted the copies itself: 02.4 turns green in the Parcours
    // panel, while 02.3 (no send was slowed by a latency toxic) stays to do.
    await page.waitForSelector(validateRow + '.done', { timeout: 15000 });
    const how = (await page.textContent(validateRow + ' td:nth-child(2) .small')).trim();
    expect(/_plain=2/.test(how) && /_idempotent=1/.test(how), `02.4 ticked with ${how}`);
    expect(await page.getAttribute('#progress-table tr[data-id="02.3"]', 'class') === 'todo', '02.3 ticked without a slowed send');
    log('Parcours: 02.4 turned green: ' + how);
    const run = await page.evaluate(async () => (await fetch('/api/runs/current')).json());
    const plainIDs = (run.validate.runs || []).filter(r => r.mode === 'plain').map(r => r.eventId);
    expect(plainIDs.length > 0, 'the validation reports no plain eventId: ' + JSON.stringify(run.validate));
    await page.click('#validate-out button');
    await page.waitForSelector('#tab-duplicates:not([hidden])');
    for (const id of plainIDs) {
      const row = page.locator(`#duplicates tbody tr[data-event-id="${id}"]`);
      await row.waitFor({ timeout: 15000 });
      const cells = await row.locator('td').allTextContents();
      expect(Number(cells[1]) >= 2, `${id} has ${cells[1]} copies in the duplicates view`);
      expect(cells[2] === '1 producteur', `${id}: written by ${cells[2]}, want 1 producteur (the retry)`);
      expect(/p\d+ @ \d+.*p\d+ @ \d+/.test(cells[3]), `${id}: no offsets of its copies: ${cells[3]}`);
      log(`duplicates view: ${id} ×${cells[1]} (${cells[2]}) at ${cells[3].replace(/(\d)p/g, '$1, p')}`);
    }
    const idemDup = (run.validate.runs || []).filter(r => r.mode === 'idempotent').map(r => r.eventId);
    for (const id of idemDup) {
      expect(await page.locator(`#duplicates tbody tr[data-event-id="${id}"]`).count() === 0, `idempotent ${id} is listed as a duplicate`);
    }

    mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });
    log('screenshot: ' + path.relative(root, screenshot));

    // The English switch: labels change at once and the choice survives a reload.
    await page.click('#lang-en');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    await page.waitForFunction(() => document.querySelector('.tabs button[data-tab=duplicates]').textContent.startsWith('Duplicates'));
    await page.waitForFunction(id => document.querySelector(`#duplicates tbody tr[data-event-id="${id}"] td:nth-child(3)`)?.textContent === '1 producer', plainIDs[0], { timeout: 10000 });
    await page.reload();
    await page.waitForSelector('#health-dot.ok', { timeout: 20000 });
    expect(await page.getAttribute('html', 'lang') === 'en', 'the English choice was not remembered across a reload');
    expect((await page.textContent('#send-btn')).trim() === 'Send', 'the send button is not in English after the switch');
    await page.waitForFunction(() => document.querySelector('#progress-h').textContent === 'Progress', null, { timeout: 10000 });
    log('English switch: labels in English, remembered after a reload');

    // A long value wraps in its cell (no horizontal scrolling) and opens whole in a dialog.
    await page.click('.tabs button[data-tab=messages]');
    const longID = 'LONG-' + 'x'.repeat(240) + '-' + Date.now();
    await page.fill('#send-eventId', longID.slice(0, 256));
    await page.click('#send-btn');
    await page.waitForSelector('#send-state .pill.OK', { timeout: 30000 });
    const longRow = page.locator(`#messages tbody tr[data-event-id="${longID.slice(0, 256)}"]`);
    await longRow.waitFor({ timeout: 15000 });
    const overflow = await page.$eval('#tab-messages .scroll', s => s.scrollWidth - s.clientWidth);
    expect(overflow <= 1, `the messages table scrolls ${overflow}px sideways with a long value`);
    await longRow.locator('td.value button.more').click();
    await page.waitForSelector('#detail[open]');
    const detail = await page.textContent('#detail-body');
    expect(detail.includes(longID.slice(0, 256)), 'the detail view does not hold the whole value');
    await page.click('#detail-close');
    await page.waitForFunction(() => !document.querySelector('#detail').open);
    log('a long value wraps, and opens whole in the detail view');
    // Back to French, the default, for the rest and the Lab 02.4 screenshot.
    await page.click('#lang-fr');
    await page.waitForFunction(() => document.documentElement.lang === 'fr' && document.querySelector('#send-btn').textContent === 'Envoyer');

    // 4. A small ack-loss experiment from the page: progress, then the chart.
    const n = 100;
    await page.click('.tabs button[data-tab=lab]');
    await page.selectOption('#exp-schedule', 'ack-loss');
    await page.fill('#exp-n', String(n));
    await page.click('#exp-btn');
    await page.waitForSelector('#exp-state .pill.running', { timeout: 10000 });
    log('experiment running');
    await page.waitForSelector('#exp-state .pill.ok, #exp-state .pill.failed', { timeout: 180000 });
    expect(['réussi', 'échec'].includes(await page.textContent('#exp-state .pill')), 'the experiment state is not in French on the French page');
    const expState = (await page.textContent('#exp-state')).trim();
    expect(await page.$('#exp-state .pill.ok'), 'the experiment failed: ' + expState);
    const rows = await page.$$eval('#exp-table tbody tr', trs => trs.map(tr => [...tr.cells].map(td => td.textContent)));
    expect(rows.length === engines.length * 2, `the experiment table has ${rows.length} rows, want ${engines.length * 2}`);
    const chart = await page.evaluate(() => {
      const ch = window.Chart.getChart(document.querySelector('#exp-chart'));
      return ch && { labels: ch.data.labels, totals: ch.data.labels.map((_, i) => ch.data.datasets.reduce((a, d) => a + d.data[i], 0)) };
    });
    expect(chart && chart.labels.length === rows.length, 'no chart of the outcomes: ' + JSON.stringify(chart));
    expect(chart.totals.every(t => t === n), `each bar must add up to the ${n} requests: ${chart.totals}`);
    await page.screenshot({ path: screenshotLab });
    log('screenshot: ' + path.relative(root, screenshotLab));
    for (const r of rows) log(`experiment: ${r[0]} ${r[1]}: sent ${r[2]}, acked ${r[3]}, failed ${r[4]}, lost ${r[6]}, duplicated ${r[7]}`);

    expect(problems.length === 0, 'the page had problems:\n  ' + problems.join('\n  '));
    log('PASS');
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopLab(lab);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(err => {
  console.error(`FAIL: ${err instanceof Failure ? err.message : err.stack || err}`);
  process.exitCode = 1;
});
