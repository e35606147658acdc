// End-to-end test of the interface in a real browser: Debian's Chromium,
// driven by playwright-core, against a real `guarantor serve --demo` on a
// loopback port, with the demo's own data. Nothing the browser receives is
// faked or altered.
//
//   npm run e2e                                  # from web/: builds guarantor, starts a fresh demo server
//   node e2e/smoke.mjs --screenshots DIR         # screenshots in DIR instead of docs/screenshots
//   node e2e/smoke.mjs --url http://127.0.0.1:8080 --logins ../guarantor.demo-logins
//                                                # against a running demo server, started afresh
//
// What it checks, in order, each step through the screens a person uses:
//
//   1. analyst-fra signs in, sees incidents on the map (WebGL through
//      SwiftShader), opens one beside the map and on its own page;
//   2. analyst-fra confirms a candidate in the queue (the first open one that
//      analysts of both nations may see), which then needs a second nation;
//   3. analyst-gbr confirms the same candidate, and sees it verified;
//   4. the authority confirms the proposal the demo leaves awaiting a
//      determination;
//   5. the liaison officer of the nation that proposal binds acknowledges the
//      obligation it started, and is offered to act on their own nation's
//      obligations only;
//   6. viewer-pol, of a nation no demo record is released to, sees none of a
//      restricted incident: not in the map's data, not on the page, its own
//      page (opened by its address) says it is not there, and the API
//      answers 404;
//   7. every other view in the navigation (the commitments, the daily
//      report), as the secretariat, shows without an error.
//
// The test data are chosen through the API as the demo made them: the
// candidate is the first open one of analyst-fra's queue that analyst-gbr
// may see too and that no one has confirmed; the restricted incident the
// newest that analyst-gbr may see and that is not released to POL.
//
// Each step is also checked through the API. The run fails on any error in
// the browser's console (workers included), any uncaught exception in the
// page, and any request to another host than the server's. It saves a
// screenshot of each main screen at 1366×768.
//
// Options (or environment variables):
//   --screenshots DIR   GUARANTOR_E2E_SCREENSHOTS   default: docs/screenshots of the repository
//   --url URL           GUARANTOR_E2E_URL           a running demo server (default: start one)
//   --logins FILE       GUARANTOR_E2E_LOGINS        its .demo-logins file (needed with --url)
//   --chromium PATH     CHROMIUM                    default: /usr/bin/chromium (Debian: apt-get install chromium)
//   --keep                                          keep the temporary directory (database, server log)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { sourceHash } from '../scripts/stamp.mjs';
import { buildGuarantor, check, chromiumArgs, readLogins, repo, signIn as signInAs, sleep, start, waitHealthy, option as optionIn } from './harness.mjs';

const argv = process.argv.slice(2);
/** @param {string} name */
const option = (name) => optionIn(argv, name);
const shots = resolve(option('--screenshots') ?? process.env['GUARANTOR_E2E_SCREENSHOTS'] ?? join(repo, 'docs', 'screenshots'));
const chromiumPath = option('--chromium') ?? process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const keep = argv.includes('--keep');
const started = Date.now();

// The build script's hash of the sources must be the one the build stamped:
// with internal/web's TestBuildIsFresh (the same hash computed in Go), this
// proves the two implementations agree.
{
  const stamped = readFileSync(join(repo, 'internal', 'web', 'dist', 'SOURCE-SHA256'), 'utf8').trim();
  const now = sourceHash();
  if (stamped !== now) {
    console.error(`e2e: internal/web/dist was stamped ${stamped}, and web/scripts/stamp.mjs hashes the sources to ${now}: rebuild (cd web && npm ci && npm run build), or bring the script and internal/web's sourceHash back in line`);
    process.exit(1);
  }
}

const viewport = { width: 1366, height: 768 };
const reason = (/** @type {string} */ s) => `End-to-end test: ${s}`;

// ---------------------------------------------------------------- reporting

/** @type {string[]} */
const failures = [];
let passed = 0;
let current = '(setup)';
/** @param {string} why */
const fail = (why) => {
  const line = `${current}: ${why}`;
  if (!failures.includes(line)) {
    failures.push(line);
    console.error(`  FAIL ${line}`);
  }
};
/** @param {string} what */
const note = (what) => console.log(`    ${what}`);
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- the server

/** @type {import('./harness.mjs').Server | undefined} */
let server;
/** @type {string | undefined} */
let tmp;

for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(sig, () => {
    void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

/** startServer builds guarantor and starts `serve --demo` on a free loopback port with a new database. */
async function startServer() {
  tmp = mkdtempSync(join(tmpdir(), 'guarantor-e2e-'));
  const bin = buildGuarantor(tmp, note);
  server = await start(bin, ['--demo', '--db', join(tmp, 'e2e.db')], tmp, note);
  return { url: server.url, logins: join(tmp, 'e2e.demo-logins') };
}

// ---------------------------------------------------------------- the API, from here

/**
 * @typedef {{ classification: string, rel_to?: string[] }} Label
 * @typedef {{ id: string, properties: { state: string, severity: string, time: string, releasability?: Label } }} Candidate
 * @typedef {{ id: string, properties: { start?: string, releasability?: Label } }} Incident
 * @typedef {{ analyst: string, nation: string }} Confirmation
 * @typedef {{ state: string, confirmations: Confirmation[], needed?: string }} Review
 * @typedef {{ id: string, clause: string, state: string }} Activation
 * @typedef {{ id: string, activation: string, clause: string, guarantor: string, state: string }} Obligation
 * @typedef {{ status: number, body: any }} Answer
 * @typedef {{ get: (path: string) => Promise<Answer> }} Api
 */

/** @param {string} url @param {Record<string, string>} logins @param {string} name @returns {Promise<Api>} */
async function apiAs(url, logins, name) {
  const password = logins[name];
  check(password, `no password for ${name} in the demo logins`);
  const r = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password }) });
  check(r.ok, `API sign-in as ${name}: ${r.status} ${await r.text()}`);
  const cookie = r.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return {
    get: async (path) => {
      const res = await fetch(`${url}${path}`, { headers: { Cookie: cookie, Accept: 'application/json' } });
      const text = await res.text();
      let body;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      return { status: res.status, body };
    },
  };
}

