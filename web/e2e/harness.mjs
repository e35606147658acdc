// What the browser tests (smoke.mjs) and the map's benchmark (mapbench.mjs)
// share: building guarantor, running it on a loopback port, reading the demo's
// logins, and signing in through the interface as a person does.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root. */
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @param {unknown} cond @param {string} why @returns {asserts cond} */
export function check(cond, why) {
  if (!cond) throw new Error(why);
}

/**
 * option reads `--name VALUE` from the command line.
 * @param {string[]} argv @param {string} name @returns {string | undefined}
 */
export function option(argv, name) {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

/** @returns {Promise<number>} a free port on the loopback interface */
export function freePort() {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once('error', ko);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => (port ? ok(port) : ko(new Error('no free port'))));
    });
  });
}

/**
 * buildGuarantor builds the binary into dir and returns its path.
 * @param {string} dir @param {(s: string) => void} note
 */
export function buildGuarantor(dir, note) {
  const bin = join(dir, 'guarantor');
  note(`go build -o ${bin} ./cmd/guarantor`);
  const built = spawnSync('go', ['build', '-o', bin, './cmd/guarantor'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.error) throw new Error(`go build: ${built.error.message} (is Go installed?)`);
  check(built.status === 0, `go build failed (exit ${built.status})`);
  return bin;
}

/** A guarantor server started by start(). */
export class Server {
  /** @param {import('node:child_process').ChildProcess} proc @param {string} url */
  constructor(proc, url) {
    this.proc = proc;
    /** The server's address, http://127.0.0.1:PORT */
    this.url = url;
    /** What the server has written so far. */
    this.log = '';
    for (const s of [proc.stdout, proc.stderr]) s?.on('data', (b) => (this.log += String(b)));
    // Whatever happens, the server does not outlive the process that started it.
    process.on('exit', () => {
      if (!this.gone()) proc.kill('SIGKILL');
    });
  }

  /** gone says whether the server has stopped. */
  gone() {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** stop asks the server to stop (SIGTERM), and kills it after 15 s. */
  async stop() {
    if (this.gone()) return;
    const p = this.proc;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    if ((await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) === false) {
      p.kill('SIGKILL');
      await exited;
    }
  }

  /** ready waits until /healthz answers 200, and fails at once if the server stops. */
  ready(ms = 120_000) {
    return waitHealthy(this.url, ms, this);
  }
}

/**
 * waitHealthy waits until url's /healthz answers 200; when server is given,
 * it fails at once if that server stops.
 * @param {string} url @param {number} ms @param {Server} [server]
 */
export async function waitHealthy(url, ms = 120_000, server) {
  const until = Date.now() + ms;
  for (;;) {
    if (server?.gone()) throw new Error(`the server stopped (exit ${server.proc.exitCode ?? server.proc.signalCode}):\n${server.log.slice(-3000)}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url}/healthz did not answer 200 in ${ms / 1000} s`);
    await sleep(250);
  }
}

/**
 * start runs `guarantor serve ARGS --listen 127.0.0.1:PORT` in dir, on a free port.
 * @param {string} bin @param {string[]} args @param {string} dir @param {(s: string) => void} note
 */
export async function start(bin, args, dir, note) {
  const port = await freePort();
  const all = ['serve', ...args, '--listen', `127.0.0.1:${port}`];
  note(`guarantor ${all.join(' ')}`);
  return new Server(spawn(bin, all, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }), `http://127.0.0.1:${port}`);
}

/**
 * readLogins reads the names and passwords a demo server writes beside its database.
 * @param {string} file @returns {Record<string, string>}
 */
export function readLogins(file) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, password] = line.trim().split(/\s+/);
    if (name && password) out[name] = password;
  }
  return out;
}

/**
 * signIn signs in through the sign-in form, as a person does.
 * @param {import('playwright-core').Page} page @param {string} url @param {Record<string, string>} logins @param {string} user
 */
export async function signIn(page, url, logins, user) {
  const password = logins[user];
  check(password, `no password for ${user} in the demo logins`);
  if (!page.url().startsWith(url)) await page.goto(`${url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/**
 * The flags Debian's Chromium is launched with: no sandbox (containers), no
 * GPU, nothing fetched in the background, and WebGL for MapLibre without a
 * GPU (SwiftShader through ANGLE).
 */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];
