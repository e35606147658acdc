// Checking a record against the tamper-evident log in the browser
// (docs/security.md, "The tamper-evident log"): the record's leaf hash is
// computed from its bytes, the RFC 6962 root is recomputed from it and the
// inclusion proof's audit path, and compared with the root of the latest
// signed checkpoint. The checkpoint's Ed25519 signature is checked too where
// the browser can.
import { getText, get } from './api';
import type { CandidateAction } from './types';

const enc = new TextEncoder();

/** Whether this page may use Web Crypto (a secure context: HTTPS, or localhost). */
export const webCrypto = typeof crypto !== 'undefined' && !!crypto.subtle;

/** sha256 hashes with Web Crypto, or, outside a secure context where the browser withholds it, with sha256js. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  if (webCrypto) return new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
  return sha256js(data);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

/** leafHash is SHA-256(0x00 || kind || "\n" || canonical bytes). */
export function leafHash(kind: string, canonical: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([0]), enc.encode(`${kind}\n`), canonical));
}

/** nodeHash is SHA-256(0x01 || left || right). */
function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([1]), left, right));
}

/**
 * rootFromInclusion recomputes the root of a tree of size from a leaf's
 * hash and its audit path (RFC 9162, 2.1.3.2). It throws, in words, when the
 * path has the wrong length for the leaf and the size.
 */