/** @param {Api} api @param {string} path */
async function getOK(api, path) {
  const a = await api.get(path);
  check(a.status === 200, `GET ${path}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
  return a.body;
}

const severityRank = /** @type {Record<string, number>} */ ({ major: 0, serious: 1, minor: 2 });
/** The queue's order: gravest, then oldest. @param {Candidate} a @param {Candidate} b */
const queueOrder = (a, b) =>
  (severityRank[a.properties.severity] ?? 3) - (severityRank[b.properties.severity] ?? 3) ||
  a.properties.time.localeCompare(b.properties.time) ||
  a.id.localeCompare(b.id);

/** @param {Label | undefined} l */
const labelWords = (l) => (l ? `${l.classification}${l.rel_to?.length ? ` REL TO ${l.rel_to.join(', ')}` : ''}` : 'unlabelled');

// ---------------------------------------------------------------- the browser

/** The browser's line for a failed resource load that a step expects, e.g. a 404 it tests for. */
/** @type {{ status: number, path: string } | undefined} */
let expectedRefusal;

/**
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 */
async function newPage(browser, origin) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC', reducedMotion: 'reduce' });
  context.setDefaultTimeout(30_000);
  // Nothing may leave for another host: such a request is aborted and fails the run.
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin === origin || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    fail(`a request to another host: ${u.href}`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  /** @param {string} where @param {import('playwright-core').ConsoleMessage} m */
  const onConsole = (where, m) => {
    if (m.type() !== 'error') return;
    const loc = m.location();
    const r = expectedRefusal;
    if (r && m.text().includes(`status of ${r.status}`) && loc.url && (new URL(loc.url).pathname + '/').startsWith(`${r.path}/`)) return;
    fail(`console error${where}: ${m.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  };
  page.on('console', (m) => onConsole('', m));
  page.on('worker', (w) => w.on('console', (m) => onConsole(' in a worker', m)));
  page.on('pageerror', (e) => fail(`uncaught exception in the page: ${e.stack ?? e.message}`));
  page.on('crash', () => fail('the page crashed'));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin !== origin && u.protocol !== 'data:' && u.protocol !== 'blob:') fail(`a request to another host: ${u.href}`);
  });
  page.on('websocket', (w) => {
    if (new URL(w.url()).host !== new URL(origin).host) fail(`a WebSocket to another host: ${w.url()}`);
  });
  // The API requests in flight (streams aside), for settle.
  /** @type {Set<import('playwright-core').Request>} */
  const inflight = new Set();
  page.on('request', (r) => {
    const p = new URL(r.url()).pathname;
    if (p.startsWith('/api/') && !p.endsWith('/stream')) inflight.add(r);
  });
  page.on('requestfinished', (r) => inflight.delete(r));
  page.on('requestfailed', (r) => inflight.delete(r));
  busy.set(page, inflight);
  page.on('response', (r) => {
    if (r.status() >= 500) fail(`the server answered ${r.status()} to ${r.request().method()} ${r.url()}`);
  });
  return page;
}

/** @type {WeakMap<import('playwright-core').Page, Set<import('playwright-core').Request>>} */
const busy = new WeakMap();

/**
 * settle waits until the page has made no API request (streams aside) for a
 * second: what a person does next then does not race what the page is still
 * reading.
 * @param {import('playwright-core').Page} page
 */
async function settle(page, ms = 30_000) {
  const inflight = busy.get(page);
  const until = Date.now() + ms;
  let quietSince = Date.now();
  while (Date.now() < until) {
    if (inflight && inflight.size > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= 1000) return;
    await sleep(100);
  }
  throw new Error(`the page is still reading after ${ms / 1000} s: ${[...(inflight ?? [])].map((r) => r.url()).join(', ')}`);
}

/** @param {import('playwright-core').Page} page @param {string} name */
async function screenshot(page, name) {
  await settle(page);
  await page.mouse.move(viewport.width - 2, viewport.height - 2); // no hover effect in the picture
  await page.screenshot({ path: join(shots, `${name}.png`), animations: 'disabled' });
  note(`screenshot ${name}.png`);
}

/** @param {import('playwright-core').Page} page @param {string} url @param {Record<string, string>} logins @param {string} user */
async function signIn(page, url, logins, user) {
  await signInAs(page, url, logins, user);
  note(`signed in as ${user}`);
}

/** @param {import('playwright-core').Page} page */
async function signOut(page) {
  await settle(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByText('You are signed out').waitFor();
  await page.context().close();
}

/** @param {import('playwright-core').Page} page @param {string} name */
async function openView(page, name) {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true }).click();
}

/**
 * openMap waits, after what opens the map, until MapLibre has drawn it
 * with the basemap and the incidents. It returns how many the page says it
 * shows, and the incidents it read from the API.
 * @param {import('playwright-core').Page} page
 * @param {() => Promise<void>} open what opens the map
 * @returns {Promise<{ shown: number, features: Incident[] }>}
 */
