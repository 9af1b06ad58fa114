// Measures the events view on a large store: `node measure.mjs STORE_DB [LISTENER] [ACCOUNT]`.
// The store is filled beforehand, e.g. with examples/bench_seed (1,000,000 events for listener
// `orders`, provider smoobu, account acme-orders). Starts hookgate on it (receivers unreachable
// and soon paused, so delivery stays out of the way), then times in headless Chromium, from
// navigation to the first row drawn: the events view, a page deep in the log, a status filter
// and a "Received before" jump. Prints one JSON line; asserts nothing about speed.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const [db, listener = 'orders', account = 'acme-orders'] = process.argv.slice(2);
if (!db) { console.error('usage: node measure.mjs STORE_DB [LISTENER] [ACCOUNT]'); process.exit(2); }
const root = resolve(import.meta.dirname, '../..');
const binary = process.env.HOOKGATE_BIN || join(root, 'target/debug/hookgate');
const TOKEN = 'measure-token';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function start() {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-measure-'));
  const file = join(dir, 'listeners.toml');
  writeFileSync(file, `
[delivery]
allow_targets = ["127.0.0.0/8"]
pause_after = "1s"

[[admin.token]]
name = "measure"
secret = "${TOKEN}"
scopes = ["WEBHOOKS:VIEW"]

[[listener]]
id = "${listener}"
name = "Measured"
provider = "smoobu"
account_id = "${account}"

[[listener.receiver]]
url = "http://127.0.0.1:9/down"
`);
  const child = spawn(binary, ['serve', '--config', file, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
    '--store', `sqlite://${resolve(db)}`, '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((ok, fail) => {
    let rest = '';
    child.stderr.on('data', (c) => {
      rest += c;
      const lines = rest.split('\n');
      rest = lines.pop();
      for (const l of lines) if (l.includes('listening') && l.includes('public')) ok({ child, admin: `http://${JSON.parse(l).admin}` });
    });
    child.on('exit', (code) => fail(new Error(`hookgate exited ${code}`)));
  });
}

// A full load of `url` (a fresh document, the token still in the tab's session storage) until
// `ready` shows.
async function timed(page, url, ready) {
  await page.goto('about:blank');
  const t0 = Date.now();
  await page.goto(url);
  await page.locator(ready).first().waitFor({ timeout: 120000 });
  return Date.now() - t0;
}

const gw = await start();
// Let the receiver pause (its pending deliveries are then held) before timing.
await new Promise((r) => setTimeout(r, 5000));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const sizes = [];
  page.on('response', (r) => { if (r.url().includes('/assets/') || r.url().endsWith('/')) sizes.push(r.body().then((b) => b.length)); });
  await page.goto(`${gw.admin}/`);
  await page.getByLabel('Admin token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-count="accepted"]').waitFor();
  const assetBytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  const base = `${gw.admin}/#/events?listener=${listener}`;
  const list = (q) => fetch(`${gw.admin}/api/v1/integration_account_webhook/${listener}/events?${q}`,
    { headers: { Authorization: `Bearer ${TOKEN}` } }).then((r) => r.json());
  const total = (await list('take=1')).totalEventsCount;
  // A time in the middle of the log, for the "Received before" jump.
  const middle = (await list(`take=1&skip=${Math.floor(total / 2)}`)).events[0].receivedAt;
  const result = {
    total,
    assetBytes,
    firstPageMs: await timed(page, `${base}&live=off`, 'tbody tr'),
    firstPageAgainMs: await timed(page, `${base}&live=off`, 'tbody tr'),
    deepPageMs: await timed(page, `${base}&live=off&skip=${Math.floor(total / 2)}`, 'tbody tr'),
    pendingFilterMs: await timed(page, `${base}&live=off&status=pending`, 'tbody tr'),
    receivedBeforeMs: await timed(page, `${base}&live=off&before=${encodeURIComponent(middle)}`, 'tbody tr'),
  };
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  gw.child.kill('SIGTERM');
}