export async function rootFromInclusion(index: number, size: number, leaf: Uint8Array, path: Uint8Array[]): Promise<Uint8Array> {
  if (index >= size) throw new Error(`leaf ${index} is beyond the tree of size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) throw new Error('the audit path is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the audit path is shorter than the tree is deep');
  return r;
}

/**
 * verifyConsistency checks that the tree of size first, of root firstRoot,
 * is a prefix of the tree of size second, of root secondRoot, by a
 * consistency proof (RFC 9162, 2.1.4.2). It resolves when the proof holds and
 * throws, in a sentence saying which step failed, when it does not.
 *
 * A first size of 0 is trivially consistent with any tree (RFC 9162, 2.1.4
 * defines proofs for 0 < first < second only: the empty tree is a prefix of
 * every tree): the proof must then be empty, and firstRoot the empty tree's
 * hash, SHA-256 of nothing. Equal sizes need an empty proof and equal roots.
 * A first size beyond the second is refused.
 */
export async function verifyConsistency(first: number, firstRoot: Uint8Array, second: number, secondRoot: Uint8Array, proof: Uint8Array[]): Promise<void> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || second < 0) throw new Error(`the sizes ${first} and ${second} are not tree sizes`);
  if (first > second) throw new Error(`the tree of size ${first} is larger than the tree of size ${second}, so it cannot be a prefix of it`);
  if (first === 0) {
    if (proof.length !== 0) throw new Error('a proof from the empty tree must be empty, and this one is not');
    if (!equal(firstRoot, await sha256(new Uint8Array(0)))) throw new Error("the root of the tree of size 0 is not the empty tree's hash");
    return;
  }
  if (first === second) {
    if (proof.length !== 0) throw new Error(`a proof between two trees of the same size ${first} must be empty, and this one has ${proof.length} hashes`);
    if (!equal(firstRoot, secondRoot)) throw new Error(`the two trees are both of size ${first} but their roots differ: one of them is not the log's`);
    return;
  }
  // 1. A proof between different sizes is never empty.
  if (proof.length === 0) throw new Error(`the proof from size ${first} to size ${second} is empty`);
  // 2. If first is an exact power of two, its root is the proof's first hash, left implicit.
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : proof;
  // Sizes up to 2^53 do not fit JavaScript's 32-bit bit operations: halve with Math.floor.
  let fn = first - 1;
  let sn = second - 1;
  // 3. Skip the levels where the first tree's last leaf is a right child.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 4. Both roots start from the proof's first hash.
  let fr = path[0]!;
  let sr = fr;
  // 5. Hash in the rest.
  for (const c of path.slice(1)) {
    if (sn === 0) throw new Error('the consistency proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 6. Both roots recomputed, and the whole path used.
  if (sn !== 0) throw new Error('the consistency proof is shorter than the tree is deep');
  if (!equal(fr, firstRoot)) throw new Error(`the root recomputed from the proof for size ${first} is not the root of the tree of size ${first} you hold`);
  if (!equal(sr, secondRoot)) throw new Error(`the root recomputed from the proof for size ${second} is not the root of the tree of size ${second}`);
}

/** b64 writes bytes in standard base64 (RFC 4648, section 4). */
export function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** unb64 reads standard base64, around which white space is ignored; it throws on anything else. */
export function unb64(s: string): Uint8Array {
  const bin = atob(s.trim());
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** equal says whether two byte strings are the same. */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export interface Checkpoint {
  /** the whole note, as served */
  note: string;
  origin: string;
  size: number;
  root: Uint8Array;
  /** the signed text: the lines before the blank line, each with its newline */
  text: string;
  signatures: { name: string; sig: Uint8Array }[];
}

/** parseCheckpoint reads a C2SP tlog-checkpoint signed note: origin, size, base64 root, blank line, signature lines. */
export function parseCheckpoint(note: string): Checkpoint {
  const cut = note.indexOf('\n\n');
  if (cut < 0) throw new Error('the checkpoint has no blank line before its signatures');
  const text = note.slice(0, cut + 1);
  const lines = text.split('\n');
  const [origin, sizeLine, rootLine] = lines;
  if (!origin || !sizeLine || !rootLine) throw new Error('the checkpoint lacks its origin, size or root line');
  if (!/^\d+$/.test(sizeLine)) throw new Error(`the checkpoint's size "${sizeLine}" is not a number`);
  let root: Uint8Array;
  try {
    root = unb64(rootLine);
  } catch {
    throw new Error("the checkpoint's root is not base64");
  }
  if (root.length !== 32) throw new Error("the checkpoint's root is not a SHA-256 hash");
  const signatures: Checkpoint['signatures'] = [];
  for (const line of note.slice(cut + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m?.[1] || !m[2]) continue;
    try {
      signatures.push({ name: m[1], sig: unb64(m[2]) });
    } catch {
      // not base64: not a signature this page can read
    }
  }
  return { note, origin, size: Number(sizeLine), root, text, signatures };
}

export interface InclusionProof {
  leaf_index: number;
  tree_size: number;
  leaf_hash: string;
  hashes: string[];
}

/** fetchCheckpoint reads the latest signed checkpoint. */
export const fetchCheckpoint = async () => parseCheckpoint(await getText('/api/v1/log/checkpoint'));
/** fetchProof reads the inclusion proof of a leaf in the tree of a size. */
export const fetchProof = (leaf: number, size: number) => get<InclusionProof>(`/api/v1/log/proof/inclusion?leaf=${leaf}&size=${size}`);
export interface ConsistencyProof {
  from: number;
  to: number;
  hashes: string[];
}

/** fetchConsistency reads the consistency proof from a tree size to another. */
export const fetchConsistency = (from: number, to: number) => get<ConsistencyProof>(`/api/v1/log/proof/consistency?from=${from}&to=${to}`);
/** fetchKey reads the note verifier key the server publishes. */
export const fetchKey = async () => (await getText('/api/v1/log/key')).trim();

/** SignatureCheck is a signature's check: valid, invalid, or not checked (unsupported) and why. */
export interface SignatureCheck {
  ok: boolean;
  words: string;
  unsupported?: boolean;
}

/**
 * verifyNote checks a checkpoint's Ed25519 signature by the note verifier
 * key "name+hash+base64(0x01 || public key)" (C2SP signed-note), with Web
 * Crypto's Ed25519 where the browser has it. The key names the log: a
 * checkpoint whose origin is another name is of another log, and refused
 * however well signed (C2SP tlog-checkpoint: the log's key name is its origin).
 */
export async function verifyNote(cp: Checkpoint, verifierKey: string): Promise<SignatureCheck> {
  // A name holds no "+", nor the hash; the base64 key may.
  const m = /^([^+\s]+)\+([^+\s]+)\+(\S+)$/.exec(verifierKey.trim());
  if (!m?.[1] || !m[2] || !m[3]) return { ok: false, words: 'the verifier key is not of the form name+hash+key' };
  const [, name, hashHex, keyB64] = m as unknown as [string, string, string, string];
  let key: Uint8Array;
  try {
    key = unb64(keyB64);
  } catch {
    return { ok: false, words: 'the verifier key is not base64' };
  }
  if (key.length !== 33 || key[0] !== 1) return { ok: false, words: 'the verifier key is not an Ed25519 key' };
  const keyHash = (await sha256(concat(enc.encode(`${name}\n`), key))).slice(0, 4);
  if (hex(keyHash) !== hashHex.toLowerCase()) return { ok: false, words: "the verifier key's hash does not match its name and key" };
  if (cp.origin !== name) return { ok: false, words: `the checkpoint is of the log ${cp.origin}, not of ${name}, the log this key signs for` };
  const sig = cp.signatures.find((s) => s.name === name && s.sig.length === 68 && equal(s.sig.slice(0, 4), keyHash));
  if (!sig) return { ok: false, words: `the checkpoint carries no signature by ${name} with this key` };
  if (!webCrypto) return { ok: false, unsupported: true, words: 'this page is not in a secure context (HTTPS), so the browser offers no Ed25519 to check the signature with' };
  let pub: CryptoKey;
  try {
    pub = await crypto.subtle.importKey('raw', key.slice(1), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return { ok: false, unsupported: true, words: 'this browser cannot check Ed25519 signatures (Web Crypto has no Ed25519 here)' };
  }
  const valid = await crypto.subtle.verify({ name: 'Ed25519' }, pub, sig.sig.slice(4), enc.encode(cp.text));
  return valid ? { ok: true, words: `the signature by ${name} is valid` } : { ok: false, words: `the signature by ${name} does not verify: the note was altered, or signed by another key` };
}

/** hex writes bytes in lower-case hexadecimal. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * goString writes a string as Go's encoding/json does (HTML-safe: <, > and
 * & as \u003c, \u003e, \u0026; U+2028 and U+2029 escaped), so that an
 * action's canonical bytes can be rebuilt exactly.
 */
export function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
    }
    if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'; // a lone surrogate: Go writes the replacement character
    else out += ch;
  }
  return `${out}"`;
}

/**
 * actionCanonical rebuilds an analyst's action's canonical bytes: JSON with
 * id, candidate, n, kind, analyst, nation, at, reason, target, parts in that
 * order, target and parts left out when empty (store.ActionRecord.Canonical).
 */
export function actionCanonical(a: CandidateAction): Uint8Array {
  const f: string[] = [
    `"id":${goString(a.id ?? '')}`,
    `"candidate":${goString(a.candidate)}`,
    `"n":${a.n ?? 0}`,
    `"kind":${goString(a.kind)}`,
    `"analyst":${goString(a.analyst)}`,
    `"nation":${goString(a.nation)}`,
    `"at":${goString(a.at)}`,
    `"reason":${goString(a.reason)}`,
  ];
  if (a.target) f.push(`"target":${goString(a.target)}`);
  if (a.parts && a.parts.length > 0) f.push(`"parts":[${a.parts.map(goString).join(',')}]`);
  return enc.encode(`{${f.join(',')}}`);
}

/** withoutFinalNewline drops the newline the API writes after a record's JSON. */
export function withoutFinalNewline(b: Uint8Array): Uint8Array {
  return b.length > 0 && b[b.length - 1] === 0x0a ? b.slice(0, b.length - 1) : b;
}

// SHA-256 in plain JavaScript (FIPS 180-4), for pages served over plain
// HTTP to another host than localhost, where browsers withhold Web Crypto.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** sha256js is SHA-256 without Web Crypto. */
export function sha256js(data: Uint8Array): Uint8Array {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const len = data.length;
  const total = Math.ceil((len + 9) / 64) * 64;
  const m = new Uint8Array(total);
  m.set(data);
  m[len] = 0x80;
  const dv = new DataView(m.buffer);
  dv.setUint32(total - 8, Math.floor(len / 0x20000000));
  dv.setUint32(total - 4, (len * 8) >>> 0);
  const w = new Uint32Array(64);
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15] ?? 0;
      const b = w[i - 2] ?? 0;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = ((w[i - 16] ?? 0) + s0 + (w[i - 7] ?? 0) + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as unknown as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + (K[i] ?? 0) + (w[i] ?? 0)) >>> 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
  const out = new Uint8Array(32);
  const odv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) odv.setUint32(i * 4, h[i] ?? 0);
  return out;
}