async function openMap(page, open) {
  const listed = page.waitForResponse((r) => /\/api\/v1\/incidents$/.test(new URL(r.url()).pathname) && r.request().method() === 'GET', { timeout: 60_000 });
  /** @type {string[]} */
  const data = [];
  const onData = (/** @type {import('playwright-core').Response} */ r) => {
    const p = new URL(r.url()).pathname;
    if (p.startsWith('/assets/') && p.endsWith('.json') && r.ok()) data.push(p);
  };
  page.on('response', onData);
  await open();
  const res = await listed;
  check(res.ok(), `GET /api/v1/incidents answered ${res.status()}`);
  /** @type {{ features: Incident[] }} */
  const body = await res.json();
  await page.locator('canvas.maplibregl-canvas').waitFor({ timeout: 60_000 });
  await page.getByText('Drawing the map…').waitFor({ state: 'hidden', timeout: 60_000 });
  // "1,000 shown", "1,000 shown of 1,200 loaded", in the reader's number format
  const shownText = await page.getByText(/^[\d,.\s\u00a0\u202f]+ shown/).first().textContent({ timeout: 60_000 });
  const shown = Number((/^([\d,.\s\u00a0\u202f]+) shown/.exec(shownText ?? '')?.[1] ?? '0').replace(/\D/g, ''));
  await page.getByText('Contact line', { exact: true }).waitFor();
  // The borders and the place names are read once the map has drawn.
  for (let i = 0; i < 60 && data.length < 2; i++) await sleep(500);
  page.off('response', onData);
  check(data.length >= 2, `the basemap's data was not read (${data.join(', ') || 'nothing'})`);
  await sleep(2000); // MapLibre places its labels
  const problem = page.getByText(/The map reported a problem|the map shows no/);
  if ((await problem.count()) > 0) throw new Error(`the map says: ${await problem.first().textContent()}`);
  return { shown, features: body.features };
}

/**
 * openIncidentPage opens /incident?id=ID, an incident's own page, and
 * says what it shows: the incident, a refusal in words, or (in an interface
 * without such a page) the reader's first view.
 * @param {import('playwright-core').Page} page @param {string} url @param {string} id
 * @returns {Promise<'shown' | 'refused' | 'none'>}
 */
async function openIncidentPage(page, url, id) {
  await page.goto(`${url}/incident?id=${encodeURIComponent(id)}`);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  const main = page.getByRole('main');
  const shown = main.getByRole('heading', { level: 1 }).filter({ hasText: /incident/i });
  const refused = main.getByText(/not released to you|not found/i);
  const home = main.getByRole('region', { name: 'Candidate violations' }).or(main.locator('canvas.maplibregl-canvas')).or(main.getByText(/^Nothing to decide/));
  await shown.or(refused).or(home).first().waitFor({ timeout: 60_000 });
  if ((await refused.count()) > 0) return 'refused';
  if ((await shown.count()) > 0) return 'shown';
  return 'none';
}

/**
 * selectCandidate selects a candidate in the queue and waits for its review.
 * @param {import('playwright-core').Page} page @param {string} id
 */
async function selectCandidate(page, id) {
  await page.getByRole('listbox').first().waitFor({ timeout: 60_000 });
  const row = page.locator(`[id="cand-${id.replace(/[^A-Za-z0-9_-]/g, '_')}"]`);
  check((await row.count()) === 1, `candidate ${id} is not in the queue`);
  await row.click();
  await page.getByRole('region', { name: 'Review' }).getByText(id, { exact: true }).waitFor();
  await page.getByText('Two-nation rule').first().waitFor();
  await page.getByText(/^State:/).first().waitFor();
}

/**
 * confirmCandidate confirms the selected candidate with a reason, in the
 * review, and returns what the page says was done.
 * @param {import('playwright-core').Page} page @param {string} why
 */
async function confirmCandidate(page, why) {
  const review = page.getByRole('region', { name: 'Review' });
  await review.getByRole('button', { name: 'Confirm…' }).click();
  await review.getByLabel('Reason').fill(why);
  await review.getByRole('button', { name: 'Confirm', exact: true }).click();
  const done = review.getByText(/^Confirm: done\./);
  await done.waitFor();
  return (await done.textContent()) ?? '';
}

/**
 * openLoaded opens a view from the navigation and waits until nothing in it
 * says it is loading; it fails if the view shows an error or nothing.
 * @param {import('playwright-core').Page} page @param {{ href: string, text: string }} l
 */
async function openLoaded(page, l) {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: l.text, exact: true }).click();
  await page.waitForURL((u) => u.pathname === l.href);
  await page.locator('main').waitFor();
  const loading = page.locator('main [role="status"]').filter({ hasText: /^Loading|…$/ });
  for (let i = 0; i < 120 && (await loading.count()) > 0; i++) await sleep(250);
  check((await loading.count()) === 0, `${l.text} is still loading after 30 s`);
  const alert = page.locator('main [role="alert"]');
  if ((await alert.count()) > 0) throw new Error(`${l.text} shows an error: ${await alert.first().textContent()}`);
  check(((await page.locator('main').textContent()) ?? '').trim().length > 0, `${l.text} is empty`);
}

// ---------------------------------------------------------------- the run

let url = option('--url') ?? process.env['GUARANTOR_E2E_URL'];
let loginsFile = option('--logins') ?? process.env['GUARANTOR_E2E_LOGINS'];
/** @type {import('playwright-core').Browser | undefined} */
let browser;

