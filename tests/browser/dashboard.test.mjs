// End to end: a real hookgate with a failing receiver, driven in headless Chromium. Signs in,
// finds a failed event, retries it and sees the new attempt; checks a view-only token sees no
// write buttons, that no request leaves 127.0.0.1 and that the policy header is there; saves a
// screenshot of every view at 1280×800 and 390×844 (and the overview in dark mode).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { receiver, sendEvent, startGateway, TOKENS } from './gateway.mjs';

const root = resolve(import.meta.dirname, '../..');
const binary = process.env.HOOKGATE_BIN || join(root, 'target/debug/hookgate');
const shots = process.env.SHOTS_DIR || join(root, 'target/dashboard-shots');
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fill(gw) {
  for (let i = 1; i <= 6; i += 1) {
    const a = await sendEvent(gw, 'acme-orders', i % 2 ? 'newReservation' : 'updateReservation', i);
    assert.equal(a.body.status, 'accepted', JSON.stringify(a));
    await sendEvent(gw, 'acme-payments', 'newReservation', 100 + i);
  }
  const filtered = await sendEvent(gw, 'acme-orders', 'cancelReservation', 99);
  assert.equal(filtered.body.status, 'filtered');
  const refused = await fetch(`${gw.public}/api/v1/listener/smoobu/acme-orders`, { method: 'POST', body: '{not json' });
  assert.equal(refused.status, 400);
  // Failing for longer than pause_after pauses the orders receiver.
  await sleep(1500);
  await sendEvent(gw, 'acme-orders', 'newReservation', 7);
  await sleep(1000);
}

async function signIn(page, admin, token) {
  await page.goto(`${admin}/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-count="accepted"]').waitFor();
}

async function shoot(page, size, view) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(shots, `${view}-${size}.png`), fullPage: false });
}

// Every view, at one size, with the all-scopes token; retries a failed event on the way.
async function tour(page, admin, size, retry) {
  await signIn(page, admin, TOKENS.all);
  await page.waitForFunction(() => Number(document.querySelector('[data-count="accepted"] .value').textContent.replace(/\D/g, '')) >= 7);
  await shoot(page, size, 'overview');

  await page.getByRole('link', { name: 'Listeners' }).click();
  await page.getByRole('heading', { name: 'Orders (Smoobu)' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Resume / }).count(), 1, 'the paused receiver has Resume');
  assert.ok(await page.getByRole('button', { name: /Copy listener URL/ }).count() >= 2);
  if (retry) {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy listener URL of Orders (Smoobu)' }).click();
    await page.getByRole('button', { name: 'Copy listener URL of Orders (Smoobu)' }).filter({ hasText: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, 'https://hooks.example.com/api/v1/listener/smoobu/acme-orders');
  }
  await shoot(page, size, 'listeners');

  await page.getByRole('link', { name: 'Events', exact: true }).click();
  await page.getByRole('heading', { name: 'Events', exact: true }).waitFor();
  await page.getByLabel('Listener', { exact: true }).selectOption('orders');
  await page.waitForURL(/listener=orders/);
  await page.getByLabel('Delivery status').selectOption('failed');
  await page.waitForURL(/status=failed/);
  await page.locator('tbody tr').first().waitFor();
  assert.match(await page.locator('.pager span').textContent(), /of [1-9]/);
  await shoot(page, size, 'events');
  // Received before: a time before every event leaves nothing; one after shows them all again.
  await page.getByLabel('Received before').fill('2020-01-01T00:00:00');
  await page.getByText('No events match.').waitFor();
  await page.getByLabel('Received before').fill('2099-01-01T00:00:00');
  await page.locator('tbody tr').first().waitFor();

  await page.locator('tbody tr a').first().click();
  await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
  const attempts = page.locator('tr[data-attempt]');
  await attempts.first().waitFor();
  const before = await attempts.count();
  if (retry) {
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').filter({ hasText: 'Retry queued' }).waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('tr[data-attempt]').length > n, before, { timeout: 15000 });
    assert.equal(await attempts.count(), before + 1, 'the retry shows as a new attempt');
  }
  await shoot(page, size, 'event-detail');

  await page.getByRole('link', { name: 'System events' }).click();
  await page.getByRole('heading', { name: 'System events' }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  await shoot(page, size, 'system-events');
}

async function viewOnly(page, gw) {
  const admin = gw.admin;
  // The retry resumed the orders receiver: fail it for longer than pause_after again.
  await sendEvent(gw, 'acme-orders', 'newReservation', 8);
  await sleep(1300);
  await sendEvent(gw, 'acme-orders', 'newReservation', 9);
  await sleep(700);
  await page.goto(`${admin}/`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, admin, TOKENS.viewer);
  await page.getByText('(view only)').waitFor();
  await page.goto(`${admin}/#/events?listener=orders&status=failed`);
  await page.locator('tbody tr a').first().click();
  await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 0, 'no Retry for a view-only token');
  await page.getByRole('link', { name: 'Listeners' }).click();
  await page.getByRole('heading', { name: 'Orders (Smoobu)' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^Resume / }).count(), 0, 'no Resume for a view-only token');
  assert.ok(await page.getByText('paused').count() >= 1, 'the pause still shows');
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const failing = await receiver(503);
  const working = await receiver(200);
  const gw = await startGateway(binary, failing, working);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ARGS });
  const requests = [];
  const problems = [];
  let current = null;
  try {
    await fill(gw);
    const policy = (await fetch(`${gw.admin}/`)).headers.get('content-security-policy');
    assert.equal(policy, "default-src 'self'");
    for (const [size, viewport] of Object.entries(SIZES)) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      current = page;
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      page.on('pageerror', (e) => problems.push(e.message));
      const first = await page.goto(`${gw.admin}/`);
      assert.equal(first.headers()['content-security-policy'], "default-src 'self'");
      await tour(page, gw.admin, size, size === 'desktop');
      if (size === 'desktop') await viewOnly(page, gw);
      await context.close();
    }
    const dark = await browser.newContext({ viewport: SIZES.desktop, colorScheme: 'dark' });
    const page = await dark.newPage();
    page.on('request', (r) => requests.push(r.url()));
    await signIn(page, gw.admin, TOKENS.all);
    await shoot(page, 'desktop-dark', 'overview');
    await dark.close();

    const away = requests.filter((u) => new URL(u).hostname !== '127.0.0.1');
    assert.deepEqual(away, [], 'every request stays on 127.0.0.1');
    assert.ok(requests.every((u) => !u.includes(TOKENS.all) && !u.includes(TOKENS.viewer)), 'no token in a URL');
    assert.deepEqual(problems, [], 'no script error or policy violation');
    console.log(`dashboard browser test: ok (${requests.length} requests, screenshots in ${shots})`);
  } catch (e) {
    console.error('page problems:', problems);
    if (current) await current.screenshot({ path: join(shots, 'failure.png') }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
    gw.child.kill('SIGTERM');
    failing.close();
    working.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
