// The log's proofs checked in the browser (log.ts), against a Merkle tree
// built here by brute force from RFC 6962's definitions with Node's own
// SHA-256, and checkpoints signed here with Node's Ed25519 in the C2SP
// signed-note format (golang.org/x/mod/sumdb/note, as internal/ledger signs).
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  actionCanonical,
  b64,
  equal,
  goString,
  hex,
  leafHash,
  parseCheckpoint,
  rootFromInclusion,
  sha256,
  sha256js,
  unb64,
  verifyConsistency,
  verifyNote,
  webCrypto,
  withoutFinalNewline,
} from './log';
import type { CandidateAction } from './types';

// log.ts reads from the API only in functions these tests do not call.
vi.mock('./api', () => ({ get: vi.fn(), getText: vi.fn() }));

const enc = new TextEncoder();
const sha = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());

// RFC 6962, 2.1: the leaf hash, the node hash, the tree's hash and the audit path.
const leafOf = (data: Uint8Array) => sha(Uint8Array.of(0), data);
const nodeOf = (l: Uint8Array, r: Uint8Array) => sha(Uint8Array.of(1), l, r);
/** split is the largest power of two smaller than n. */
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));
/** mth is the Merkle tree hash of leaf hashes. */
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  const k = split(leaves.length);
  return nodeOf(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
/** auditPath is the audit path of leaf m among leaf hashes. */
function auditPath(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length === 1) return [];
  const k = split(leaves.length);
  return m < k ? [...auditPath(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...auditPath(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

const most = 33;
const leaves = Array.from({ length: most }, (_, i) => leafOf(enc.encode(`record ${i}`)));
const roots = [new Uint8Array(0), ...Array.from({ length: most }, (_, n) => mth(leaves.slice(0, n + 1)))];

/** accepted says whether a proof leads to the root: a proof that cannot be followed is not. */
async function accepted(index: number, size: number, leaf: Uint8Array, path: Uint8Array[], root: Uint8Array): Promise<boolean> {
  try {
    return equal(await rootFromInclusion(index, size, leaf, path), root);
  } catch {
    return false;
  }
}

/** flipped is bytes with one bit of one byte changed. */
function flipped(b: Uint8Array, at: number): Uint8Array {
  const c = b.slice();
  c[at % c.length] = (c[at % c.length] ?? 0) ^ 0x01;
  return c;
}

test('the tests use Web Crypto', () => {
  expect(webCrypto).toBe(true);
});

describe('rootFromInclusion against a brute-force RFC 6962 tree', () => {
  test('the tree is RFC 6962s: the root of three leaves', () => {
    const [a, b, c] = leaves as [Uint8Array, Uint8Array, Uint8Array];
    expect(roots[3]).toEqual(nodeOf(nodeOf(a, b), c));
    expect(auditPath(2, leaves.slice(0, 3))).toEqual([nodeOf(a, b)]);
  });

  test.each(Array.from({ length: most }, (_, i) => i + 1))('tree of %d: every leaf is proved, and every altered proof refused', async (n) => {
    const wrong: string[] = [];
    for (let m = 0; m < n; m++) {
      const leaf = leaves[m]!;
      const path = auditPath(m, leaves.slice(0, n));
      const root = roots[n]!;
      const checks: [string, Promise<boolean>, boolean][] = [['the proof', accepted(m, n, leaf, path, root), true]];
      // Any byte flipped: of the leaf, or of each hash of the path (a different byte for each leaf).
      checks.push(['the leaf flipped', accepted(m, n, flipped(leaf, m), path, root), false]);
      path.forEach((_, i) =>
        checks.push([`hash ${i} flipped`, accepted(m, n, leaf, path.map((h, j) => (j === i ? flipped(h, m + 7 * i) : h)), root), false]),
      );
      // Another leaf's index: its neighbours, its sibling, the ends, and beyond the tree.
      for (const other of new Set([0, m - 1, m + 1, m ^ 1, m ^ 2, n - 1, n, n + 1]))
        if (other >= 0 && other !== m) checks.push([`as leaf ${other}`, accepted(other, n, leaf, path, root), false]);
      // Another size, against that size's root: one more or less, the powers of two about it, the largest, and too small to hold the leaf.
      const p2 = 2 ** Math.ceil(Math.log2(n));
      for (const size of new Set([n - 2, n - 1, n + 1, n + 2, p2 / 2, p2, 2 * p2, most, m]))
        if (size !== n && size >= 1 && size <= most) checks.push([`as of size ${size}`, accepted(m, size, leaf, path, roots[size]!), false]);
      // A hash short, or one too many.
      if (path.length > 0) checks.push(['truncated', accepted(m, n, leaf, path.slice(0, -1), root), false]);
      checks.push(['extended', accepted(m, n, leaf, [...path, leaf], root), false]);
      checks.push(['extended at the front', accepted(m, n, leaf, [leaf, ...path], root), false]);
      for (const [what, got, want] of checks) if ((await got) !== want) wrong.push(`leaf ${m}: ${what} ${want ? 'refused' : 'accepted'}`);
    }
    expect(wrong).toEqual([]);
  });

  test.each([
    { name: 'a truncated path', index: 5, size: 13, cut: -1, why: /shorter than the tree is deep/ },
    { name: 'an extended path', index: 5, size: 13, cut: 1, why: /longer than the tree is deep/ },
    { name: 'a leaf beyond the tree', index: 13, size: 13, cut: 0, why: /leaf 13 is beyond the tree of size 13/ },
    { name: 'an empty tree', index: 0, size: 0, cut: 0, why: /beyond the tree of size 0/ },
  ])('$name is refused in words', async ({ index, size, cut, why }) => {
    const path = auditPath(5, leaves.slice(0, 13));
    const given = cut < 0 ? path.slice(0, cut) : cut > 0 ? [...path, leaves[0]!] : path;
    await expect(rootFromInclusion(index, size, leaves[5]!, given)).rejects.toThrow(why);
  });
});

/** subproof is RFC 6962's SUBPROOF(m, D[n], b) (2.1.2) over leaf hashes. */
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [mth(d)];
  const k = split(n);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}
/** consistencyProof is RFC 6962's PROOF(m, D[n]): the consistency proof from size m to size n. */
const consistencyProof = (m: number, n: number) => (m === 0 || m === n ? [] : subproof(m, leaves.slice(0, n), true));

/** consistent says whether a consistency proof is accepted: one that throws is not. */
async function consistent(m: number, rm: Uint8Array, n: number, rn: Uint8Array, proof: Uint8Array[]): Promise<boolean> {
  try {
    await verifyConsistency(m, rm, n, rn, proof);
    return true;
  } catch {
    return false;
  }
}

describe('verifyConsistency against a brute-force RFC 6962 tree', () => {
  test('the proof is RFC 6962s: from 3 leaves to 7 (2.1.3, the example tree)', () => {
    const [a, b, c, d, e, f, g] = leaves as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    // PROOF(3, D[7]) = [c, d, g, l] in the RFC's picture: leaves 2 and 3, the node of leaves 0 and 1, and that of leaves 4 to 6.
    expect(consistencyProof(3, 7)).toEqual([c, d, nodeOf(a, b), nodeOf(nodeOf(e, f), g)]);
    expect(consistencyProof(4, 7)).toEqual([nodeOf(nodeOf(e, f), g)]);
  });

  test.each(Array.from({ length: most }, (_, i) => i + 1))('to a tree of %d: every smaller tree is proved a prefix, and every altered proof refused', async (n) => {
    const wrong: string[] = [];
    for (let m = 1; m <= n; m++) {
      const proof = consistencyProof(m, n);
      const [rm, rn] = [roots[m]!, roots[n]!];
      const checks: [string, Promise<boolean>, boolean][] = [['the proof', consistent(m, rm, n, rn, proof), true]];
      // Any hash of the proof with a byte flipped (a different byte for each size).
      proof.forEach((_, i) => checks.push([`hash ${i} flipped`, consistent(m, rm, n, rn, proof.map((h, j) => (j === i ? flipped(h, m + 5 * i) : h))), false]));
      // Either root wrong: flipped, or another size's.
      checks.push(['the first root flipped', consistent(m, flipped(rm, n), n, rn, proof), false]);
      checks.push(['the second root flipped', consistent(m, rm, n, flipped(rn, m), proof), false]);
      if (m < n) checks.push(['the roots swapped', consistent(m, rn, n, rm, proof), false]);
      // Another size, with that size's true root.
      for (const size of new Set([m - 1, m + 1, 2 * m, Math.floor(m / 2)]))
        if (size !== m && size >= 1 && size <= n) checks.push([`from size ${size}`, consistent(size, roots[size]!, n, rn, proof), false]);
      for (const size of new Set([n - 1, n + 1, 2 * n, most]))
        if (size !== n && size >= m && size <= most) checks.push([`to size ${size}`, consistent(m, rm, size, roots[size]!, proof), false]);
      // A hash short, or one too many at either end.
      if (proof.length > 0) checks.push(['truncated', consistent(m, rm, n, rn, proof.slice(0, -1)), false]);
      if (proof.length > 1) checks.push(['its first hash dropped', consistent(m, rm, n, rn, proof.slice(1)), false]);
      checks.push(['extended', consistent(m, rm, n, rn, [...proof, leaves[0]!]), false]);
      checks.push(['extended at the front', consistent(m, rm, n, rn, [rm, ...proof]), false]);
      for (const [what, got, want] of checks) if ((await got) !== want) wrong.push(`${m} to ${n}: ${what} ${want ? 'refused' : 'accepted'}`);
    }
    expect(wrong).toEqual([]);
  });

  const empty = sha(new Uint8Array(0));
  test.each([
    { name: 'a first size beyond the second', m: 5, n: 3, proof: [], why: /larger than the tree of size 3/ },
    { name: 'a negative size', m: -1, n: 3, proof: [], why: /not tree sizes/ },
    { name: 'a proof between different sizes that is empty', m: 3, n: 5, proof: [], why: /from size 3 to size 5 is empty/ },
    { name: 'a proof between equal sizes that is not empty', m: 5, n: 5, proof: [leaves[0]!], why: /same size 5 must be empty/ },
    { name: 'equal sizes with other roots', m: 5, n: 5, proof: [], first: roots[4], why: /both of size 5 but their roots differ/ },
    { name: 'a truncated proof', m: 3, n: 7, proof: consistencyProof(3, 7).slice(0, -1), why: /shorter than the tree is deep/ },
    { name: 'an extended proof', m: 3, n: 7, proof: [...consistencyProof(3, 7), leaves[0]!], why: /longer than the tree is deep/ },
    { name: 'another first root', m: 3, n: 7, proof: consistencyProof(3, 7), first: roots[2], why: /proof for size 3 is not the root of the tree of size 3 you hold/ },
    { name: 'another second root', m: 3, n: 7, proof: consistencyProof(3, 7), second: roots[6], why: /proof for size 7 is not the root of the tree of size 7/ },
    { name: 'a proof from the empty tree that is not empty', m: 0, n: 7, proof: [leaves[0]!], first: empty, why: /from the empty tree must be empty/ },
    { name: 'the empty tree with a root not the empty hash', m: 0, n: 7, proof: [], first: roots[1], why: /not the empty tree's hash/ },
  ])('$name is refused in words', async ({ m, n, proof, first, second, why }) => {
    await expect(verifyConsistency(m, first ?? roots[m] ?? empty, n, second ?? roots[n] ?? empty, proof)).rejects.toThrow(why);
  });

  test('the empty tree is a prefix of every tree (RFC 9162 defines no proof for it: an empty one is accepted)', async () => {
    for (const n of [0, 1, 7, most]) await expect(verifyConsistency(0, empty, n, roots[n] ?? empty, [])).resolves.toBeUndefined();
  });
});

describe('hashes', () => {
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

  test.each([0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 1000, 100_000])('SHA-256 of %d bytes, by Web Crypto and by sha256js, is Node’s', async (n) => {
    const want = sha(bytes(n));
    expect(sha256js(bytes(n))).toEqual(want);
    expect(await sha256(bytes(n))).toEqual(want);
  });

  test.each([
    { kind: 'observation', data: '{"id":"obs-1"}' },
    { kind: 'action', data: '' },
    { kind: 'restriction', data: 'ünïcode\nand lines' },
  ])('leafHash of a $kind is SHA-256(0x00 || kind || "\\n" || bytes)', async ({ kind, data }) => {
    expect(await leafHash(kind, enc.encode(data))).toEqual(sha(Uint8Array.of(0), enc.encode(`${kind}\n`), enc.encode(data)));
  });

  test('without Web Crypto (a page not in a secure context), sha256js gives the same roots, and the signature is not checked', async () => {
    vi.resetModules();
    vi.stubGlobal('crypto', {});
    const plain = await import('./log');
    expect(plain.webCrypto).toBe(false);
    for (let m = 0; m < 13; m++) expect(await plain.rootFromInclusion(m, 13, leaves[m]!, auditPath(m, leaves.slice(0, 13)))).toEqual(roots[13]);
    const key = keyWhere('guarantor.example/log', true);
    const text = body('guarantor.example/log', 13, roots[13]!);
    const check = await plain.verifyNote(plain.parseCheckpoint(`${text}\n${key.sign(text)}`), key.vkey);
    expect(check).toMatchObject({ ok: false, unsupported: true });
    expect(check.words).toMatch(/not in a secure context/);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });
});

/**
 * newKey makes an Ed25519 note key named name from a seed, so that every
 * run has the same keys: its verifier key, and a signer writing a note's
 * signature line over a text.
 */
function newKey(name: string, seed = 0) {
  // PKCS #8 for an Ed25519 private key is a fixed prefix and the 32-byte seed (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), sha(enc.encode(`${name} ${seed}`))]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const raw = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32));
  // The key id: the first four bytes of SHA-256(name || "\n" || 0x01 || public key).
  const id = sha(enc.encode(`${name}\n`), Uint8Array.of(1), raw).subarray(0, 4);
  const key64 = Buffer.from([1, ...raw]).toString('base64');
  return {
    key64,
    vkey: `${name}+${Buffer.from(id).toString('hex')}+${key64}`,
    sign: (text: string) => `\u2014 ${name} ${Buffer.concat([id, sign(null, Buffer.from(text), privateKey)]).toString('base64')}\n`,
  };
}

/** keyWhere is the first key of that name, by seed, whose base64 has a "+" in it, or has none. */
function keyWhere(name: string, plus: boolean) {
  for (let seed = 0; ; seed++) {
    const k = newKey(name, seed);
    if (k.key64.includes('+') === plus) return k;
  }
}

/** body is a checkpoint's signed text: origin, size, base64 root, and any extension lines. */
const body = (origin: string, size: number, root: Uint8Array, ...extensions: string[]) => `${origin}\n${size}\n${b64(root)}\n${extensions.map((e) => `${e}\n`).join('')}`;

describe('checkpoints', () => {
  const origin = 'guarantor.example/log';
  const log = keyWhere(origin, false);
  const impostor = newKey(origin, 1000);
  const witness = newKey('witness.example/w1');
  const other = newKey('other.example/log');
  const text = body(origin, 21, roots[21]!);

  // A verifier key's base64 holds a "+" one time in two: it is not a separator.
  test.each([false, true])('a checkpoint signed by a key whose base64 has a "+": %s, verifies', async (plus) => {
    const key = keyWhere(origin, plus);
    expect(key.key64.includes('+')).toBe(plus);
    expect(await verifyNote(parseCheckpoint(`${text}\n${key.sign(text)}`), key.vkey)).toEqual({ ok: true, words: `the signature by ${origin} is valid` });
  });

  test('parseCheckpoint reads the origin, size, root, signed text and signatures', () => {
    const note = `${text}\n${witness.sign(text)}${log.sign(text)}`;
    const cp = parseCheckpoint(note);
    expect(cp).toMatchObject({ note, origin, size: 21, text });
    expect(cp.root).toEqual(roots[21]);
    expect(cp.signatures.map((s) => [s.name, s.sig.length])).toEqual([
      ['witness.example/w1', 68],
      [origin, 68],
    ]);
  });

  test.each([
    { name: 'no blank line', note: `${text}${log.sign(text)}`, why: /no blank line/ },
    { name: 'no root line', note: `${origin}\n21\n\n${log.sign(text)}`, why: /lacks its origin, size or root/ },
    { name: 'a size that is not a number', note: `${origin}\n2x1\n${b64(roots[21]!)}\n\n`, why: /size "2x1" is not a number/ },
    { name: 'a negative size', note: `${origin}\n-1\n${b64(roots[21]!)}\n\n`, why: /is not a number/ },
    { name: 'a root that is not base64', note: `${origin}\n21\n%%%\n\n`, why: /root is not base64/ },
    { name: 'a root that is not 32 bytes', note: `${origin}\n21\n${b64(roots[21]!.slice(1))}\n\n`, why: /not a SHA-256 hash/ },
  ])('parseCheckpoint refuses $name', ({ note, why }) => {
    expect(() => parseCheckpoint(note)).toThrow(why);
  });

  test('parseCheckpoint passes over lines that are not signatures', () => {
    const cp = parseCheckpoint(`${text}\nnot a signature\n\u2014 name-only\n\u2014 bad sig!!!\n${log.sign(text)}`);
    expect(cp.signatures.map((s) => s.name)).toEqual([origin]);
  });

  test.each([
    { name: 'a checkpoint signed by the log', note: `${text}\n${log.sign(text)}`, key: log.vkey, ok: true, words: /the signature by guarantor.example\/log is valid/ },
    { name: 'the log’s signature after a witness’s', note: `${text}\n${witness.sign(text)}${log.sign(text)}`, key: log.vkey, ok: true, words: /is valid/ },
    {
      name: 'a checkpoint with an extension line',
      note: `${body(origin, 21, roots[21]!, 'ext')}\n${log.sign(body(origin, 21, roots[21]!, 'ext'))}`,
      key: log.vkey,
      ok: true,
      words: /is valid/,
    },
    { name: 'another size than was signed', note: `${body(origin, 22, roots[21]!)}\n${log.sign(text)}`, key: log.vkey, ok: false, words: /does not verify/ },
    { name: 'another root than was signed', note: `${body(origin, 21, roots[20]!)}\n${log.sign(text)}`, key: log.vkey, ok: false, words: /does not verify/ },
    { name: 'an extension line added', note: `${body(origin, 21, roots[21]!, 'ext')}\n${log.sign(text)}`, key: log.vkey, ok: false, words: /does not verify/ },
    { name: 'another origin than was signed', note: `${body('other.example/log', 21, roots[21]!)}\n${log.sign(text)}`, key: log.vkey, ok: false, words: /is of the log other.example\/log/ },
    { name: 'the log’s key, another log’s checkpoint', note: `${body('other.example/log', 21, roots[21]!)}\n${log.sign(body('other.example/log', 21, roots[21]!))}`, key: log.vkey, ok: false, words: /is of the log other.example\/log/ },
    { name: 'another log’s key and checkpoint, checked with the log’s key', note: `${body('other.example/log', 21, roots[21]!)}\n${other.sign(body('other.example/log', 21, roots[21]!))}`, key: log.vkey, ok: false, words: /is of the log/ },
    { name: 'a signature by another key of the same name', note: `${text}\n${impostor.sign(text)}`, key: log.vkey, ok: false, words: /carries no signature by guarantor.example\/log with this key/ },
    { name: 'a witness’s signature only', note: `${text}\n${witness.sign(text)}`, key: log.vkey, ok: false, words: /carries no signature/ },
    { name: 'a key that is not name+hash+key', note: `${text}\n${log.sign(text)}`, key: 'guarantor.example/log+abcd', ok: false, words: /not of the form name\+hash\+key/ },
    { name: 'a key that is not base64', note: `${text}\n${log.sign(text)}`, key: `${origin}+00000000+%%%`, ok: false, words: /not base64/ },
    { name: 'a key of another algorithm', note: `${text}\n${log.sign(text)}`, key: log.vkey.replace(/\+[^+]*$/, `+${b64(Uint8Array.of(2, ...new Uint8Array(32)))}`), ok: false, words: /not an Ed25519 key/ },
    { name: 'a key whose hash is not its own', note: `${text}\n${log.sign(text)}`, key: log.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'), ok: false, words: /hash does not match/ },
  ])('verifyNote: $name', async ({ note, key, ok, words }) => {
    const check = await verifyNote(parseCheckpoint(note), key);
    expect(check.ok).toBe(ok);
    expect(check.unsupported).toBeUndefined();
    expect(check.words).toMatch(words);
  });

  test('a signature flipped in any of its 64 bytes is refused', async () => {
    const line = log.sign(text);
    const sig = unb64(line.split(' ')[2]!);
    const refused: number[] = [];
    for (let i = 4; i < sig.length; i++) {
      const check = await verifyNote(parseCheckpoint(`${text}\n\u2014 ${origin} ${b64(flipped(sig, i))}\n`), log.vkey);
      if (!check.ok) refused.push(i);
    }
    expect(refused.length).toBe(64);
  });
});

describe("an action's canonical bytes, as Go writes them", () => {
  // The expected strings are what encoding/json and store.ActionRecord.Canonical write.
  test.each([
    ['plain', '"plain"'],
    ['a<b>&c', '"a\\u003cb\\u003e\\u0026c"'],
    ['quote " and \\ backslash', '"quote \\" and \\\\ backslash"'],
    ['line\nbreak\r\ttab', '"line\\nbreak\\r\\ttab"'],
    ['\b\f', '"\\b\\f"'],
    ['\u0000\u0001\u001f\u007f', '"\\u0000\\u0001\\u001f\u007f"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['é ü 😀', '"é ü 😀"'],
    ['lone \ud800 surrogate', '"lone \\ufffd surrogate"'],
  ])('goString(%j) is %s', (s, want) => {
    expect(goString(s)).toBe(want);
  });

  const at = '2026-11-21T23:43:55.123456789Z';
  test.each<{ a: CandidateAction; want: string }>([
    {
      a: { id: 'act-1', candidate: 'cand-1', n: 1, kind: 'confirm', analyst: 'analyst-fra', nation: 'FRA', at, reason: 'Seen <twice> & logged', leaf: 7 },
      want: `{"id":"act-1","candidate":"cand-1","n":1,"kind":"confirm","analyst":"analyst-fra","nation":"FRA","at":"${at}","reason":"Seen \\u003ctwice\\u003e \\u0026 logged"}`,
    },
    {
      a: { id: 'act-2', candidate: 'cand-1', n: 2, kind: 'merge', analyst: 'analyst-gbr', nation: 'GBR', at, reason: '', target: 'cand-0', parts: [] },
      want: `{"id":"act-2","candidate":"cand-1","n":2,"kind":"merge","analyst":"analyst-gbr","nation":"GBR","at":"${at}","reason":"","target":"cand-0"}`,
    },
    {
      a: { id: 'act-3', candidate: 'cand-1', n: 3, kind: 'split', analyst: 'a', nation: 'UKR', at, reason: 'two events', parts: ['cand-1.split-3.1', 'cand-1.split-3.2'] },
      want: `{"id":"act-3","candidate":"cand-1","n":3,"kind":"split","analyst":"a","nation":"UKR","at":"${at}","reason":"two events","parts":["cand-1.split-3.1","cand-1.split-3.2"]}`,
    },
  ])('actionCanonical of a $a.kind', ({ a, want }) => {
    expect(new TextDecoder().decode(actionCanonical(a))).toBe(want);
  });
});

describe('bytes', () => {
  test.each([0, 1, 2, 3, 4, 32, 33])('b64 and unb64 of %d bytes are base64 both ways', (n) => {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 0xff);
    expect(b64(b)).toBe(Buffer.from(b).toString('base64'));
    expect(unb64(b64(b))).toEqual(b);
  });

  test.each([
    [' AQID\n', [1, 2, 3]],
    ['AQID', [1, 2, 3]],
    ['', []],
  ])('unb64(%j)', (s, want) => {
    expect(Array.from(unb64(s))).toEqual(want);
  });

  test.each(['%%%', 'AQI-', 'A'])('unb64(%j) throws', (s) => {
    expect(() => unb64(s)).toThrow();
  });

  test.each([
    [[], ''],
    [[0, 15, 16, 255], '000f10ff'],
  ])('hex(%j) is %j', (b, want) => {
    expect(hex(Uint8Array.from(b))).toBe(want);
  });

  test.each([
    [[1, 2], [1, 2], true],
    [[1, 2], [1, 3], false],
    [[1, 2], [1, 2, 3], false],
    [[], [], true],
  ])('equal(%j, %j) is %s', (a, b, want) => {
    expect(equal(Uint8Array.from(a), Uint8Array.from(b))).toBe(want);
  });

  test.each([
    ['{"a":1}\n', '{"a":1}'],
    ['{"a":1}', '{"a":1}'],
    ['\n\n', '\n'],
    ['', ''],
  ])('withoutFinalNewline(%j) is %j', (s, want) => {
    expect(new TextDecoder().decode(withoutFinalNewline(enc.encode(s)))).toBe(want);
  });
});
