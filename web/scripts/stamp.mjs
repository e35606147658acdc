// Writes ../internal/web/dist/SOURCE-SHA256: the SHA-256 of the sources the
// built interface comes from, so that the Go test suite can tell a stale
// build from a fresh one without Node.js (internal/web, TestBuildIsFresh,
// computes the same hash in Go).
//
// The sources are, relative to web/: package.json, package-lock.json,
// index.html, every tsconfig*.json and vite.config.* file, and every file
// under src/, public/ and scripts/. For each, sorted by path (bytewise, '/' as the
// separator), the hash takes:
//
//   path, a NUL byte, the length in bytes as a decimal number, a NUL byte,
//   the bytes
//
// The file holds the hash in lower-case hex and a newline.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const topFiles = ['package.json', 'package-lock.json', 'index.html'];
const dirs = ['src', 'public', 'scripts'];

/**
 * @param {string} rel
 * @param {string[]} out
 */
function walk(rel, out) {
  const abs = join(web, rel);
  if (!existsSync(abs)) return;
  for (const ent of readdirSync(abs, { withFileTypes: true })) {
    const p = `${rel}/${ent.name}`;
    if (ent.isDirectory()) walk(p, out);
    else if (ent.isFile()) out.push(p);
  }
}

export function sourceFiles() {
  const files = topFiles.filter((f) => statSync(join(web, f), { throwIfNoEntry: false })?.isFile());
  for (const ent of readdirSync(web, { withFileTypes: true })) {
    if (ent.isFile() && /^(vite\.config\..+|tsconfig.*\.json)$/.test(ent.name)) files.push(ent.name);
  }
  for (const d of dirs) walk(d, files);
  return files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

export function sourceHash() {
  const h = createHash('sha256');
  for (const f of sourceFiles()) {
    const b = readFileSync(join(web, f));
    h.update(f);
    h.update('\0');
    h.update(String(b.length));
    h.update('\0');
    h.update(b);
  }
  return h.digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = join(web, '..', 'internal', 'web', 'dist', 'SOURCE-SHA256');
  const sum = sourceHash();
  writeFileSync(out, `${sum}\n`);
  console.log(`stamped ${sourceFiles().length} source files: ${sum}`);
}
