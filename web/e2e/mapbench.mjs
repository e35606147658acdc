// The map's benchmark in a real browser: how soon the map first draws, and
// how smoothly it pans, with many incidents in the store.
//
//   npm run mapbench                      # from web/: 100,000 incidents
//   node e2e/mapbench.mjs --incidents 3400 --loads 5 --pans 4
//   node e2e/mapbench.mjs --reuse DIR    # keep the database in DIR, and use it again next time
//
// It builds guarantor, lets `serve --demo` make a demo database, fills it
// with copies of the demo's incidents moved back day by day until it holds
// --incidents (cmd/incidentfill), starts `serve` on it, and then, in Debian's
// Chromium at 1366×768 with software WebGL (SwiftShader: there is no GPU
// here, and every frame is drawn by the CPU):
//
//   - first paint: --loads times, a new browser context each (nothing
//     cached), signed in as analyst-fra, opens /map and reads the page's own
//     User Timing marks (web/src/map/MapView.tsx, markDrawn): when the map
//     first drew incidents one by one, and when it first drew the server's
//     counts; both from the start of the navigation;
//   - panning: --pans drags of 400 px across the map with the mouse, as a
//     person does (one move every 16 ms for about a second), alternately
//     east and west, each followed by the second in which the map asks the
//     server for the counts of its new view and draws them; the page records
//     every frame (requestAnimationFrame) meanwhile.
//
// It prints the figures; docs/web.md and docs/benchmarks.md say what they
// were on the reference machine.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildGuarantor, check, chromiumArgs, option, readLogins, repo, signIn, sleep, start } from './harness.mjs';

const argv = process.argv.slice(2);
const incidents = Number(option(argv, '--incidents') ?? 100_000);
const loads = Number(option(argv, '--loads') ?? 5);
const pans = Number(option(argv, '--pans') ?? 6);
const chromiumPath = option(argv, '--chromium') ?? process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const reuse = option(argv, '--reuse');
const keep = argv.includes('--keep') || reuse !== undefined;
const viewport = { width: 1366, height: 768 };
const note = (/** @type {string} */ s) => console.log(`  ${s}`);

/** @param {number[]} xs @param {number} q */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};
const ms = (/** @type {number} */ x) => (Number.isNaN(x) ? "not drawn" : `${Math.round(x)} ms`);