/** @type {{ name: string, run: () => Promise<void> }[]} */
const steps = [];
/** @param {string} name @param {() => Promise<void>} run */
const step = (name, run) => steps.push({ name, run });

// Shared between steps.
/** @type {Record<string, string>} */
let logins = {};
let origin = '';
/** @type {Record<string, Api>} */
const api = {};
/** @type {Candidate | undefined} */
let candidate;
/** @type {Incident | undefined} */
let restricted;
/** @type {Activation | undefined} */
let proposal;
/** @type {Obligation | undefined} */
let obligation;
let keptCheckpoint = '';
/** b is the browser, started when first needed. */
const b = async () => {
  browser ??= await chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
  });
  return browser;
};

step('the demo server is ready', async () => {
  if (!url) ({ url, logins: loginsFile } = await startServer());
  check(loginsFile, '--logins FILE is needed with --url: the demo server writes it beside its database');
  await waitHealthy(url, 120_000, server);
  origin = new URL(url).origin;
  for (let i = 0; i < 120 && !existsSync(loginsFile); i++) await sleep(250);
  logins = readLogins(loginsFile);
  for (const u of ['analyst-fra', 'analyst-gbr', 'authority', 'viewer-pol', 'secretariat']) api[u] = await apiAs(url, logins, u);
  const authority = /** @type {Api} */ (api['authority']);
  // The demo confirms a candidate with two analysts, and the authority all
  // but one of the activations that follow: wait for that one.
  const until = Date.now() + 180_000;
  for (;;) {
    /** @type {Activation[]} */
    const acts = await getOK(authority, '/api/v1/activations?limit=1000');
    // (While the demo determines the others, more than one is proposed.)
    const proposed = acts.filter((a) => a.state === 'proposed');
    if (proposed.length === 1 && acts.some((a) => a.state === 'confirmed')) {
      proposal = proposed[0];
      break;
    }
    if (server?.gone()) throw new Error(`the server stopped:\n${server.log.slice(-3000)}`);
    check(Date.now() < until, `no activation awaits a determination after 3 minutes (${acts.length} activations): was the demo server started afresh?`);
    await sleep(1000);
  }
  note(`${url} is up; the proposal ${proposal.id} awaits a determination (${seconds()})`);
  const page = await fetch(`${url}/`);
  check(page.ok && (page.headers.get('content-type') ?? '').startsWith('text/html'), `GET / answers ${page.status} ${page.headers.get('content-type')}: no interface is served`);
});

step('the test data, chosen through the API', async () => {
  // A checkpoint of the log as it is now, kept as a reader keeps one: the
  // last step checks in the browser that the log has only grown since.
  const cp = await fetch(`${url}/api/v1/log/checkpoint`);
  check(cp.ok, `GET /api/v1/log/checkpoint: ${cp.status}`);
  keptCheckpoint = await cp.text();
  const fra = /** @type {Api} */ (api['analyst-fra']);
  const gbr = /** @type {Api} */ (api['analyst-gbr']);
  const pol = /** @type {Api} */ (api['viewer-pol']);
  // A candidate both analysts may see, open, confirmed by no one yet: the
  // first of analyst-fra's queue.
  /** @type {{ features: Candidate[] }} */
  const forFra = await getOK(fra, '/api/v1/candidates?state=open&limit=500');
  /** @type {{ features: Candidate[] }} */
  const forGbr = await getOK(gbr, '/api/v1/candidates?state=open&limit=500');
  const gbrSees = new Set(forGbr.features.map((c) => c.id));
  for (const c of forFra.features.filter((c) => gbrSees.has(c.id)).sort(queueOrder)) {
    /** @type {Review} */
    const r = await getOK(fra, `/api/v1/candidates/${encodeURIComponent(c.id)}/actions`);
    if (r.state === 'open' && r.confirmations.length === 0) {
      candidate = c;
      break;
    }
  }
  check(candidate, `no open candidate that both analysts may see (${forFra.features.length} open for analyst-fra)`);
  note(`candidate ${candidate.id} (${candidate.properties.severity}, ${labelWords(candidate.properties.releasability)})`);

  // The newest incident that analyst-gbr may see and POL may not.
  /** @type {{ features: Incident[] }} */
  const incidents = await getOK(gbr, '/api/v1/incidents?limit=1000');
  restricted = incidents.features.find((i) => {
    const l = i.properties.releasability;
    return l && l.classification !== 'PUBLIC' && !(l.rel_to ?? []).includes('POL');
  });
  check(restricted, 'analyst-gbr sees no incident that is not PUBLIC');
  const asPol = await pol.get(`/api/v1/incidents/${encodeURIComponent(restricted.id)}`);
  check(asPol.status === 404, `GET /api/v1/incidents/${restricted.id} as viewer-pol: ${asPol.status}, want 404`);
  note(`incident ${restricted.id} (${labelWords(restricted.properties.releasability)}): 200 for analyst-gbr, 404 for viewer-pol`);
});

