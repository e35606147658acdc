// The log proof of one record: its leaf in the tamper-evident log, the
// latest signed checkpoint and the inclusion proof against it, and a button
// that recomputes the root in this browser and compares it with the
// checkpoint's.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getRaw, message } from './api';
import { CheckResult, type CheckOutcome, ErrorNote, Loading } from './components';
import { Consistency, KeepCheckpoint } from './Consistency';
import {
  actionCanonical,
  b64,
  type Checkpoint,
  equal,
  fetchCheckpoint,
  fetchKey,
  fetchProof,
  type InclusionProof,
  leafHash,
  rootFromInclusion,
  type SignatureCheck,
  unb64,
  verifyNote,
  webCrypto,
  withoutFinalNewline,
} from './log';
import type { CandidateAction } from './types';

/** LogRecord is a record of the log: its kind, and how to read its canonical bytes and leaf index. */
export interface LogRecord {
  kind: 'observation' | 'action' | 'restriction';
  /** what it is, in words: "observation sim-1-002010" */
  what: string;
  load: () => Promise<{ bytes: Uint8Array; leaf: number }>;
}

/** served reads a record whose canonical bytes are its answer without the final newline, and whose leaf is in Guarantor-Log-Leaf. */
function served(kind: 'observation' | 'restriction', path: string, what: string): LogRecord {
  return {
    kind,
    what,
    load: async () => {
      const r = await getRaw(path, 'application/geo+json, application/json');
      const leaf = Number(r.headers.get('Guarantor-Log-Leaf'));
      if (!r.headers.has('Guarantor-Log-Leaf') || !Number.isInteger(leaf)) throw new Error(`the server did not say where ${what} is in the log (no Guarantor-Log-Leaf header)`);
      return { bytes: withoutFinalNewline(r.bytes), leaf };
    },
  };
}

export const observationRecord = (id: string): LogRecord => served('observation', `/api/v1/observations/${encodeURIComponent(id)}`, `observation ${id}`);
export const restrictionRecord = (id: string): LogRecord => served('restriction', `/api/v1/restrictions/${encodeURIComponent(id)}`, `restriction ${id}`);
export const actionRecord = (a: CandidateAction): LogRecord => ({
  kind: 'action',
  what: `action ${a.n ?? ''} (${a.kind}) on ${a.candidate}`,
  load: async () => {
    if (a.leaf === undefined) throw new Error('the server gave no leaf for this action');
    return { bytes: actionCanonical(a), leaf: a.leaf };
  },
});

interface Fetched {
  bytes: Uint8Array;
  leaf: number;
  checkpoint: Checkpoint;
  proof: InclusionProof;
  key: string;
}

type Outcome = CheckOutcome;

/** LogProof shows a record's place in the log and verifies it on request; closed until asked for. */
export function LogProof({ record, label = 'Log proof' }: { record: LogRecord; label?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <span class="log-proof">
      <button type="button" class="link small" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? `Hide the ${label.toLowerCase()}` : label}
      </button>
      {open && <ProofPanel record={record} />}
    </span>
  );
}

