// Drives the admin page (/admin/) in headless Chromium against a running gateway.
//
//   node admin-page.mjs --url http://127.0.0.1:PORT --session HANDLE --expect-upstreams demo,other --screenshots DIR
//
// Waits for the expected upstream cards and the session's row, for the calls/s chart to have drawn samples,
// screenshots the page, closes the session through its row's button (which asks for a second click), waits for the
// row to go, screenshots again, and checks that Live traffic received at least one frame.
// Prints one JSON line: {"ok":true,"upstreams":[...],"closed":"HANDLE","trafficRows":N} (exit 0)
// or {"ok":false,"error":"..."} (exit 1). Bounded to 60 s overall; the browser only reaches 127.0.0.1 (playwright
// gives it a fresh temporary profile, removed on close).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const OVERALL_MS = 60_000;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument: ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      out[a.slice(2)] = v;
      i++;
    }
  }
  return out;
}

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

let browser = null;
let finished = false;

async function cleanup() {
  if (browser) {
    const b = browser;
    browser = null;
    await Promise.race([b.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
  }
}

async function fail(message) {
  if (finished) return;
  finished = true;
  emit({ ok: false, error: message });
  await cleanup();
  process.exit(1);
}

const watchdog = setTimeout(() => { fail(`timed out after ${OVERALL_MS / 1000} s (overall bound)`); }, OVERALL_MS);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const base = (args.url || '').replace(/\/+$/, '');
  const handle = args.session;
  const expected = (args['expect-upstreams'] || '').split(',').map((s) => s.trim()).filter(Boolean);
  const shots = resolve(args.screenshots || '.');
  if (!base) throw new Error('--url is required');
  if (!handle) throw new Error('--session is required');
  if (new URL(base).hostname !== '127.0.0.1') throw new Error(`--url must point at 127.0.0.1, not ${new URL(base).hostname}`);
  mkdirSync(shots, { recursive: true });

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 20_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, serviceWorkers: 'block' });
  await context.route('**/*', (r) => {
    let host = '';
    try { host = new URL(r.request().url()).hostname; } catch (_) { /* data: and the like */ }
    return host === '127.0.0.1' || r.request().url().startsWith('data:') ? r.continue() : r.abort();
  });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e && e.message ? e.message : e)));

  const resp = await page.goto(`${base}/admin/`, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  if (!resp || !resp.ok()) throw new Error(`GET /admin/ answered ${resp ? resp.status() : 'nothing'}`);

  const sessionRow = page.locator(`[data-session="${handle.replace(/["\\]/g, '\\$&')}"]`);
  const upstreamNames = () => page.$$eval('[data-testid="upstreams"] [data-upstream]', (els) => els.map((e) => e.dataset.upstream));

  // 1. the expected upstreams and the session's row
  try {
    await page.waitForFunction(({ names, h }) => {
      const seen = new Set([...document.querySelectorAll('[data-testid="upstreams"] [data-upstream]')].map((e) => e.dataset.upstream));
      return names.every((n) => seen.has(n)) && document.querySelector(`[data-session="${CSS.escape(h)}"]`) !== null;
    }, { names: expected, h: handle }, { timeout: 20_000, polling: 250 });
  } catch (_) {
    const seen = await upstreamNames().catch(() => []);
    const auth = await page.locator('#auth-message').textContent().catch(() => '');
    throw new Error(`page did not show upstreams [${expected}] and session ${handle} within 20 s (upstreams seen: [${seen}]`
      + `, session row: ${await sessionRow.count()}${auth ? `, auth: ${auth}` : ''})`);
  }

  // 2. the calls/s chart has drawn at least two samples (or metrics are off and the page says so)
  try {
    await page.waitForFunction(() => {
      const note = document.getElementById('metrics-note');
      if (document.getElementById('chart-grid').hidden && note && !note.hidden) return true;
      return Number(document.querySelector('[data-testid="chart-rate"]').dataset.samples) >= 2;
    }, null, { timeout: 15_000, polling: 250 });
  } catch (_) {
    const n = await page.locator('[data-testid="chart-rate"]').getAttribute('data-samples').catch(() => '?');
    throw new Error(`calls/s chart had ${n} samples after 15 s (wanted 2)`);
  }

  // 3. some traffic, if it came already, makes the overview shot more telling; it is required only later
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="traffic"] tr').length > 0, null,
    { timeout: 3_000, polling: 250 }).catch(() => {});
  await page.screenshot({ path: join(shots, 'admin-overview.png'), fullPage: true, timeout: 10_000 });
  const seen = await upstreamNames();

  // 4. close the session: first click asks, second closes
  const button = sessionRow.locator('[data-testid="close-session"]');
  await button.click({ timeout: 5_000 });
  await page.waitForFunction((h) => {
    const b = document.querySelector(`[data-session="${CSS.escape(h)}"] [data-testid="close-session"]`);
    return !b || b.classList.contains('confirm');
  }, handle, { timeout: 3_000 });
  if (await sessionRow.count()) await button.click({ timeout: 5_000 });
  try {
    await sessionRow.waitFor({ state: 'detached', timeout: 10_000 });
  } catch (_) {
    const label = await button.textContent().catch(() => '?');
    throw new Error(`row of session ${handle} still shown 10 s after closing it (button: ${label})`);
  }
  // the gateway really closed it: /api/sessions no longer lists it (asked from the page, with its token if any)
  const stillListed = await page.evaluate(async (h) => {
    const t = sessionStorage.getItem('shadowcat.token');
    const res = await fetch(new URL('../api/sessions', location.href), { headers: t ? { Authorization: `Bearer ${t}` } : {}, cache: 'no-store' });
    if (!res.ok) return `GET /api/sessions answered ${res.status}`;
    return (await res.json()).some((s) => s.id === h) ? 'still listed by GET /api/sessions' : '';
  }, handle);
  if (stillListed) throw new Error(`session ${handle} was not closed: ${stillListed}`);
  await page.waitForTimeout(1_500); // let the refresh that follows a close settle the header and tables
  await page.screenshot({ path: join(shots, 'admin-session-closed.png'), fullPage: true, timeout: 10_000 });

  // 5. the live traffic panel got at least one frame
  let trafficRows = 0;
  try {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="traffic"] tr').length > 0, null,
      { timeout: 10_000, polling: 250 });
  } catch (_) {
    const state = await page.locator('[data-testid="traffic-state"]').textContent().catch(() => '?');
    const sub = await page.locator('#traffic-sub').textContent().catch(() => '');
    throw new Error(`live traffic showed no frame within 10 s (stream: ${state}${sub ? `, ${sub}` : ''})`);
  }
  trafficRows = await page.locator('[data-testid="traffic"] tr').count();
  if (pageErrors.length) throw new Error(`page script errors: ${pageErrors.slice(0, 3).join(' | ')}`);
  return { ok: true, upstreams: seen, closed: handle, trafficRows };
}

try {
  const result = await main();
  if (!finished) {
    finished = true;
    clearTimeout(watchdog);
    await cleanup();
    emit(result);
    process.exit(0);
  }
} catch (e) {
  clearTimeout(watchdog);
  await fail(String(e && e.message ? e.message : e).split('\n')[0]);
}
