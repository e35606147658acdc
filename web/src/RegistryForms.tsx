// The secretariat's forms on the commitments dashboard: loading the registry
// (a YAML or JSON document, or the commitments sheet as CSV) and recording a
// delivery. Only shown to users who may keep the registry (ManageRegistry);
// the server decides, and its refusals are shown problem by problem.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, message, postText, request } from './api';
import { num } from './format';
import { checkDelivery, type DeliveryFields, describeLoaded, type FieldProblems, forDelivery, type Loaded, measure, newDeliveryId, type Refusal, refusal, sameDelivery, type UploadKind, uploadRequest } from './registry';
import type { Commitment, CommitmentDetail } from './types';

/** RefusalNote shows a refused answer: its heading, then each problem with where it is. */
function RefusalNote({ r }: { r: Refusal }) {
  return (
    <div class="error" role="alert">
      <strong>{r.heading}</strong>
      {r.problems.length > 0 && (
        <ul class="problems">
          {r.problems.map((p, i) => (
            <li key={i}>
              {p.where && <span class="where">{p.where}</span>}
              {p.where && ': '}
              <span class="pre">{p.what}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

interface KindInfo {
  title: string;
  hint: string;
  accept: string;
  fileLabel: string;
  textLabel: string;
  placeholder: string;
  submit: string;
  ids: [string, string];
}

const kinds: Record<UploadKind, KindInfo> = {
  registry: {
    title: 'The registry as YAML (or JSON)',
    hint: 'A registry document with guarantors, instruments (their trigger clauses included) and commitments with their deliveries, as "guarantor registry export" writes it. Each record replaces the stored one with the same code or id; the registry must validate as a whole and every clause compile, or nothing is loaded.',
    accept: '.yaml,.yml,.json,application/yaml,application/json',
    fileLabel: 'YAML or JSON file',
    textLabel: 'or the document’s text',
    placeholder: 'guarantors:\n  - code: FRA\n    …',
    submit: 'Load the registry',
    ids: ['yaml-file', 'yaml-text'],
  },
  commitments: {
    title: 'Commitments from the CSV sheet',
    hint: 'The sheet commitments.csv of the registry’s spreadsheet: a header row, then one commitment a row. Each replaces the commitment with its id and keeps its recorded deliveries; if any row is wrong, nothing is loaded and every problem is named with its line and column.',
    accept: '.csv,text/csv',
    fileLabel: 'CSV file',
    textLabel: 'or the sheet’s text',
    placeholder: 'id,instrument,guarantor,category,committed,…',
    submit: 'Load the commitments',
    ids: ['csv-file', 'csv-text'],
  },
};

/** RegistryUpload offers one form for each kind of file POST /api/v1/registry takes. */
export function RegistryUpload({ onLoaded }: { onLoaded: () => void }) {
  return (
    <section class="upload" aria-labelledby="upload-h">
      <h2 id="upload-h">Load the registry</h2>
      <p class="hint">
        The formats are those of docs/registry-formats.md. The server takes a whole registry document, or the commitments sheet; the spreadsheet’s other sheets
        (guarantors, instruments, deliveries) are loaded with <code>guarantor registry import</code>, or written into the YAML document.
      </p>
      <UploadForm kind="registry" onLoaded={onLoaded} />
      <UploadForm kind="commitments" onLoaded={onLoaded} />
    </section>
  );
}

function UploadForm({ kind, onLoaded }: { kind: UploadKind; onLoaded: () => void }) {
  const k = kinds[kind];
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<Refusal>();
  const [done, setDone] = useState<string>();
  const send = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setDone(undefined);
    const req = uploadRequest(kind, text, fileName);
    if (typeof req === 'string') {
      setRefused({ heading: req, problems: [] });
      return;
    }
    setBusy(true);
    setRefused(undefined);
    try {
      const out = await postText<Loaded>(req.path, req.body, req.contentType);
      setDone(`${describeLoaded(out, fileName)} The figures above are up to date.`);
      onLoaded();
    } catch (err) {
      setRefused(refusal(message(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="upload-form" onSubmit={send} aria-labelledby={`${k.ids[0]}-h`}>
      <h3 id={`${k.ids[0]}-h`}>{k.title}</h3>
      <p class="hint">{k.hint}</p>
      <label for={k.ids[0]}>{k.fileLabel}</label>
      <input
        id={k.ids[0]}
        type="file"
        accept={k.accept}
        onChange={async (e) => {
          const f = (e.target as HTMLInputElement).files?.[0];
          setDone(undefined);
          setRefused(undefined);
          if (!f) return;
          try {
            setText(await f.text());
            setFileName(f.name);
          } catch (err) {
            setRefused({ heading: `The file could not be read: ${message(err)}`, problems: [] });
          }
        }}
      />
      <label for={k.ids[1]}>{k.textLabel}</label>
      <textarea
        id={k.ids[1]}
        rows={6}
        spellcheck={false}
        class="mono"
        value={text}
        placeholder={k.placeholder}
        onInput={(e) => {
          setText((e.target as HTMLTextAreaElement).value);
          setFileName(undefined);
        }}
      />
      {refused && <RefusalNote r={refused} />}
      {done && (
        <p class="done" role="status">
          {done}
        </p>
      )}
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Loading…' : k.submit}
        </button>
        {kind === 'registry' ? (
          <a href="/api/v1/registry" download="registry.yaml">
            The current registry, to edit (YAML)
          </a>
        ) : (
          <a href="/api/v1/commitments?format=csv" download>
            The current sheet, to edit (CSV)
          </a>
        )}
      </div>
    </form>
  );
}

/** allCommitments reads every commitment, page by page. */
async function allCommitments(): Promise<Commitment[]> {
  const out: Commitment[] = [];
  let cursor = '';
  for (let page = 0; page < 100; page++) {
    const r = await get<{ commitments: Commitment[]; next?: string }>(`/api/v1/commitments?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...(r.commitments ?? []));
    if (!r.next) break;
    cursor = r.next;
  }
  return out;
}

const empty: DeliveryFields = { commitment: '', date: '', amount: '', note: '' };

/**
 * DeliveryForm records a delivery against a commitment. Each delivery is
 * sent with an id of its own, kept while the same delivery is sent again, so
 * that a second send after an answer that did not arrive is recorded once.
 * A delivery like one already recorded (same day and amount) is sent only
 * when asked again: it may be a second one, or the same typed twice.
 */
export function DeliveryForm({ reloadKey, onRecorded }: { reloadKey: number; onRecorded: () => void }) {
  const [commitments, setCommitments] = useState<Commitment[]>();
  const [listError, setListError] = useState<unknown>();
  const [f, setF] = useState<DeliveryFields>(empty);
  const [problems, setProblems] = useState<FieldProblems>({});
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<Refusal>();
  const [uncertain, setUncertain] = useState(false);
  const [done, setDone] = useState<{ text: string; inconsistencies: string[] }>();
  const [repeatOf, setRepeatOf] = useState<string>(); // the body that looks like a repeat, once the user was asked
  // The id sent with a delivery, kept while the same delivery is sent again
  // (after an answer that did not arrive), so that the server records it once.
  const pending = useRef<{ key: string; id: string } | undefined>(undefined);

  const loadList = useCallback(async () => {
    setListError(undefined);
    try {
      setCommitments(await allCommitments());
    } catch (e) {
      setListError(e);
    }
  }, []);
  useEffect(() => void loadList(), [loadList, reloadKey]);

  const chosen = useMemo(() => commitments?.find((c) => c.id === f.commitment), [commitments, f.commitment]);
  const unit = chosen ? measure(chosen) : '';
  const set = (k: keyof DeliveryFields, v: string) => {
    setF((cur) => ({ ...cur, [k]: v }));
    setProblems((cur) => ({ ...cur, [k]: undefined }));
    setRepeatOf(undefined);
    setDone(undefined);
    setRefused(undefined);
  };

  const send = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setDone(undefined);
    setRefused(undefined);
    const checked = checkDelivery(f);
    if ('problems' in checked) {
      setProblems(checked.problems);
      return;
    }
    setProblems({});
    const key = JSON.stringify([checked.commitment, checked.body]);
    const same = sameDelivery(chosen?.deliveries, checked.body);
    if (same && repeatOf !== key && pending.current?.key !== key) {
      setRepeatOf(key);
      return;
    }
    setBusy(true);
    setUncertain(false);
    if (pending.current?.key !== key) pending.current = { key, id: newDeliveryId() };
    try {
      const out = await request<CommitmentDetail>('POST', `/api/v1/commitments/${encodeURIComponent(checked.commitment)}/deliveries`, { ...checked.body, id: pending.current.id });
      pending.current = undefined;
      const m = out.measure || unit;
      setDone({
        text: `Recorded ${num(checked.body.amount)} ${m} delivered on ${checked.body.date} for ${out.id}. Delivered now ${num(out.delivered)} of ${num(out.committed)} committed (${num(out.allocated)} allocated).`,
        inconsistencies: out.inconsistencies ?? [],
      });
      setF((cur) => ({ ...cur, amount: '', note: '' }));
      setRepeatOf(undefined);
      onRecorded();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 0 || err.status >= 500)) {
        // The request may have been stored: read the deliveries again before anything is sent anew.
        setUncertain(true);
        void loadList();
      }
      setRefused(forDelivery(refusal(message(err), 'nothing was recorded')));
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (k: keyof DeliveryFields) =>
    problems[k] && (
      <span class="field-problem" id={`delivery-${k}-problem`}>
        {problems[k]}
      </span>
    );
  const invalid = (k: keyof DeliveryFields) => (problems[k] ? { 'aria-invalid': true, 'aria-describedby': `delivery-${k}-problem` } : {});
  const recorded = chosen?.deliveries ?? [];
  const last = recorded[recorded.length - 1];

  return (
    <section class="upload delivery" aria-labelledby="delivery-h">
      <h2 id="delivery-h">Record a delivery</h2>
      <p class="hint">What arrived against a commitment, on a day, in the commitment’s measure. It is added to the commitment’s deliveries; the registry must still validate, or nothing is recorded.</p>
      {listError !== undefined && (
        <div class="error" role="alert">
          <strong>The commitments could not be read:</strong> {message(listError)}{' '}
          <button type="button" class="link" onClick={() => void loadList()}>
            Try again
          </button>
        </div>
      )}
      <form onSubmit={send} noValidate>
        <label for="delivery-commitment">Commitment</label>
        <select id="delivery-commitment" value={f.commitment} onChange={(e) => set('commitment', (e.target as HTMLSelectElement).value)} {...invalid('commitment')}>
          <option value="">{commitments ? (commitments.length ? 'Choose a commitment…' : 'The registry holds no commitment') : 'Reading the commitments…'}</option>
          {commitments?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.id} — {c.guarantor}, {c.category.replace(/_/g, ' ')}
              {measure(c) ? ` (${measure(c)})` : ''}
            </option>
          ))}
        </select>
        {fieldError('commitment')}
        {chosen && (
          <p class="muted" role="status">
            {chosen.description ? `${chosen.description}. ` : ''}
            Committed {num(chosen.committed)} {unit}, allocated {num(chosen.allocated)}; {recorded.length === 0 ? 'no delivery recorded yet.' : `${recorded.length === 1 ? '1 delivery' : `${recorded.length} deliveries`} recorded, ${num(recorded.reduce((s, d) => s + d.amount, 0))} in all, the last ${num(last?.amount)} on ${last?.date}.`}
          </p>
        )}
        <label for="delivery-date">Day delivered</label>
        <input id="delivery-date" type="date" value={f.date} onInput={(e) => set('date', (e.target as HTMLInputElement).value)} {...invalid('date')} />
        {fieldError('date')}
        <label for="delivery-amount">Amount{unit ? `, in ${unit}` : ''}</label>
        <input id="delivery-amount" type="text" inputMode="decimal" autoComplete="off" placeholder="such as 1500 or 2.5" value={f.amount} onInput={(e) => set('amount', (e.target as HTMLInputElement).value)} {...invalid('amount')} />
        {fieldError('amount')}
        <label for="delivery-note">Note (optional)</label>
        <input id="delivery-note" type="text" value={f.note} onInput={(e) => set('note', (e.target as HTMLInputElement).value)} />
        {repeatOf && (
          <p class="warning" role="alert">
            This commitment already has a delivery of this amount on this day. If this is another one, record it again; if it is the same, it is already recorded.
          </p>
        )}
        {uncertain && (
          <p class="warning" role="alert">
            The server’s answer did not arrive or said it failed: the delivery may have been recorded. Sending it again as it is is safe: it carries the same id, and the server records it once.
          </p>
        )}
        {refused && <RefusalNote r={refused} />}
        {done && (
          <div class="done" role="status">
            {done.text}
            {done.inconsistencies.length > 0 && (
              <ul class="problems">
                {done.inconsistencies.map((s) => (
                  <li key={s}>To reconcile: {s}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy || !commitments}>
            {busy ? 'Recording…' : repeatOf ? 'Record it again' : 'Record the delivery'}
          </button>
        </div>
      </form>
    </section>
  );
}
