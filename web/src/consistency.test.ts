// The whole check of a kept checkpoint against the latest (Consistency.tsx),
// with the API answered here from a brute-force RFC 6962 tree. The proofs
// themselves are tested in log.test.ts; this tests that the steps are taken
// in order and said in words.
import { createHash } from 'node:crypto';
import { beforeEach, expect, test, vi } from 'vitest';
import { get, getText } from './api';
import { checkKept } from './Consistency';
import { b64 } from './log';

vi.mock('./api', async (original) => ({ ...(await original<typeof import('./api')>()), get: vi.fn(), getText: vi.fn() }));

const sha = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
const node = (l: Uint8Array, r: Uint8Array) => sha(Uint8Array.of(1), l, r);
const split = (n: number) => 2 ** Math.floor(Math.log2(n - 1));
const mth = (d: Uint8Array[]): Uint8Array => (d.length === 1 ? d[0]! : node(mth(d.slice(0, split(d.length))), mth(d.slice(split(d.length)))));
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = split(d.length);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

const leaves = Array.from({ length: 20 }, (_, i) => sha(Uint8Array.of(0), new TextEncoder().encode(`record ${i}`)));
const origin = 'guarantor.example/log';
// Unsigned notes: the signatures are tested with verifyNote; here the key is left out, so they are said not checked.
const note = (size: number, root: Uint8Array, o = origin) => `${o}\n${size}\n${b64(root)}\n\n`;

let latest = 20;
let latestRoot = mth(leaves);
beforeEach(() => {
  latest = 20;
  latestRoot = mth(leaves);
  vi.mocked(getText).mockImplementation(async () => note(latest, latestRoot));
  vi.mocked(get).mockImplementation(async (path: string) => {
    const from = Number(new URL(path, 'http://x').searchParams.get('from'));
    return { from, to: latest, hashes: subproof(from, leaves.slice(0, latest), true).map(b64) } as never;
  });
});

test('a kept checkpoint that the log grew from is a prefix of it', async () => {
  const o = await checkKept(note(7, mth(leaves.slice(0, 7))), '');
  expect(o.headline).toMatch(/The log of size 7 you kept is a prefix of the current log of size 20: nothing was changed or removed \(a signature was not checked\)\./);
  expect(o.ok).toBe(true);
  expect(vi.mocked(get)).toHaveBeenCalledWith('/api/v1/log/proof/consistency?from=7&to=20');
});

test.each([
  { name: 'a note that is not a checkpoint', kept: 'hello', key: '', why: /cannot be read: the checkpoint has no blank line/ },
  { name: 'a kept checkpoint whose root was not the log’s', kept: note(7, mth(leaves.slice(1, 8))), key: '', why: /Not consistent: the log of size 7 you kept is not a prefix of the current log of size 20/ },
  { name: 'a kept checkpoint larger than the log', kept: note(21, mth(leaves)), key: '', why: /larger than the current log of size 20: records were removed/ },
  { name: 'a kept checkpoint of another log', kept: note(7, mth(leaves.slice(0, 7)), 'other.example/log'), key: '', why: /of the log other.example\/log/ },
  { name: 'a key that cannot check the signature', kept: note(7, mth(leaves.slice(0, 7))), key: 'not a key', why: /not signed by the log’s key/ },
])('$name is refused in words', async ({ kept, key, why }) => {
  const o = await checkKept(kept, key);
  expect(o.ok).toBe(false);
  expect(o.headline).toMatch(why);
});

test('a log rewritten since the checkpoint was kept is not consistent with it', async () => {
  latestRoot = mth([...leaves.slice(0, 3), sha(Uint8Array.of(9)), ...leaves.slice(4)]);
  const o = await checkKept(note(7, mth(leaves.slice(0, 7))), '');
  expect(o.ok).toBe(false);
  expect(o.lines.at(-1)?.text).toMatch(/does not hold: the root recomputed from the proof for size 20 is not the root of the tree of size 20/);
});
