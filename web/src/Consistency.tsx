// A reader's check that the log was only ever appended to: they paste a
// checkpoint they kept earlier, and the page checks its signature, reads the
// latest checkpoint and the consistency proof between the two sizes, and
// verifies in this browser that the tree they kept is a prefix of the
// current one (RFC 9162, 2.1.4.2).
import { useState } from 'preact/hooks';
import { message } from './api';
import { CheckResult, type CheckOutcome } from './components';
import { type Checkpoint, fetchCheckpoint, fetchConsistency, parseCheckpoint, type SignatureCheck, unb64, verifyConsistency, verifyNote } from './log';

type Line = CheckOutcome['lines'][number];
type Outcome = CheckOutcome;

const n = (x: number) => x.toLocaleString('en-GB');

/** signatureLine checks a checkpoint's signature as the inclusion check does: no key, or no Ed25519 in the browser, is said and not counted. */
async function signature(cp: Checkpoint, key: string, which: string): Promise<{ sig: SignatureCheck; line: Line }> {
  const sig: SignatureCheck = key.trim() ? await verifyNote(cp, key) : { ok: false, unsupported: true, words: 'no verifier key to check the signature with' };
  return { sig, line: { ok: sig.ok ? true : sig.unsupported ? undefined : false, text: `Signature of ${which}: ${sig.words}${sig.unsupported ? ' (not checked)' : ''}.` } };
}

/** checkKept runs the whole check of a pasted checkpoint against the latest one, and says the outcome in words. */
export async function checkKept(note: string, key: string): Promise<Outcome> {
  const lines: Line[] = [];
  let kept: Checkpoint;
  try {
    // As pasted: Windows line ends, blanks at the ends of lines and before the note are dropped; the note ends with a newline.
    const t = note.replace(/\r\n/g, '\n').replace(/[ \t]+$/gm, '').trimStart();
    kept = parseCheckpoint(t.endsWith('\n') ? t : `${t}\n`);
  } catch (e) {
    return { ok: false, headline: `The checkpoint you pasted cannot be read: ${message(e)}.`, lines };
  }
  const k = await signature(kept, key, `the checkpoint you kept (size ${n(kept.size)})`);
  lines.push(k.line);
  if (!k.sig.ok && !k.sig.unsupported) return { ok: false, headline: 'Not checked: the checkpoint you kept is not signed by the log’s key.', lines };

  let latest: Checkpoint;
  try {
    latest = await fetchCheckpoint();
  } catch (e) {
    return { ok: false, headline: `The latest checkpoint could not be read: ${message(e)}.`, lines };
  }
  const l = await signature(latest, key, `the latest checkpoint (size ${n(latest.size)})`);
  lines.push(l.line);
  if (!l.sig.ok && !l.sig.unsupported) return { ok: false, headline: 'Not checked: the latest checkpoint is not signed by the log’s key.', lines };
  if (kept.origin !== latest.origin)
    return { ok: false, headline: `The checkpoint you kept is of the log ${kept.origin}, and this server’s log is ${latest.origin}: they cannot be compared.`, lines };
  if (kept.size > latest.size)
    return {
      ok: false,
      headline: `The log of size ${n(kept.size)} you kept is larger than the current log of size ${n(latest.size)}: records were removed, or the log was replaced.`,
      lines,
    };

  let hashes: Uint8Array[];
  try {
    const proof = await fetchConsistency(kept.size, latest.size);
    if (proof.from !== kept.size || proof.to !== latest.size) throw new Error(`the server answered with a proof from ${proof.from} to ${proof.to}, not from ${kept.size} to ${latest.size}`);
    hashes = proof.hashes.map(unb64);
  } catch (e) {
    return { ok: false, headline: `The consistency proof could not be read: ${message(e)}.`, lines };
  }
  try {
    await verifyConsistency(kept.size, kept.root, latest.size, latest.root, hashes);
  } catch (e) {
    lines.push({ ok: false, text: `The consistency proof of ${hashes.length} hashes (RFC 9162, 2.1.4.2) does not hold: ${message(e)}.` });
    return { ok: false, headline: `Not consistent: the log of size ${n(kept.size)} you kept is not a prefix of the current log of size ${n(latest.size)}.`, lines };
  }
  lines.push({ ok: true, text: `The consistency proof of ${hashes.length} hashes (RFC 9162, 2.1.4.2) leads to both roots.` });
  const unsigned = k.sig.unsupported || l.sig.unsupported;
  return {
    ok: true,
    headline: `The log of size ${n(kept.size)} you kept is a prefix of the current log of size ${n(latest.size)}: nothing was changed or removed${unsigned ? ' (a signature was not checked)' : ''}.`,
    lines,
  };
}

/** Consistency is the form: paste a kept checkpoint, check it against the latest. key is the note verifier key to check both signatures with. */
export function Consistency({ verifierKey }: { verifierKey: string }) {
  const [note, setNote] = useState('');
  const [checking, setChecking] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();

  const run = async () => {
    setChecking(true);
    setOutcome(undefined);
    try {
      setOutcome(await checkKept(note, verifierKey));
    } catch (e) {
      setOutcome({ ok: false, headline: `Not checked: ${message(e)}.`, lines: [] });
    } finally {
      setChecking(false);
    }
  };

  return (
    <details class="consistency">
      <summary>Check the log against a checkpoint you kept</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          Checkpoint you kept (the signed note, as downloaded: origin, size, root, a blank line and its signatures)
          <textarea rows={6} value={note} spellcheck={false} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
        </label>
        <div class="buttons">
          <button type="submit" class="primary" disabled={checking || !note.trim()}>
            {checking ? 'Checking…' : 'Check consistency'}
          </button>
        </div>
      </form>
      {checking && (
        <p class="hint" role="status">
          Checking the signature, reading the latest checkpoint and the consistency proof…
        </p>
      )}
      {outcome && (
        <CheckResult outcome={outcome} />
      )}
    </details>
  );
}

/** KeepCheckpoint offers the checkpoint shown for download or copy, so that a reader can check the log against it later. */
export function KeepCheckpoint({ checkpoint }: { checkpoint: Checkpoint }) {
  const [copied, setCopied] = useState('');
  const href = `data:text/plain;charset=utf-8,${encodeURIComponent(checkpoint.note)}`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(checkpoint.note);
      setCopied('Copied.');
    } catch {
      setCopied('This browser would not copy: download it instead.');
    }
  };
  return (
    <span class="keep">
      <a href={href} download={`checkpoint-${checkpoint.size}.txt`} class="small">
        Download checkpoint
      </a>{' '}
      <button type="button" class="link small" onClick={() => void copy()}>
        Copy checkpoint
      </button>
      {copied && (
        <span class="small" role="status">
          {' '}
          {copied}
        </span>
      )}
    </span>
  );
}
