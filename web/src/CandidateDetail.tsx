// A candidate violation in detail: what it is, the rule and the clause it
// breaks, the two-nation rule, every action with its proof in the
// tamper-evident log, the incident's evidence, and the analysts' actions:
// confirm, reject, ask for more information, merge, split, re-open, each
// with a reason. Shown beside the queue and on a page of its own
// (/candidate?id=…).
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, get, newId, post } from './api';
import { queueStates, ruleWords, stateWords } from './candidates';
import { Empty, ErrorNote, Loading, ReasonForm } from './components';
import { casualties, label, metres, percent, utc, utcSeconds, words } from './format';
import { IncidentEvidence, isMissing, useIncident } from './IncidentDetail';
import { actionRecord, LogProof, observationRecord } from './LogProof';
import { can } from './roles';
import { candidatePath, incidentPath, navigate, onLink } from './router';
import { clauseOf, partyName, useTerms, weaponName } from './terms';
import type { ActionAnswer, ActionKind, Candidate, CandidateAction, Observation, Review, User } from './types';

export { queueStates, stateWords } from './candidates';

export interface ActionChoice {
  kind: ActionKind;
  title: string;
  submit: string;
  hint: string;
  danger?: boolean;
}

export const choices: Record<ActionKind, ActionChoice> = {
  confirm: {
    kind: 'confirm',
    title: 'Confirm this violation',
    submit: 'Confirm',
    hint: 'It is verified once analysts of two different nations confirm it.',
  },
  reject: {
    kind: 'reject',
    title: 'Reject this candidate',
    submit: 'Reject',
    hint: 'A first rejection sends it to a second review and clears the confirmations made before; a second rejects it.',
    danger: true,
  },
  request_information: {
    kind: 'request_information',
    title: 'Ask for more information',
    submit: 'Ask',
    hint: 'Say what is missing: the candidate waits for it.',
  },
  merge: {
    kind: 'merge',
    title: 'Merge into another candidate',
    submit: 'Merge',
    hint: 'This candidate closes as merged; the one it goes into carries on with its own review.',
  },
  split: {
    kind: 'split',
    title: 'Split into parts',
    submit: 'Split',
    hint: 'Each part becomes a candidate of its own, open; this one closes as split.',
  },
  reopen: {
    kind: 'reopen',
    title: 'Re-open this candidate',
    submit: 'Re-open',
    hint: 'It goes back to the queue, open; its history stays.',
  },
};

export interface CandidateDetailProps {
  c: Candidate;
  user: User;
  form: ActionChoice | undefined;
  setForm: (f: ActionChoice | undefined) => void;
  onReviewed: (r: Review) => void;
  /** where the focus goes after an action or a cancel (the queue's list) */
  afterAction?: () => void;
  /** candidates an analyst may merge into, suggested in the merge form */
  suggestions?: string[];
  /** on a page of its own: wider tables, no link to itself */
  page?: boolean;
}