step('sign-in page', async () => {
  const page = await newPage(await b(), origin);
  await page.goto(`${url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Name').waitFor();
  await screenshot(page, 'sign-in');
  await page.context().close();
});

step('analyst-fra sees incidents on the map, opens one, and confirms the candidate', async () => {
  check(url && candidate, 'no candidate');
  const page = await newPage(await b(), origin);
  await signIn(page, url, logins, 'analyst-fra');
  await page.getByRole('listbox').first().waitFor({ timeout: 60_000 }); // an analyst starts on the queue

  const { shown, features } = await openMap(page, () => openView(page, 'Map'));
  check(features.length > 0 && shown > 0, `the map shows ${shown} incidents (the API gave the page ${features.length})`);
  check(shown >= features.length, `the map says ${shown} shown, but the page read ${features.length}`);
  note(`the map shows ${shown} incidents`);
  await screenshot(page, 'map');

  const first = page.getByRole('complementary', { name: 'Incidents' }).locator('ul.incident-list button').first();
  await first.click();
  const panel = page.getByRole('complementary', { name: 'Incidents' });
  await panel.getByRole('button', { name: '← All incidents' }).waitFor();
  const id = ((await panel.locator('dt:text-is("Id") + dd code').first().textContent()) ?? '').trim();
  check(features.some((f) => f.id === id), `the incident opened (${id || 'no id shown'}) is not one the page read`);
  await panel.getByText('Releasability').waitFor();
  await sleep(1500); // the map eases to it
  note(`opened incident ${id}`);
  await screenshot(page, 'map-incident');

  // Opened by its address, the map goes to the incident at zoom 10 or more,
  // where the server counts few enough to draw them all: it reads those in
  // view from the server, not only the newest it loaded.
  const inView = page.waitForResponse(
    (r) => {
      const u = new URL(r.url());
      return u.pathname === '/api/v1/incidents' && u.searchParams.has('bbox');
    },
    { timeout: 60_000 },
  );
  await page.goto(`${url}/map?incident=${encodeURIComponent(id)}`);
  const viewRes = await inView;
  check(viewRes.ok(), `GET ${viewRes.url()} answered ${viewRes.status()}`);
  /** @type {{ features: Incident[] }} */
  const viewed = await viewRes.json();
  check(viewed.features.some((f) => f.id === id), `the incidents read in view (${viewed.features.length}) do not include ${id}, at the map's centre`);
  note(`zoomed in on it, the map read the ${viewed.features.length} incident(s) in view from the server`);

  switch (await openIncidentPage(page, url, id)) {
    case 'shown':
      check(((await page.getByRole('main').textContent()) ?? '').includes(id), `the page of ${id} does not name it`);
      await sleep(1500);
      note(`the page of incident ${id}`);
      await screenshot(page, 'incident');
      break;
    case 'refused':
      throw new Error(`analyst-fra is refused the page of ${id}, an incident the map showed`);
    case 'none':
      note('the interface has no page of its own for an incident');
  }

  await openView(page, 'Queue');
  await selectCandidate(page, candidate.id);
  await screenshot(page, 'queue');
  const done = await confirmCandidate(page, reason('the acoustic origin and the impact agree.'));
  check(/now open/.test(done) && /needs/.test(done), `after analyst-fra's confirmation the page says "${done}"`);
  await page.getByRole('region', { name: 'Review' }).getByText(/FRA.*analyst-fra/).first().waitFor();
  /** @type {Review} */
  const r = await getOK(/** @type {Api} */ (api['analyst-fra']), `/api/v1/candidates/${encodeURIComponent(candidate.id)}/actions`);
  check(r.state === 'open' && r.confirmations.some((x) => x.analyst === 'analyst-fra'), `the API says ${r.state}, confirmed by ${JSON.stringify(r.confirmations)}`);
  note(done);
  await signOut(page);
});

step('analyst-gbr confirms it too, and sees it verified', async () => {
  check(url && candidate, 'no candidate');
  const page = await newPage(await b(), origin);
  await signIn(page, url, logins, 'analyst-gbr');
  await selectCandidate(page, candidate.id);
  const review = page.getByRole('region', { name: 'Review' });
  await review.getByText(/FRA.*analyst-fra/).first().waitFor();
  const done = await confirmCandidate(page, reason('the imagery shows the firing position.'));
  check(/now verified/.test(done), `after analyst-gbr's confirmation the page says "${done}"`);
  await review.getByText(/^State:\s*verified/).first().waitFor();
  await review.getByText(/GBR.*analyst-gbr/).first().waitFor();
  /** @type {Review} */
  const r = await getOK(/** @type {Api} */ (api['analyst-gbr']), `/api/v1/candidates/${encodeURIComponent(candidate.id)}/actions`);
  const nations = [...new Set(r.confirmations.map((x) => x.nation))].sort();
  check(r.state === 'verified' && nations.join() === 'FRA,GBR', `the API says ${r.state}, confirmed by ${nations.join(', ')}`);
  note(done);
  await screenshot(page, 'candidate-verified');
  await signOut(page);
});

step('the authority confirms the proposal', async () => {
  check(url && proposal, 'no proposal');
  const p = proposal;
  const page = await newPage(await b(), origin);
  await signIn(page, url, logins, 'authority');
  await page.getByRole('heading', { name: /^Proposals awaiting determination/ }).waitFor();
  const card = page.getByRole('listitem').filter({ hasText: p.clause });
  await card.first().waitFor();
  check((await card.count()) === 1, `${await card.count()} activations of ${p.clause} on the board, want its proposal only`);
  await card.getByRole('button', { name: 'Confirm…' }).waitFor();
  await screenshot(page, 'guarantees-authority');
  await card.getByRole('button', { name: 'Confirm…' }).click();
  await card.getByLabel('Reason').fill(reason('the verified fire across the line is an armed attack.'));
  await card.getByRole('button', { name: 'Confirm', exact: true }).click();
  await page.getByText(`Confirmed: ${p.clause}.`).waitFor();
  await page.getByRole('heading', { name: /Proposals awaiting determination \(0\)/ }).waitFor();
  const authority = /** @type {Api} */ (api['authority']);
  /** @type {Activation[]} */
  const acts = await getOK(authority, '/api/v1/activations?limit=1000');
  const after = acts.find((a) => a.id === p.id);
  check(after?.state === 'confirmed', `the API says the activation is ${after?.state}`);
  /** @type {Obligation[]} */
  const obls = await getOK(authority, '/api/v1/obligations?limit=1000');
  obligation = obls.find((o) => o.activation === p.id);
  check(obligation, `confirming ${p.id} started no obligation`);
  note(`confirmed ${p.id}: ${obligation.guarantor}'s obligation ${obligation.id} runs`);
  await signOut(page);
});

step("a liaison officer acknowledges their nation's obligation", async () => {
  check(url && obligation, 'no obligation');
  const authority = /** @type {Api} */ (api['authority']);
  /** @type {Obligation[]} */
  const obls = await getOK(authority, '/api/v1/obligations?limit=1000');
  // The liaison of the nation the confirmed proposal binds, if the demo has
  // one; else the first demo liaison with an open obligation.
  const liaisons = Object.keys(logins).filter((n) => n.startsWith('liaison-'));
  let o = obligation;
  let user = `liaison-${o.guarantor.toLowerCase()}`;
  if (!logins[user]) {
    const other = obls.find((x) => x.state === 'open' && logins[`liaison-${x.guarantor.toLowerCase()}`]);
    check(other, `no demo liaison (${liaisons.join(', ')}) has an open obligation`);
    o = other;
    user = `liaison-${o.guarantor.toLowerCase()}`;
  }
  const nation = o.guarantor;
  const page = await newPage(await b(), origin);
  await signIn(page, url, logins, user);
  const rows = page.getByRole('row');
  await page.getByRole('table').filter({ hasText: 'Time left' }).waitFor();
  // Acting is offered on the liaison's own nation's open obligations only.
  const ownOpen = obls.filter((x) => x.guarantor === nation && x.state === 'open').length;
  const offered = await page.getByRole('button', { name: 'Acknowledge…' }).count();
  check(offered === ownOpen, `${user} is offered ${offered} "Acknowledge…" buttons; ${nation} has ${ownOpen} open obligations`);
  const firstRow = (await rows.nth(1).textContent()) ?? '';
  check(firstRow.includes(nation), `the first obligation listed is not ${nation}'s: ${firstRow}`);
  const row = rows.filter({ hasText: o.clause }).filter({ hasText: nation });
  check((await row.count()) === 1, `${await row.count()} rows for ${nation}'s obligation under ${o.clause}`);
  await row.getByRole('button', { name: 'Acknowledge…' }).click();
  await page.getByLabel(/^Note/).fill(reason('received; consultations are being convened.'));
  await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await page.getByText(`Acknowledged: ${nation}, ${o.clause}.`).waitFor();
  await row.getByText('acknowledged', { exact: true }).first().waitFor();
  /** @type {Obligation[]} */
  const after = await getOK(authority, '/api/v1/obligations?limit=1000');
  const now = after.find((x) => x.id === o.id);
  check(now?.state === 'acknowledged', `the API says ${o.id} is ${now?.state}`);
  note(`${user} acknowledged ${o.id}`);
  await screenshot(page, 'guarantees-liaison');
  await signOut(page);
});

step('viewer-pol sees nothing of a restricted incident', async () => {
  const u = url;
  const r = restricted;
  check(u && r, 'no restricted incident');
  const page = await newPage(await b(), origin);
  const { shown, features } = await openMap(page, () => signIn(page, u, logins, 'viewer-pol')); // a viewer starts on the map
  check(features.length > 0 && shown > 0, `viewer-pol's map shows ${shown} incidents`);
  const notPublic = features.filter((f) => f.properties.releasability?.classification !== 'PUBLIC');
  check(notPublic.length === 0, `viewer-pol's map read ${notPublic.length} incidents that are not PUBLIC, e.g. ${notPublic[0]?.id}`);
  check(!features.some((f) => f.id === r.id), `viewer-pol's map read ${r.id}`);
  // Absent because withheld, not because older than what the map reads.
  const oldest = features.map((f) => f.properties.start ?? '').sort()[0] ?? '';
  check((r.properties.start ?? '') >= oldest, `${r.id} is older than what the map reads: the check would prove nothing`);
  check(!(await page.content()).includes(r.id), `the page shows ${r.id}`);
  const asPol = await /** @type {Api} */ (api['viewer-pol']).get(`/api/v1/incidents/${encodeURIComponent(r.id)}`);
  check(asPol.status === 404, `GET /api/v1/incidents/${r.id} as viewer-pol: ${asPol.status}`);
  note(`${r.id} is neither in viewer-pol's ${features.length} incidents nor on the map's page; the API answers 404`);
  // Its own page, opened by its address, says it is not there.
  expectedRefusal = { status: 404, path: `/api/v1/incidents/${encodeURIComponent(r.id)}` };
  const opened = await openIncidentPage(page, u, r.id);
  await sleep(500);
  expectedRefusal = undefined;
  check(opened !== 'shown', `viewer-pol is shown the page of ${r.id}`);
  if (opened === 'refused') {
    note(`its page says: ${(await page.getByRole('main').getByText(/not released to you|not found/i).first().textContent())?.trim()}`);
    check(!(await page.getByRole('main').getByText(/Releasability|Evidence/).count()), `the page of ${r.id} shows some of it to viewer-pol`);
  } else note('the interface has no page of its own for an incident');
  // Nor is a viewer offered an action the server would refuse.
  await openView(page, 'Queue');
  await page.getByRole('region', { name: 'Candidate violations' }).waitFor({ timeout: 60_000 });
  for (const name of ['Confirm…', 'Reject…', 'More information…']) {
    check((await page.getByRole('button', { name }).count()) === 0, `viewer-pol is offered "${name}"`);
  }
  await signOut(page);
});

step('every other view shows without an error (as the secretariat)', async () => {
  const u = url;
  check(u, 'no server');
  const page = await newPage(await b(), origin);
  // The secretariat starts on the map: let it load before moving on.
  await openMap(page, () => signIn(page, u, logins, 'secretariat'));
  const nav = page.getByRole('navigation', { name: 'Views' });
  const links = await nav.getByRole('link').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href') ?? '', text: (a.textContent ?? '').trim() })));
  const known = new Set(['/map', '/queue', '/guarantees']);
  const others = links.filter((l) => l.href.startsWith('/') && !known.has(l.href));
  note(`views: ${links.map((l) => l.text).join(', ')}`);
  for (const l of others) {
    await openLoaded(page, l);
    await sleep(1000);
    const name = l.text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();
    await screenshot(page, name);
  }
  if (others.length === 0) note('no other view');
  await signOut(page);
});

step('every view fits a laptop and a large monitor, the queue answers the keyboard, the report prints, and signing out while the map loads leaves no error', async () => {
  const u = url;
  check(u, 'no server');
  const page = await newPage(await b(), origin);
  await signIn(page, u, logins, 'analyst-gbr'); // an analyst starts on the queue
  await settle(page);
  const links = await page
    .getByRole('navigation', { name: 'Views' })
    .getByRole('link')
    .evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href') ?? '', text: (a.textContent ?? '').trim() })));
  for (const size of [viewport, { width: 1920, height: 1080 }]) {
    await page.setViewportSize(size);
    for (const l of links.filter((x) => x.href.startsWith('/'))) {
      await openLoaded(page, l);
      // Nothing wider than the window (the page never scrolls sideways), and
      // the navigation and "Sign out" in view.
      const overflow = await page.locator('html').evaluate((html) => html.scrollWidth - html.clientWidth);
      check(overflow <= 0, `${l.text} at ${size.width}×${size.height} is ${overflow} px wider than the window`);
      const out = await page.getByRole('button', { name: 'Sign out' }).boundingBox();
      check(out && out.x >= 0 && out.x + out.width <= size.width && out.y >= 0 && out.y + out.height <= size.height, `"Sign out" is not in view on ${l.text} at ${size.width}×${size.height}`);
    }
    note(`${links.length} views fit ${size.width}×${size.height}`);
  }
  await page.setViewportSize(viewport);

  // The queue from the keyboard: j moves down, k back up.
  await openLoaded(page, { href: '/queue', text: 'Queue' });
  const list = page.getByRole('listbox').first();
  await list.waitFor({ timeout: 60_000 });
  await list.focus();
  const active = () => list.getAttribute('aria-activedescendant');
  const first = await active();
  check((await list.getByRole('option').count()) >= 2, 'the queue has fewer than two candidates to move between');
  await page.keyboard.press('j');
  const second = await active();
  check(first && second && second !== first, `j did not move the queue's selection (${first} → ${second})`);
  await page.keyboard.press('k');
  check((await active()) === first, "k did not move the queue's selection back");
  note(`the queue moves with j and k (${first} → ${second} → ${first})`);

  // The daily report, printed: the page's tools and navigation are not on
  // paper, the report is, and Chromium lays it out in pages.
  await openLoaded(page, { href: '/report', text: 'Daily report' });
  await page.emulateMedia({ media: 'print' });
  check(!(await page.getByRole('navigation', { name: 'Views' }).isVisible()), 'the navigation is printed');
  check(!(await page.getByRole('button', { name: 'Sign out' }).isVisible()), '"Sign out" is printed');
  check(!(await page.getByRole('button', { name: /^Print/ }).isVisible()), '"Print…" is printed');
  check(await page.getByRole('main').getByRole('heading', { level: 1 }).first().isVisible(), "the report's heading is not printed");
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  check(pdf.subarray(0, 5).toString() === '%PDF-' && pages >= 1, `the printed report is not a PDF of pages (${pdf.length} bytes, ${pages} pages)`);
  writeFileSync(join(shots, 'daily-report.pdf'), pdf);
  note(`the report prints on ${pages} A4 page(s): daily-report.pdf`);
  await page.emulateMedia({ media: 'screen' });

  // Sign out while the map is still reading its incidents (held back here
  // for 2 s on their way to the server): nothing it was reading may come
  // back refused (a 401 in the console fails the run).
  await page.route(/\/api\/v1\/incidents\?/, async (route) => {
    await sleep(2000);
    await route.continue().catch(() => {}); // the page gave it up
  });
  const reading = page.waitForRequest(/\/api\/v1\/incidents\?/);
  await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Map', exact: true }).click();
  await reading;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out').waitFor();
  await sleep(3000); // a stream or a timer left behind would ask meanwhile
  await page.context().close();
});

step('the secretariat records a delivery, and the administrator sees the webhooks and the sensors', async () => {
  const u = url;
  check(u, 'no server');
  const sec = /** @type {Api} */ (api['secretariat']);
  /** @typedef {{ id: string, allocated: number, deliveries?: { amount: number, id?: string }[] }} Commitment */
  /** @type {{ features?: Commitment[], commitments?: Commitment[] } | Commitment[]} */
  const listed = await getOK(sec, '/api/v1/commitments?limit=1000');
  const all = Array.isArray(listed) ? listed : (listed.commitments ?? listed.features ?? []);
  const delivered = (/** @type {Commitment} */ c) => (c.deliveries ?? []).reduce((t, d) => t + d.amount, 0);
  const c = all.find((x) => x.allocated - delivered(x) >= 1);
  check(c, `no commitment with room for a delivery of 1 among ${all.length}`);
  const before = (c.deliveries ?? []).length;

  let page = await newPage(await b(), origin);
  await openMap(page, () => signIn(page, u, logins, 'secretariat'));
  await openLoaded(page, { href: '/commitments', text: 'Commitments' });
  const form = page.getByRole('region', { name: 'Record a delivery' });
  await form.getByLabel('Commitment').selectOption(c.id);
  await form.getByLabel('Day delivered').fill('2026-11-20');
  await form.getByLabel(/^Amount/).fill('1');
  await form.getByLabel('Note (optional)').fill(reason('one unit, recorded from the browser.'));
  await form.getByRole('button', { name: 'Record the delivery' }).click();
  const said = form.locator('.done, .error, [role="alert"]').first();
  await said.waitFor({ timeout: 30_000 });
  const text = ((await said.textContent()) ?? '').trim();
  check(/^Recorded/.test(text), `the delivery form says: ${text}`);
  /** @type {Commitment} */
  const after = await getOK(sec, `/api/v1/commitments/${encodeURIComponent(c.id)}`);
  check((after.deliveries ?? []).length === before + 1, `${c.id} has ${(after.deliveries ?? []).length} deliveries after the form, ${before} before`);
  const sent = (after.deliveries ?? []).at(-1);
  check(/^web-[0-9a-f]{24}$/.test(sent?.id ?? ''), `the delivery was recorded without the form's id (${JSON.stringify(sent)})`);
  note(`${text.split('.')[0]} (${c.id})`);
  await signOut(page);

  page = await newPage(await b(), origin);
  await signIn(page, u, logins, 'admin');
  await settle(page);
  await openLoaded(page, { href: '/admin', text: 'Administration' });
  const main = page.getByRole('main');
  await main.getByRole('heading', { name: /^Webhooks/ }).waitFor();
  await main.getByRole('heading', { name: /^Sensors \(\d+\)/ }).waitFor({ timeout: 30_000 });
  await main.getByRole('heading', { name: 'Add a webhook' }).waitFor();
  note(`the administrator sees ${await main.getByRole('heading', { name: /^Sensors/ }).textContent()}`);
  await screenshot(page, 'admin');
  await signOut(page);
});

step('a log proof, and a checkpoint kept at the start, verify in the browser', async () => {
  const u = url;
  const c = candidate;
  check(u && c, 'no server or no candidate');
  const page = await newPage(await b(), origin);
  await signIn(page, u, logins, 'analyst-gbr');
  await settle(page);
  await page.goto(`${u}/candidate?id=${encodeURIComponent(c.id)}`);
  const main = page.getByRole('main');
  await main.getByRole('button', { name: 'Log proof', exact: true }).first().click();
  const panel = main.locator('.proof').first();
  await panel.getByRole('button', { name: 'Verify in this browser' }).click();
  const verified = panel.getByText(/^Verified against checkpoint of size [\d,]+, whose signature is valid\.$/);
  const proofSaid = panel.locator(':scope > .done, :scope > .error');
  await proofSaid.first().waitFor({ timeout: 30_000 });
  check((await verified.count()) === 1, `the proof did not verify: ${await proofSaid.first().textContent()}`);
  note(((await verified.textContent()) ?? '').trim());
  await panel.getByText('Check the log against a checkpoint you kept').click();
  await panel.getByLabel(/^Checkpoint you kept/).fill(keptCheckpoint);
  await panel.getByRole('button', { name: 'Check consistency' }).click();
  const consistent = panel.getByText(/you kept is a prefix of the current log of size [\d,]+: nothing was changed or removed\.$/);
  const consistencySaid = panel.locator('.consistency').locator('.done, .error');
  await consistencySaid.first().waitFor({ timeout: 30_000 });
  check((await consistent.count()) === 1, `the kept checkpoint was not found consistent: ${await consistencySaid.first().textContent()}`);
  note(((await consistent.textContent()) ?? '').trim());
  await signOut(page);
});

console.log(`e2e: the interface in ${chromiumPath}, screenshots in ${shots}`);
let ran = 0;
try {
  mkdirSync(shots, { recursive: true });
  for (const s of steps) {
    if (failures.length > 0) break;
    current = s.name;
    console.log(`- ${s.name}`);
    ran++;
    const before = failures.length;
    try {
      await s.run();
    } catch (e) {
      fail(e instanceof Error ? (e.message.split('\n').slice(0, 12).join('\n')) : String(e));
    }
    if (failures.length === before) passed++;
  }
} finally {
  current = '(teardown)';
  await browser?.close().catch(() => {});
  await server?.stop();
  const serverLog = server?.log ?? '';
  if (failures.length > 0 && serverLog) {
    const tail = serverLog.trimEnd().split('\n').slice(-15).join('\n');
    console.error(`  the server's last lines:\n${tail}`);
  }
  if (tmp) {
    if (keep || failures.length > 0) {
      writeFileSync(join(tmp, 'server.log'), serverLog);
      console.log(`  kept ${tmp} (database, server.log)`);
    } else rmSync(tmp, { recursive: true, force: true });
  }
}

const skipped = steps.length - ran;
console.log(`e2e: ${seconds()}`);
const failed = Math.max(steps.length - passed - skipped, failures.length > 0 ? 1 : 0);
console.log(`e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failures.length > 0 ? 1 : 0);