/** ProofPanel reads a record's proof when shown, and verifies it on request. */
export function ProofPanel({ record }: { record: LogRecord }) {
  const [state, setState] = useState<{ kind: 'loading' } | { kind: 'failed'; error: unknown; notYet?: string } | { kind: 'ready'; f: Fetched }>({ kind: 'loading' });
  const [outcome, setOutcome] = useState<Outcome>();
  const [checking, setChecking] = useState(false);
  const [key, setKey] = useState('');

  const fetchAll = async () => {
    setState({ kind: 'loading' });
    setOutcome(undefined);
    try {
      const [{ bytes, leaf }, checkpoint, k] = await Promise.all([record.load(), fetchCheckpoint(), fetchKey().catch(() => '')]);
      if (leaf >= checkpoint.size) {
        setState({
          kind: 'failed',
          error: new Error(`${record.what} is leaf ${leaf.toLocaleString('en-GB')} of the log, but the latest checkpoint covers the first ${checkpoint.size.toLocaleString('en-GB')} records only, up to leaf ${(checkpoint.size - 1).toLocaleString('en-GB')}`),
          notYet: 'A checkpoint is signed every minute while the log grows: try again in a minute.',
        });
        return;
      }
      const proof = await fetchProof(leaf, checkpoint.size);
      setKey(k);
      setState({ kind: 'ready', f: { bytes, leaf, checkpoint, proof, key: k } });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && /checkpoint/i.test(e.message)) setState({ kind: 'failed', error: e, notYet: 'No checkpoint has been signed yet.' });
      else setState({ kind: 'failed', error: e });
    }
  };

  useEffect(() => {
    void fetchAll();
    // once, when opened; "Latest checkpoint" reads them again
  }, []);

  if (state.kind === 'loading') return <Loading what="Reading the record, the checkpoint and the proof…" />;
  if (state.kind === 'failed')
    return (
      <div class="proof">
        <ErrorNote error={state.error} what="No proof" retry={() => void fetchAll()} />
        {state.notYet && <p class="hint">{state.notYet}</p>}
      </div>
    );

  const { f } = state;
  const verify = async () => {
    setChecking(true);
    try {
      setOutcome(await check(record, f, key));
    } catch (e) {
      setOutcome({ ok: false, headline: `Not verified: ${message(e)}`, lines: [] });
    } finally {
      setChecking(false);
    }
  };

  return (
    <div class="proof">
      <dl class="facts small">
        <dt>Record</dt>
        <dd>
          {record.what}: leaf <strong>{f.leaf.toLocaleString('en-GB')}</strong>, {f.bytes.length.toLocaleString('en-GB')} bytes hashed as kind <code>{record.kind}</code>
        </dd>
        <dt>Checkpoint</dt>
        <dd>
          size <strong>{f.checkpoint.size.toLocaleString('en-GB')}</strong>, origin <code>{f.checkpoint.origin}</code>
          <div>
            root <code>{b64(f.checkpoint.root)}</code>
          </div>
          <div>
            <KeepCheckpoint checkpoint={f.checkpoint} />
          </div>
        </dd>
        <dt>Inclusion proof</dt>
        <dd>
          {f.proof.hashes.length} hashes from the leaf to the root
          <div>
            leaf hash in the log <code>{f.proof.leaf_hash}</code>
          </div>
        </dd>
      </dl>
      <details class="key">
        <summary>Signature key</summary>
        <label>
          Note verifier key (the server's is filled in: compare it with the one your nation keeps, or paste that one)
          <input type="text" value={key} spellcheck={false} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        </label>
      </details>
      <div class="buttons">
        <button type="button" class="primary" disabled={checking} onClick={() => void verify()}>
          {checking ? 'Verifying…' : 'Verify in this browser'}
        </button>
        <button type="button" class="link small" onClick={() => void fetchAll()}>
          Latest checkpoint
        </button>
      </div>
      {outcome && (
        <CheckResult outcome={outcome} />
      )}
      <Consistency verifierKey={key} />
    </div>
  );
}

async function check(record: LogRecord, f: Fetched, key: string): Promise<Outcome> {
  const lines: Outcome['lines'] = [];
  const how = webCrypto ? 'with Web Crypto SHA-256' : 'with the page’s own SHA-256 (this page is not in a secure context, so the browser offers no Web Crypto)';
  const leaf = await leafHash(record.kind, f.bytes);
  const served = unb64(f.proof.leaf_hash);
  const leafOk = equal(leaf, served);
  lines.push({
    ok: leafOk,
    text: leafOk
      ? `The record's bytes hash to the leaf the log holds (${b64(leaf)}), ${how}.`
      : `The record's bytes hash to ${b64(leaf)}, but the log holds ${f.proof.leaf_hash} at leaf ${f.leaf}: the record as served is not the one logged.`,
  });
  let root: Uint8Array | undefined;
  let pathError = '';
  try {
    root = await rootFromInclusion(f.proof.leaf_index, f.proof.tree_size, leaf, f.proof.hashes.map(unb64));
  } catch (e) {
    pathError = message(e);
  }
  const sizeOk = f.proof.tree_size === f.checkpoint.size && f.proof.leaf_index === f.leaf;
  if (!sizeOk) lines.push({ ok: false, text: `The proof is for leaf ${f.proof.leaf_index} in a tree of ${f.proof.tree_size}, not leaf ${f.leaf} in the checkpoint's ${f.checkpoint.size}.` });
  const rootOk = !!root && equal(root, f.checkpoint.root);
  lines.push({
    ok: rootOk,
    text: root
      ? rootOk
        ? `The root recomputed from the leaf and the ${f.proof.hashes.length} hashes of the proof (RFC 6962) is the checkpoint's root.`
        : `The root recomputed from the proof, ${b64(root)}, is not the checkpoint's root ${b64(f.checkpoint.root)}.`
      : `The proof cannot be followed: ${pathError}.`,
  });
  let sig: SignatureCheck;
  if (!key.trim()) sig = { ok: false, unsupported: true, words: 'no verifier key to check the signature with' };
  else sig = await verifyNote(f.checkpoint, key);
  lines.push({ ok: sig.ok ? true : sig.unsupported ? undefined : false, text: `Checkpoint signature: ${sig.words}${sig.unsupported ? ' (not checked)' : ''}.` });
  const ok = leafOk && rootOk && sizeOk && (sig.ok || !!sig.unsupported);
  const size = f.checkpoint.size.toLocaleString('en-GB');
  const headline = ok
    ? `Verified against checkpoint of size ${size}${sig.ok ? ', whose signature is valid' : ''}.`
    : !leafOk
      ? 'Not verified: the record differs from the one in the log.'
      : !rootOk || !sizeOk
        ? `Not verified: the proof does not lead to the root of the checkpoint of size ${size}.`
        : 'Not verified: the checkpoint’s signature does not hold.';
  return { ok, headline, lines };
}