export function CandidateDetail({ c, user, form, setForm, onReviewed, afterAction, suggestions, page = false }: CandidateDetailProps) {
  const [review, setReview] = useState<Review>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const terms = useTerms();
  const p = c.properties;
  const analyst = can(user, 'verify');
  const track = p.incident_version === 0;

  const loadReview = useCallback(async () => {
    setError(undefined);
    try {
      setReview(await get<Review>(`/api/v1/candidates/${encodeURIComponent(c.id)}/actions`));
    } catch (e) {
      setError(e);
    }
  }, [c.id]);

  useEffect(() => {
    // The component is made anew for each candidate (its key), so this runs
    // first for a new one, and again when its state changes. Wait a moment,
    // so that moving quickly through the list asks for the review of the
    // candidate stopped on, not of each one passed.
    const t = setTimeout(() => void loadReview(), page ? 0 : 150);
    return () => clearTimeout(t);
  }, [loadReview, p.state, page]);

  const state = review?.state ?? p.state;
  const actionable = queueStates.includes(state);
  const mine = review?.confirmations.find((x) => x.analyst === user.name);
  const sameNation = review?.confirmations.find((x) => x.nation === user.nation && x.analyst !== user.name);
  const clause = clauseOf(terms, p.clause);

  const act = async (choice: ActionChoice, reason: string, extra: { target?: string; parts?: string[][] } = {}) => {
    const out = await post<ActionAnswer>(`/api/v1/candidates/${encodeURIComponent(c.id)}/actions`, { id: newId('web'), kind: choice.kind, reason, ...extra });
    setReview(out.review);
    onReviewed(out.review);
    setForm(undefined);
    const made = out.review.split_into?.length ? ` It was split into ${out.review.split_into.join(', ')}.` : '';
    const into = out.review.merged_into ? ` It went into ${out.review.merged_into}.` : '';
    setDone(
      `${choice.submit}: done. The candidate is now ${stateWords[out.review.state] ?? out.review.state}${out.review.needed ? `; it still needs ${out.review.needed}` : ''}.${into}${made}`,
    );
    afterAction?.();
  };

  const cancel = () => {
    setForm(undefined);
    afterAction?.();
  };

  return (
    <div class="detail">
      <h2>
        <span class={`sev ${p.severity}`}>{p.severity}</span> {words(p.violation_type)}
      </h2>
      <div class="links no-print">
        {!page && (
          <a href={candidatePath(c.id)} onClick={onLink(candidatePath(c.id))}>
            Open as a page
          </a>
        )}
        {!track && p.incident && (
          <>
            <a href={incidentPath(p.incident)} onClick={onLink(incidentPath(p.incident))}>
              The incident
            </a>
            <button type="button" class="link" onClick={() => navigate(`/map?incident=${encodeURIComponent(p.incident ?? '')}`)}>
              Show on the map
            </button>
          </>
        )}
      </div>
      <p class="reason-text">{p.reason}</p>
      {p.withdrawn && (
        <p class="hint" role="note">
          <strong>Withdrawn:</strong> the rules no longer find this candidate (its incident was merged into another, or its evidence changed). It has left the queue;
          its history stays.
        </p>
      )}
      <dl class="facts">
        <dt>Party</dt>
        <dd>
          {partyName(terms, p.party)}
          {p.probability !== undefined && ` (probability ${percent(p.probability)})`}
        </dd>
        <dt>Time</dt>
        <dd>{utcSeconds(p.time)}</dd>
        <dt>Rule</dt>
        <dd>
          <code>{p.rule}</code>
          {ruleWords[p.rule] ? <div class="muted">finds {ruleWords[p.rule]}</div> : <div class="muted">a rule of the agreement's own terms</div>}
        </dd>
        <dt>Clause</dt>
        <dd>
          {p.clause ? (
            <>
              <strong>{p.clause}</strong>
              {clause?.title ? `: ${clause.title}` : ''}
              {clause?.text && <div class="clause-text">{clause.text}</div>}
            </>
          ) : (
            '—'
          )}
        </dd>
        {p.weapon_class && (
          <>
            <dt>Weapon class</dt>
            <dd>{weaponName(terms, p.weapon_class)}</dd>
          </>
        )}
        {p.distance_m !== undefined && (
          <>
            <dt>Distance to the line</dt>
            <dd>{metres(p.distance_m)}</dd>
          </>
        )}
        {p.depth_m !== undefined && (
          <>
            <dt>Depth beyond the line</dt>
            <dd>{metres(p.depth_m)}</dd>
          </>
        )}
        {p.withdrawal_m !== undefined && (
          <>
            <dt>Withdrawal distance</dt>
            <dd>{metres(p.withdrawal_m)}</dd>
          </>
        )}
        <dt>Casualties</dt>
        <dd>{casualties(p.casualties)}</dd>
        <dt>Confidence</dt>
        <dd>{p.confidence ? `${words(p.confidence.level)}, ${p.confidence.independent_sources ?? '?'} independent source(s)` : '—'}</dd>
        <dt>Evidence</dt>
        <dd>
          {p.observations?.length ?? 0} observation(s); {track ? 'track' : 'incident'} <code>{p.incident ?? '—'}</code>
        </dd>
        {p.split_from && (
          <>
            <dt>Split from</dt>
            <dd>
              <a href={candidatePath(p.split_from)} onClick={onLink(candidatePath(p.split_from))}>
                <code>{p.split_from}</code>
              </a>
            </dd>
          </>
        )}
        <dt>Releasability</dt>
        <dd>{label(p.releasability)}</dd>
        <dt>Id</dt>
        <dd>
          <code>{c.id}</code>
        </dd>
      </dl>

      <h3>Two-nation rule</h3>
      {error !== undefined ? (
        <ErrorNote error={error} what="The review could not be loaded" retry={() => void loadReview()} />
      ) : !review ? (
        <Loading what="Loading the review…" />
      ) : (
        <TwoNations review={review} />
      )}

      {done && (
        <p class="done" role="status">
          {done}
        </p>
      )}

      {analyst && review && (
        <div class="actions no-print">
          {form ? (
            <ActionForm key={form.kind} c={c} choice={form} suggestions={suggestions} act={act} cancel={cancel} />
          ) : actionable ? (
            <>
              {mine && <p class="hint">You confirmed this on {utc(mine.at)}: your confirmation counts once.</p>}
              {!mine && sameNation && (
                <p class="hint">
                  {sameNation.analyst} of your nation ({user.nation}) has confirmed it: the rule needs an analyst of another nation, and yours would count once.
                </p>
              )}
              <div class="buttons">
                <button type="button" class="primary" disabled={!!mine} onClick={() => setForm(choices.confirm)} title="c">
                  Confirm…
                </button>
                <button type="button" class="danger" onClick={() => setForm(choices.reject)} title="r">
                  Reject…
                </button>
                <button type="button" onClick={() => setForm(choices.request_information)} title="i">
                  More information…
                </button>
                <button type="button" onClick={() => setForm(choices.merge)} title="m">
                  Merge…
                </button>
                <button
                  type="button"
                  onClick={() => setForm(choices.split)}
                  title={(p.observations?.length ?? 0) < 2 ? 'It rests on one observation: there is nothing to split' : 's'}
                  disabled={(p.observations?.length ?? 0) < 2}
                >
                  Split…
                </button>
              </div>
            </>
          ) : (
            <>
              <p class="hint">This candidate is {stateWords[state] ?? state}: it is closed, and changes only by being re-opened.</p>
              <div class="buttons">
                <button type="button" onClick={() => setForm(choices.reopen)} title="o">
                  Re-open…
                </button>
              </div>
            </>
          )}
        </div>
      )}

      {review && review.actions.length > 0 && (
        <>
          <h3>History</h3>
          <ol class="history">
            {review.actions.map((a) => (
              <HistoryItem key={`${a.n ?? ''}-${a.at}`} a={a} />
            ))}
          </ol>
        </>
      )}

      {track ? (
        <>
          <h3>Observations of the track ({p.observations?.length ?? 0})</h3>
          <ul class="observations">
            {(p.observations ?? []).map((id) => (
              <li key={id}>
                <code>{id}</code> <LogProof record={observationRecord(id)} />
              </li>
            ))}
          </ul>
        </>
      ) : p.incident ? (
        <IncidentEvidence id={p.incident} narrow={!page} delay={page ? 0 : 300} only={p.split_from ? p.observations : undefined} />
      ) : null}
    </div>
  );
}

function HistoryItem({ a }: { a: CandidateAction }) {
  return (
    <li>
      <strong>{words(a.kind)}</strong> by {a.analyst} ({a.nation}), {utc(a.at)}
      {a.target && (
        <>
          {' '}
          into{' '}
          <a href={candidatePath(a.target)} onClick={onLink(candidatePath(a.target))}>
            <code>{a.target}</code>
          </a>
        </>
      )}
      {a.parts && a.parts.length > 0 && (
        <>
          {' '}
          into{' '}
          {a.parts.map((x, i) => (
            <span key={x}>
              {i > 0 ? ', ' : ''}
              <a href={candidatePath(x)} onClick={onLink(candidatePath(x))}>
                <code>{x}</code>
              </a>
            </span>
          ))}
        </>
      )}
      <br />
      <span class="reason-text">{a.reason}</span>
      {a.leaf !== undefined && (
        <div class="muted small">
          Log leaf {a.leaf.toLocaleString('en-GB')} · <LogProof record={actionRecord(a)} />
        </div>
      )}
    </li>
  );
}

function ActionForm({
  c,
  choice,
  suggestions,
  act,
  cancel,
}: {
  c: Candidate;
  choice: ActionChoice;
  suggestions: string[] | undefined;
  act: (choice: ActionChoice, reason: string, extra?: { target?: string; parts?: string[][] }) => Promise<void>;
  cancel: () => void;
}) {
  const [target, setTarget] = useState('');
  const obs = c.properties.observations ?? [];
  const [partOf, setPartOf] = useState<Record<string, number>>({});
  const [count, setCount] = useState(2);
  const { detail } = useIncident(choice.kind === 'split' && c.properties.incident_version !== 0 ? c.properties.incident : undefined);
  const byId = useMemo(() => new Map<string, Observation>((detail?.observations?.features ?? []).map((o) => [o.id, o])), [detail]);

  const parts = () => {
    const out: string[][] = Array.from({ length: count }, () => []);
    for (const id of obs) out[(partOf[id] ?? 1) - 1]?.push(id);
    return out;
  };

  if (choice.kind === 'merge') {
    const listId = `merge-targets-${c.id.replace(/\W+/g, '-')}`;
    return (
      <ReasonForm
        title={choice.title}
        hint={choice.hint}
        submitLabel={choice.submit}
        onCancel={cancel}
        check={() => {
          const t = target.trim();
          if (!t) return 'Name the candidate to merge into: its id, such as fire_across_line:inc-….';
          if (t === c.id) return 'A candidate cannot be merged into itself.';
          return undefined;
        }}
        onSubmit={(reason) => act(choice, reason, { target: target.trim() })}
      >
        <label for={`${listId}-input`}>Target candidate (its id)</label>
        <input id={`${listId}-input`} class="wide" type="text" list={listId} value={target} spellcheck={false} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
        <datalist id={listId}>
          {(suggestions ?? [])
            .filter((x) => x !== c.id)
            .slice(0, 500)
            .map((x) => (
              <option key={x} value={x} />
            ))}
        </datalist>
      </ReasonForm>
    );
  }

  if (choice.kind === 'split') {
    const max = Math.min(obs.length, 9);
    return (
      <ReasonForm
        title={choice.title}
        hint={choice.hint}
        submitLabel={choice.submit}
        onCancel={cancel}
        check={() => {
          const ps = parts();
          const empty = ps.findIndex((x) => x.length === 0);
          return empty >= 0 ? `Each part needs at least one observation: part ${empty + 1} has none. Give it one, or make fewer parts.` : undefined;
        }}
        onSubmit={(reason) => act(choice, reason, { parts: parts() })}
      >
        <label for={`split-count-${c.id}`}>Number of parts</label>
        <select id={`split-count-${c.id}`} value={count} onChange={(e) => setCount(Number((e.target as HTMLSelectElement).value))}>
          {Array.from({ length: max - 1 }, (_, i) => i + 2).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <fieldset class="split-parts">
          <legend>The part of each observation</legend>
          <table class="data">
            <thead>
              <tr>
                <th>Observation</th>
                <th>Part</th>
              </tr>
            </thead>
            <tbody>
              {obs.map((id) => {
                const o = byId.get(id);
                return (
                  <tr key={id}>
                    <td class="wrap">
                      <code>{id}</code>
                      {o && (
                        <div class="muted">
                          {o.properties.kind}, {o.properties.source.id} ({o.properties.source.grading}), {utcSeconds(o.properties.observed_at)}
                        </div>
                      )}
                    </td>
                    <td>
                      <select
                        aria-label={`Part of observation ${id}`}
                        value={Math.min(partOf[id] ?? 1, count)}
                        onChange={(e) => setPartOf({ ...partOf, [id]: Number((e.target as HTMLSelectElement).value) })}
                      >
                        {Array.from({ length: count }, (_, i) => i + 1).map((n) => (
                          <option key={n} value={n}>
                            Part {n}
                          </option>
                        ))}
                      </select>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p class="hint">
            {parts()
              .map((x, i) => `part ${i + 1}: ${x.length} observation(s)`)
              .join('; ')}
          </p>
        </fieldset>
      </ReasonForm>
    );
  }

  return <ReasonForm title={choice.title} hint={choice.hint} submitLabel={choice.submit} danger={choice.danger ?? false} onSubmit={(reason) => act(choice, reason)} onCancel={cancel} />;
}

export function TwoNations({ review }: { review: Review }) {
  const nations = [...new Set(review.confirmations.map((x) => x.nation))];
  const slots = [0, 1].map((i) => nations[i]);
  return (
    <div class="two-nations">
      <ol class="slots" aria-label="Confirmations by nation">
        {slots.map((n, i) => {
          const who = review.confirmations.filter((x) => x.nation === n);
          return (
            <li key={i} class={n ? 'filled' : 'missing'}>
              {n ? (
                <>
                  <span class="mark" aria-hidden="true">
                    ✓
                  </span>{' '}
                  <strong>{n}</strong>: {who.map((x) => `${x.analyst}, ${utc(x.at)}`).join('; ')}
                </>
              ) : (
                <>
                  <span class="mark" aria-hidden="true">
                    ○
                  </span>{' '}
                  {i === 0 ? 'a first nation' : 'a second nation'}: not yet
                </>
              )}
            </li>
          );
        })}
      </ol>
      <p>
        State: <strong>{stateWords[review.state] ?? review.state}</strong>
        {review.needed ? <>. Still needed: {review.needed}.</> : '.'}
      </p>
      {review.merged_into && (
        <p>
          Merged into{' '}
          <a href={candidatePath(review.merged_into)} onClick={onLink(candidatePath(review.merged_into))}>
            <code>{review.merged_into}</code>
          </a>
          .
        </p>
      )}
      {review.split_into && review.split_into.length > 0 && (
        <p>
          Split into{' '}
          {review.split_into.map((x, i) => (
            <span key={x}>
              {i > 0 ? ', ' : ''}
              <a href={candidatePath(x)} onClick={onLink(candidatePath(x))}>
                <code>{x}</code>
              </a>
            </span>
          ))}
          .
        </p>
      )}
    </div>
  );
}

/** CandidatePage is a candidate on a page of its own. */
export function CandidatePage({ id, user }: { id: string | null; user: User }) {
  const [c, setC] = useState<Candidate>();
  const [error, setError] = useState<unknown>();
  const [form, setForm] = useState<ActionChoice>();
  const load = useCallback(async () => {
    if (!id) return;
    setError(undefined);
    try {
      setC(await get<Candidate>(`/api/v1/candidates/${encodeURIComponent(id)}`));
    } catch (e) {
      setError(e instanceof ApiError && e.status === 404 ? new ApiError(404, `No candidate ${id}: it does not exist, or it is not released to you.`) : e);
    }
  }, [id]);
  useEffect(() => {
    setC(undefined);
    setForm(undefined);
    void load();
    document.title = `Candidate ${id ?? ''} · guarantor`;
  }, [load, id]);
  if (!id) return <Empty>No candidate is named: open one from the queue.</Empty>;
  return (
    <div class="page">
      <div class="toolbar no-print">
        <button type="button" onClick={() => history.back()}>
          ← Back
        </button>
      </div>
      {error !== undefined ? (
        <ErrorNote error={error} what="The candidate could not be read" retry={isMissing(error) ? undefined : () => void load()} />
      ) : !c ? (
        <Loading what="Reading the candidate…" />
      ) : (
        <CandidateDetail
          key={c.id}
          c={c}
          user={user}
          form={form}
          setForm={setForm}
          page
          onReviewed={(r) => setC((cur) => (cur ? { ...cur, properties: { ...cur.properties, state: r.state } } : cur))}
        />
      )}
    </div>
  );
}
