// End-to-end smoke test of the interface in a real browser (Chromium,
// driven by playwright-core), against a real `guarantor serve --demo`.
//
//   node e2e/smoke.mjs                    # starts its own demo server (go run ./cmd/guarantor serve --demo)
//   node e2e/smoke.mjs --url http://127.0.0.1:8080 --logins /path/to/guarantor.demo-logins
//
// It signs in as analyst-gbr, goes through the queue with the keyboard and
// confirms a candidate, opens the map and an incident, looks at the
// guarantees board as the United Kingdom's liaison officer and checks that a
// viewer is offered no action. It fails on any error in the browser's
// console, any uncaught exception, and any request to another host than the
// server's; it saves screenshots at 1366×768 in docs/screenshots/.
//
// Chromium: /usr/bin/chromium (Debian: apt-get install chromium), or
// CHROMIUM=/path/to/chrome.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const shots = join(repo, 'docs', 'screenshots');
const args = process.argv.slice(2);
const arg = (/** @type {string} */ name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** @type {string[]} */
const failures = [];
const fail = (/** @type {string} */ why) => {
  failures.push(why);
  console.error(`FAIL: ${why}`);
};
const step = (/** @type {string} */ what) => console.log(`- ${what}`);

/** @param {string} url */
async function waitReady(url, ms = 240_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not become ready in ${ms / 1000} s`);
}

/** @param {string} file @returns {Record<string, string>} */
function readLogins(file) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, password] = line.trim().split(/\s+/);
    if (name && password) out[name] = password;
  }
  return out;
}

let url = arg('--url');
let loginsFile = arg('--logins');
/** @type {import('node:child_process').ChildProcess | undefined} */
let server;
/** @type {string | undefined} */
let tmp;
let serverLog = '';
if (!url) {
  tmp = mkdtempSync(join(tmpdir(), 'guarantor-e2e-'));
  const port = 18000 + Math.floor(Math.random() * 1000);
  url = `http://127.0.0.1:${port}`;
  const db = join(tmp, 'guarantor.db');
  loginsFile = join(tmp, 'guarantor.demo-logins');
  step(`starting go run ./cmd/guarantor serve --demo on ${url}`);
  server = spawn('go', ['run', './cmd/guarantor', 'serve', '--demo', '--db', db, '--listen', `127.0.0.1:${port}`], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const s of [server.stdout, server.stderr]) s?.on('data', (b) => (serverLog += String(b)));
}

/** waitDemo waits until the demo server has fused its day and made its determinations. */
async function waitDemo(ms = 300_000) {
  const until = Date.now() + ms;
  while (!/demo activation|"msg":"fusion caught up"/.test(serverLog)) {
    if (Date.now() > until) throw new Error(`the demo server did not finish loading in ${ms / 1000} s:\n${serverLog.slice(-2000)}`);
    if (server?.exitCode !== null) throw new Error(`the demo server stopped:\n${serverLog.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 1000));
}
if (!loginsFile) throw new Error('--logins FILE is needed with --url: the demo server writes it beside its database');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'],
});
try {
  await waitReady(url);
  if (server) await waitDemo();
  const page0 = await fetch(`${url}/`);
  if (!page0.ok || !(page0.headers.get('content-type') ?? '').startsWith('text/html')) {
    throw new Error(`${url}/ answers ${page0.status} ${page0.headers.get('content-type')}: the server does not serve the interface (internal/web.Handler)`);
  }
  const logins = readLogins(loginsFile);
  const origin = new URL(url).origin;
  mkdirSync(shots, { recursive: true });

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-GB', timezoneId: 'UTC' });
  // Nothing may leave for another host: such a request is refused and fails the run.
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin === origin || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    fail(`a request to another host: ${u.href}`);
    return route.abort();
  });
  const page = await context.newPage();
  // The console errors expected: the browser's own line about a refusal
  // (401, 409) while that refusal is what is being tested.
  /** @type {{ status: string, path: RegExp } | undefined} */
  let refusing;
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (refusing && m.text().includes(`status of ${refusing.status}`) && refusing.path.test(new URL(m.location().url).pathname)) return;
    fail(`console error: ${m.text()} (${m.location().url}:${m.location().lineNumber})`);
  });
  page.on('pageerror', (e) => fail(`uncaught exception: ${e.message}`));

  /** @param {string} user */
  const signIn = async (user) => {
    const password = logins[user];
    if (!password) throw new Error(`no password for ${user} in ${loginsFile}`);
    await page.getByLabel('Name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  };
  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  };

  step('sign-in page');
  await page.goto(`${url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.screenshot({ path: join(shots, 'sign-in.png') });

  step('a wrong password is refused in words');
  refusing = { status: '401', path: /^\/api\/v1\/session$/ };
  await page.getByLabel('Name').fill('analyst-gbr');
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Wrong name or password').waitFor();
  refusing = undefined;

  step('analyst-gbr lands on the queue');
  await signIn('analyst-gbr');
  await page.waitForURL(/\/$|\/queue$/);
  const rows = page.locator('table.candidates tbody tr');
  await rows.first().waitFor({ timeout: 60_000 });
  const n = await rows.count();
  if (n === 0) fail('the queue is empty for analyst-gbr');
  step(`the queue shows ${n} candidates; moving with j and k`);
  await page.locator('.table-wrap').focus();
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  const selected = await page.locator('table.candidates tbody tr[aria-selected="true"]').count();
  if (selected !== 1) fail(`${selected} rows selected after j j k`);
  await page.getByText('Two-nation rule').waitFor();
  await page.locator('.two-nations').waitFor();
  await page.screenshot({ path: join(shots, 'queue.png') });

  step('confirming a candidate asks for a reason');
  await page.keyboard.press('c');
  const reason = page.getByLabel('Reason');
  await reason.waitFor();
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await page.getByText('A reason is required').waitFor();
  await reason.fill('Smoke test: the acoustic origin and the impact agree.');
  await page.screenshot({ path: join(shots, 'queue-confirm.png') });
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await page.getByText('Confirm: done.').waitFor();
  await page.getByText('analyst-gbr,').first().waitFor();

  step('the map: canvas, contact line, incidents');
  await page.getByRole('link', { name: 'Map' }).click();
  await page.locator('canvas.maplibregl-canvas').waitFor({ timeout: 60_000 });
  await page.getByText(/\d+ shown/).waitFor({ timeout: 60_000 });
  await page.getByText('Contact line').waitFor();
  await page.waitForTimeout(2500); // let the map draw its labels
  await page.screenshot({ path: join(shots, 'map.png') });
  await page.locator('.incident-list button').first().click();
  await page.getByRole('button', { name: '← All incidents' }).waitFor();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(shots, 'map-incident.png') });

  step('the guarantees board');
  await page.getByRole('link', { name: 'Guarantees' }).click();
  await page.getByText('Proposals awaiting determination').waitFor();
  await page.locator('table.obligations').waitFor();

  step('back to the map, and back with the browser');
  await page.getByRole('link', { name: 'Map' }).click();
  await page.locator('canvas.maplibregl-canvas').waitFor();
  await page.getByText(/\d+ shown/).waitFor({ timeout: 60_000 });
  await page.goBack();
  await page.getByText('Proposals awaiting determination').waitFor();
  await signOut();

  step('liaison-gbr acts on the United Kingdom\'s obligation only');
  await signIn('liaison-gbr');
  await page.locator('table.obligations').waitFor();
  const yours = page.locator('table.obligations tr.yours');
  if ((await yours.count()) === 0) fail('no obligation of GBR is marked as the liaison\'s');
  else {
    const first = await page.locator('table.obligations tbody tr').first().getAttribute('class');
    if (!first?.includes('yours')) fail('the liaison\'s own obligations are not listed first');
  }
  const ack = page.getByRole('button', { name: 'Acknowledge…' });
  if ((await ack.count()) !== 1) fail(`liaison-gbr is offered ${await ack.count()} Acknowledge buttons, want 1 (their nation's obligation)`);
  await page.screenshot({ path: join(shots, 'guarantees-liaison.png') });
  await signOut();

  step('authority: a proposal and an overdue obligation (injected into the answers), a refusal in words');
  // The demo's activations are all confirmed and its deadlines a day away:
  // the test turns the first activation back into a proposal and puts one
  // obligation 90 minutes past its deadline, in what the browser receives.
  /** @param {string} p */
  const path = (p) => (/** @type {URL} */ u) => u.pathname === p;
  await page.route(path('/api/v1/activations'), async (route) => {
    const res = await route.fetch();
    const list = await res.json();
    if (list[0]) list[0] = { ...list[0], state: 'proposed', determination: undefined, obligations: undefined };
    await route.fulfill({ response: res, json: list });
  });
  await page.route(path('/api/v1/obligations'), async (route) => {
    const res = await route.fetch();
    const list = await res.json();
    const late = list.findIndex((/** @type {{ state: string }} */ o) => o.state !== 'met');
    if (late >= 0) list[late] = { ...list[late], remaining_s: -5400, overdue: true };
    await route.fulfill({ response: res, json: list });
  });
  await signIn('authority');
  await page.getByRole('link', { name: 'Guarantees' }).click();
  await page.getByRole('button', { name: 'Confirm…' }).first().waitFor();
  const overdueRow = page.locator('table.obligations tr.overdue').first();
  await overdueRow.waitFor();
  if (!/overdue/i.test(await overdueRow.innerText())) fail('an overdue obligation does not say "Overdue"');
  if ((await page.getByRole('button', { name: 'Acknowledge…' }).count()) > 0) fail('the authority is offered to acknowledge an obligation');
  await page.getByRole('button', { name: 'Confirm…' }).first().click();
  await page.getByLabel('Reason').fill('Smoke test: the verified fire across the line is an armed attack.');
  refusing = { status: '409', path: /\/determination$/ };
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await page.locator('.reason-form .error').waitFor();
  refusing = undefined;
  mkdirSync(join(here, 'out'), { recursive: true });
  await page.screenshot({ path: join(here, 'out', 'guarantees-authority-injected.png') });
  await page.unroute(path('/api/v1/activations'));
  await page.unroute(path('/api/v1/obligations'));
  await signOut();

  step('viewer-pol sees no button that would fail');
  await signIn('viewer-pol');
  await page.getByRole('link', { name: 'Queue' }).click();
  await page.locator('.queue, .state.empty').first().waitFor({ timeout: 60_000 });
  for (const name of ['Confirm…', 'Reject…', 'More information…']) {
    if ((await page.getByRole('button', { name }).count()) > 0) fail(`viewer-pol is offered "${name}"`);
  }
  await page.getByRole('link', { name: 'Guarantees' }).click();
  await page.getByText('Proposals awaiting determination').waitFor();
  for (const name of ['Acknowledge…', 'Record action…', 'Close as met…', 'Confirm…', 'Decline…']) {
    if ((await page.getByRole('button', { name }).count()) > 0) fail(`viewer-pol is offered "${name}"`);
  }
  await page.screenshot({ path: join(shots, 'guarantees-viewer.png') });
  await signOut();
  await context.close();
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
} finally {
  await browser.close();
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGTERM'); // go run and the server it started
    } catch {
      // gone already
    }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.log(`smoke: 0 passed, ${failures.length} failed`);
  process.exit(1);
}
console.log(`smoke: 1 passed, 0 failed (screenshots in ${shots})`);