const tmp = reuse ?? mkdtempSync(join(tmpdir(), 'guarantor-mapbench-'));
mkdirSync(tmp, { recursive: true });
/** @type {import('./harness.mjs').Server | undefined} */
let server;
/** @type {import('playwright-core').Browser | undefined} */
let browser;
try {
  const bin = buildGuarantor(tmp, note);
  const db = join(tmp, 'map.db');

  // The demo's day, then copies of it (unless --reuse names a directory a run kept).
  if (!existsSync(db)) {
    server = await start(bin, ['--demo', '--db', db], tmp, note);
    await server.ready();
    for (let i = 0; !server.log.includes('"msg":"demo activation"'); i++) {
      check(!server.gone() && i < 600, `the demo did not finish loading:\n${server.log.slice(-2000)}`);
      await sleep(500);
    }
    await server.stop();
  }
  note(`go run ./cmd/incidentfill -db ${db} -n ${incidents}`);
  const filled = spawnSync('go', ['run', './cmd/incidentfill', '-db', db, '-n', String(incidents)], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  check(filled.status === 0, `incidentfill failed (exit ${filled.status})`);
  server = await start(bin, ['--db', db], tmp, note);
  await server.ready();
  const logins = readLogins(join(tmp, 'map.demo-logins'));
  const url = server.url;

  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  /** @returns {Promise<import('playwright-core').Page>} a page signed in as analyst-fra, in a new context */
  const newPage = async () => {
    const ctx = await /** @type {import('playwright-core').Browser} */ (browser).newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error(`  uncaught exception in the page: ${e.message}`));
    await signIn(page, url, logins, 'analyst-fra');
    return page;
  };

  // First paint.
  /** @type {{ line: number, incidents: number, counts: number, loaded: number, total: string }[]} */
  const firsts = [];
  /** @type {import('playwright-core').Page | undefined} */
  let page;
  for (let i = 0; i < loads; i++) {
    await page?.context().close();
    page = await newPage();
    await page.goto(`${url}/map`);
    await page.waitForFunction(() => performance.getEntriesByName('guarantor:map-counts', 'mark').length > 0, undefined, { timeout: 120_000 });
    const marks = await page.evaluate(() => {
      const at = (/** @type {string} */ n) => performance.getEntriesByName(n, 'mark')[0]?.startTime ?? NaN;
      return { line: at('guarantor:map-line'), incidents: at('guarantor:map-incidents'), counts: at('guarantor:map-counts'), loaded: at('guarantor:map-loaded') };
    });
    // What the page read before, and when (from the navigation's start).
    const reads = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => /** @type {any} */ (e))
        .filter((e) => /\/(assets|api)\//.test(e.name))
        .map((e) => `${new URL(e.name).pathname.replace(/-[A-Za-z0-9_]{8}\./, '.')}${new URL(e.name).search.slice(0, 30)} ${Math.round(e.startTime)}–${Math.round(e.responseEnd)}`),
    );
    if (i === loads - 1) note(`what the last load read, in ms from the navigation: ${reads.join('; ')}; the basemap's style loaded at ${ms(marks.loaded)}`);
    const total = (await page.getByText(/incidents in view, counted by the server/).first().textContent()) ?? '';
    firsts.push({ ...marks, total: total.replace(/\s+/g, ' ').trim() });
    note(`load ${i + 1}: the style ${ms(marks.loaded)}, the contact line ${ms(marks.line)}, incidents one by one ${ms(marks.incidents)}, the server's counts ${ms(marks.counts)} (${firsts.at(-1)?.total})`);
  }
  check(page, 'no page');

  // Panning.
  await sleep(2000);
  /** @type {number[]} */
  const frames = [];
  const box = await page.locator('canvas.maplibregl-canvas').boundingBox();
  check(box, 'no map canvas');
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  for (let p = 0; p < pans; p++) {
    const dx = p % 2 === 0 ? -400 : 400;
    await page.evaluate(() => {
      const w = /** @type {any} */ (globalThis);
      w.__frames = [];
      const tick = (/** @type {number} */ t) => {
        w.__frames.push(t);
        if (w.__frames.length < 100_000 && !w.__stop) w.requestAnimationFrame(tick);
      };
      w.__stop = false;
      w.requestAnimationFrame(tick);
    });
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let s = 1; s <= 60; s++) {
      await page.mouse.move(cx + (dx * s) / 60, cy + (s % 7) - 3);
      await sleep(16);
    }
    await page.mouse.up();
    await sleep(1500);
    /** @type {number[]} */
    const ts = await page.evaluate(() => {
      const w = /** @type {any} */ (globalThis);
      w.__stop = true;
      return w.__frames;
    });
    for (let k = 1; k < ts.length; k++) frames.push((ts[k] ?? 0) - (ts[k - 1] ?? 0));
  }

  const med = (/** @type {number[]} */ xs) => quantile(xs, 0.5);
  console.log(`mapbench: ${incidents.toLocaleString('en-GB')} incidents, Chromium ${browser.version()} at ${viewport.width}×${viewport.height}, software WebGL`);
  console.log(`  first paint (of ${loads} loads, from navigation): the contact line median ${ms(med(firsts.map((f) => f.line)))}, incidents one by one median ${ms(med(firsts.map((f) => f.incidents)))}, the server's counts median ${ms(med(firsts.map((f) => f.counts)))}, worst ${ms(Math.max(...firsts.map((f) => f.counts)))}`);
  console.log(
    `  panning (${pans} drags of 400 px, ${frames.length} frames): frame interval median ${ms(med(frames))}, 95th percentile ${ms(quantile(frames, 0.95))}, longest ${ms(Math.max(...frames))}; ${frames.filter((f) => f > 50).length} frames over 50 ms, ${frames.filter((f) => f > 100).length} over 100 ms`,
  );
} finally {
  await browser?.close().catch(() => {});
  await server?.stop();
  if (keep) console.log(`  kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
