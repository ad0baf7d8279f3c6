// What both browser tests share: logging, expectations, and a lab started
// by 'prodlab up' on free ports in a temporary directory.
import { spawn, execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const started = Date.now();

export const log = msg => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}`);

export class Failure extends Error {}
export function expect(cond, msg) {
  if (!cond) throw new Failure(msg);
}

// startLab builds prodlab into dir and runs 'prodlab up' on free ports; it
// resolves with the banner's URLs once it is printed (the APIs are ready).
export async function startLab(dir) {
  const bin = path.join(dir, 'prodlab');
  log('building prodlab');
  execFileSync('go', ['build', '-o', bin, './cmd/prodlab'], { cwd: root, stdio: 'inherit' });
  const args = ['up', '--lang', 'en', '--data-dir', path.join(dir, 'data'), '--console-port', '0', '--broker-port', '0',
    '--proxy-port', '0', '--toxiproxy-port', '0', '--franz-port', '0', '--librdkafka-port', '0'];
  log('starting: prodlab ' + args.join(' '));
  const proc = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', d => { stderr = (stderr + d).slice(-20000); });
  const urls = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Failure('the lab printed no banner within 120 s:\n' + stderr)), 120000);
    proc.stdout.on('data', d => {
      out += d;
      if (!out.includes('Press Ctrl-C')) return;
      clearTimeout(timer);
      process.stdout.write(out);
      const find = re => (out.match(re) || [])[1];
      resolve({
        console: find(/Web console\s+(http:\/\/\S+)/),
        toxiproxy: find(/Toxiproxy API\s+(http:\/\/\S+)/),
        franz: find(/Producer API \(franz\)\s+(http:\/\/\S+)/),
        librdkafka: find(/Producer API \(librdkafka\)\s+(http:\/\/\S+)/),
      });
    });
    proc.on('exit', code => { clearTimeout(timer); reject(new Failure(`prodlab up exited with ${code}:\n${stderr}`)); });
  });
  proc.removeAllListeners('exit');
  for (const [k, v] of Object.entries(urls)) expect(v, `no ${k} URL in the banner`);
  return { proc, urls, stderr: () => stderr };
}

// stopLab interrupts the lab and waits for it to exit, killing it after 30 s.
export async function stopLab(lab) {
  if (!lab || lab.proc.exitCode !== null) return;
  const exited = new Promise(res => lab.proc.once('exit', res));
  lab.proc.kill('SIGINT');
  const timer = setTimeout(() => lab.proc.kill('SIGKILL'), 30000);
  await exited;
  clearTimeout(timer);
}

// chromiumArgs are the flags both tests start Chromium with, plus extra.
export const chromiumArgs = (...extra) => ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', ...extra];
