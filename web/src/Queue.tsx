// The verification queue: candidate violations still to be decided (open,
// more information asked, second review), gravest then oldest, navigable
// with the keyboard; the selected one's review shows who confirmed it and
// what the two-nation rule still needs, and an analyst acts on it with a
// reason.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get, newId, post } from './api';
import { Empty, ErrorNote, Loading, ReasonForm, useNow } from './components';
import { age, casualties, label, metres, party, percent, utc, utcSeconds, words } from './format';
import { can } from './roles';
import { liveWords, useLive } from './sse';
import type { ActionAnswer, ActionKind, Candidate, CandidateState, Page, Review, Severity, User } from './types';

const queueStates: CandidateState[] = ['open', 'more_information', 'second_review'];
const pageSize = 500;
const severityRank: Record<Severity, number> = { major: 0, serious: 1, minor: 2 };

function byQueueOrder(a: Candidate, b: Candidate): number {
  const s = (severityRank[a.properties.severity] ?? 3) - (severityRank[b.properties.severity] ?? 3);
  if (s !== 0) return s;
  const t = a.properties.time.localeCompare(b.properties.time);
  return t !== 0 ? t : a.id.localeCompare(b.id);
}

const stateWords: Record<CandidateState, string> = {
  open: 'open',
  more_information: 'more information asked',
  second_review: 'second review',
  verified: 'verified',
  rejected: 'rejected',
  merged: 'merged',
  split: 'split',
};

type Cursors = Partial<Record<CandidateState, string>>;

interface ActionChoice {
  kind: ActionKind;
  title: string;
  submit: string;
  hint: string;
  danger?: boolean;
}

const choices: Record<'confirm' | 'reject' | 'request_information', ActionChoice> = {
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
};

export function Queue({ user }: { user: User }) {
  const [items, setItems] = useState<Candidate[]>([]);
  const [cursors, setCursors] = useState<Cursors>({});
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>();
  const [selected, setSelected] = useState<string>();
  const loaded = useRef(false);
  const pending = useRef<Candidate[]>([]);
  const tableRef = useRef<HTMLDivElement>(null);
  const now = useNow(60_000);
  const analyst = can(user, 'verify');

  const fetchStates = useCallback(async (which: Cursors | undefined) => {
    const states = which ? (Object.keys(which) as CandidateState[]) : queueStates;
    const pages = await Promise.all(
      states.map((st) => {
        const cursor = which?.[st];
        return get<Page<Candidate>>(`/api/v1/candidates?state=${st}&limit=${pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      }),
    );
    const next: Cursors = {};
    states.forEach((st, i) => {
      const n = pages[i]?.next;
      if (n) next[st] = n;
    });
    return { features: pages.flatMap((p) => p.features), next };
  }, []);

  const load = useCallback(async () => {
    setLoading(true);
    setError(undefined);
    loaded.current = false;
    try {
      const { features, next } = await fetchStates(undefined);
      const merged = mergeCandidates(features, pending.current);
      pending.current = [];
      loaded.current = true;
      setItems(merged);
      setCursors(next);
      setSelected((cur) => (cur && merged.some((c) => c.id === cur) ? cur : merged[0]?.id));
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, [fetchStates]);

  const loadMore = async () => {
    setLoadingMore(true);
    try {
      const { features, next } = await fetchStates(cursors);
      setItems((cur) => mergeCandidates(cur, features));
      setCursors(next);
    } catch (e) {
      setError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  useEffect(() => {
    void load();
  }, [load]);

  const live = useLive('/api/v1/candidates/stream', {
    candidate: (data) => {
      const c = data as Candidate;
      if (!c || typeof c.id !== 'string' || !c.properties) return;
      if (!loaded.current) {
        pending.current.push(c);
        return;
      }
      setItems((cur) => mergeCandidates(cur, [c]));
    },
  });

  const index = items.findIndex((c) => c.id === selected);
  const current = index >= 0 ? items[index] : undefined;

  const move = (to: number) => {
    if (items.length === 0) return;
    const i = Math.max(0, Math.min(items.length - 1, to));
    setSelected(items[i]?.id);
  };

  useEffect(() => {
    if (!selected) return;
    document.getElementById(rowId(selected))?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const [form, setForm] = useState<ActionChoice>();
  const detailRef = useRef<HTMLDivElement>(null);

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (t.closest('input, textarea, select, form') || e.altKey || e.ctrlKey || e.metaKey) return;
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        move(index + 1);
        break;
      case 'k':
      case 'ArrowUp':
        move(index - 1);
        break;
      case 'PageDown':
        move(index + 15);
        break;
      case 'PageUp':
        move(index - 15);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(items.length - 1);
        break;
      case 'Enter':
        if (!t.closest('button, a')) detailRef.current?.focus();
        else return;
        break;
      case 'Escape':
        tableRef.current?.focus();
        break;
      case 'c':
      case 'r':
      case 'i':
        if (!analyst || !current || !queueStates.includes(current.properties.state)) return;
        setForm(choices[e.key === 'c' ? 'confirm' : e.key === 'r' ? 'reject' : 'request_information']);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const counts = useMemo(() => {
    const n: Record<Severity, number> = { major: 0, serious: 0, minor: 0 };
    for (const c of items) n[c.properties.severity] = (n[c.properties.severity] ?? 0) + 1;
    return n;
  }, [items]);
  const more = Object.keys(cursors).length > 0;

  if (loading && items.length === 0) return <Loading what="Loading the queue…" />;
  if (error !== undefined && items.length === 0) return <ErrorNote error={error} what="The queue could not be loaded" retry={() => void load()} />;

  return (
    <div class="queue" onKeyDown={onKey}>
      <section class="queue-list" aria-label="Candidate violations">
        <div class="toolbar">
          <span>
            <strong>{items.length}</strong> to decide{more ? ' loaded, more to load' : ''}: {counts.major} major, {counts.serious} serious, {counts.minor} minor
          </span>
          {more && (
            <button type="button" class="link" disabled={loadingMore} onClick={() => void loadMore()}>
              {loadingMore ? 'Loading…' : 'Load more'}
            </button>
          )}
          <span class={`live ${live}`} title="Updates from the server as they happen">
            {liveWords(live)}
          </span>
          <button type="button" class="link" onClick={() => void load()}>
            Reload
          </button>
        </div>
        {error !== undefined && <ErrorNote error={error} what="Not all of the queue could be loaded" />}
        {items.length === 0 ? (
          <Empty>Nothing to decide: no candidate violation is open, waiting for information or in second review.</Empty>
        ) : (
          <div
            class="table-wrap"
            ref={tableRef}
            tabIndex={0}
            role="listbox"
            aria-label="Candidates, gravest then oldest. j and k, or the arrows, move; Enter opens the review."
            aria-activedescendant={selected ? rowId(selected) : undefined}
          >
            <table class="candidates">
              <thead>
                <tr>
                  <th>Severity</th>
                  <th>Violation</th>
                  <th>Party</th>
                  <th>Time</th>
                  <th>Age</th>
                  <th>State</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <Row key={c.id} c={c} selected={c.id === selected} now={now} onSelect={() => setSelected(c.id)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <p class="keys">
          <kbd>j</kbd>/<kbd>k</kbd> or <kbd>↓</kbd>/<kbd>↑</kbd> move · <kbd>Enter</kbd> review
          {analyst && (
            <>
              {' '}
              · <kbd>c</kbd> confirm · <kbd>r</kbd> reject · <kbd>i</kbd> more information
            </>
          )}{' '}
          · <kbd>Esc</kbd> back to the list
        </p>
      </section>
      <section class="queue-detail" aria-label="Review" tabIndex={-1} ref={detailRef}>
        {current ? (
          <Detail
            key={current.id}
            c={current}
            user={user}
            form={form}
            setForm={setForm}
            onReviewed={(r) => {
              setItems((cur) => cur.map((x) => (x.id === r.candidate ? { ...x, properties: { ...x.properties, state: r.state } } : x)));
            }}
            backToList={() => tableRef.current?.focus()}
          />
        ) : (
          <Empty>Select a candidate to see its review.</Empty>
        )}
      </section>
    </div>
  );
}

function rowId(id: string): string {
  return `cand-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** mergeCandidates adds or replaces candidates by id, drops withdrawn ones, and keeps the queue's order. */
function mergeCandidates(cur: Candidate[], add: Candidate[]): Candidate[] {
  if (add.length === 0) return cur;
  const m = new Map(cur.map((c) => [c.id, c]));
  for (const c of add) {
    if (c.properties.withdrawn) m.delete(c.id);
    else if (m.has(c.id) || queueStates.includes(c.properties.state)) m.set(c.id, c);
  }
  return [...m.values()].sort(byQueueOrder);
}

function Row({ c, selected, now, onSelect }: { c: Candidate; selected: boolean; now: number; onSelect: () => void }) {
  const p = c.properties;
  const closed = !queueStates.includes(p.state);
  return (
    <tr id={rowId(c.id)} role="option" aria-selected={selected} class={`${selected ? 'selected' : ''} ${closed ? 'closed' : ''}`} onClick={onSelect}>
      <td>
        <span class={`sev ${p.severity}`}>{p.severity}</span>
      </td>
      <td>{words(p.violation_type)}</td>
      <td>{party(p.party)}</td>
      <td class="num">{utc(p.time)}</td>
      <td class="num">{age(p.time, now)}</td>
      <td>{stateWords[p.state] ?? p.state}</td>
    </tr>
  );
}

interface DetailProps {
  c: Candidate;
  user: User;
  form: ActionChoice | undefined;
  setForm: (f: ActionChoice | undefined) => void;
  onReviewed: (r: Review) => void;
  backToList: () => void;
}

function Detail({ c, user, form, setForm, onReviewed, backToList }: DetailProps) {
  const [review, setReview] = useState<Review>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const p = c.properties;
  const analyst = can(user, 'verify');

  const loadReview = useCallback(async () => {
    setError(undefined);
    try {
      setReview(await get<Review>(`/api/v1/candidates/${encodeURIComponent(c.id)}/actions`));
    } catch (e) {
      setError(e);
    }
  }, [c.id]);

  useEffect(() => {
    // Detail is made anew for each candidate (its key), so this runs first
    // for a new one, and again when its state changes: the review shown
    // stays until the new one arrives.
    // Wait a moment, so that moving quickly through the list asks for the
    // review of the candidate stopped on, not of each one passed.
    const t = setTimeout(() => void loadReview(), 150);
    return () => clearTimeout(t);
  }, [loadReview, p.state]);

  const state = review?.state ?? p.state;
  const actionable = queueStates.includes(state);
  const mine = review?.confirmations.find((x) => x.analyst === user.name);
  const sameNation = review?.confirmations.find((x) => x.nation === user.nation && x.analyst !== user.name);

  const act = async (choice: ActionChoice, reason: string) => {
    const out = await post<ActionAnswer>(`/api/v1/candidates/${encodeURIComponent(c.id)}/actions`, { id: newId('web'), kind: choice.kind, reason });
    setReview(out.review);
    onReviewed(out.review);
    setForm(undefined);
    setDone(`${choice.submit}: done. The candidate is now ${stateWords[out.review.state] ?? out.review.state}${out.review.needed ? `; it still needs ${out.review.needed}` : ''}.`);
    backToList();
  };

  return (
    <div class="detail">
      <h2>
        <span class={`sev ${p.severity}`}>{p.severity}</span> {words(p.violation_type)}
      </h2>
      <p class="reason-text">{p.reason}</p>
      <dl class="facts">
        <dt>Party</dt>
        <dd>
          {party(p.party)}
          {p.probability !== undefined && ` (probability ${percent(p.probability)})`}
        </dd>
        <dt>Time</dt>
        <dd>{utcSeconds(p.time)}</dd>
        <dt>Clause</dt>
        <dd>{p.clause ?? '—'}</dd>
        {p.weapon_class && (
          <>
            <dt>Weapon class</dt>
            <dd>{words(p.weapon_class)}</dd>
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
        <dd>
          {p.confidence ? `${words(p.confidence.level)}, ${p.confidence.independent_sources ?? '?'} independent source(s)` : '—'}
        </dd>
        <dt>Evidence</dt>
        <dd>
          {p.observations?.length ?? 0} observation(s); incident <code>{p.incident ?? '—'}</code>
        </dd>
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

      {analyst && actionable && review && (
        <div class="actions">
          {form ? (
            <ReasonForm
              title={form.title}
              hint={form.hint}
              submitLabel={form.submit}
              danger={form.danger ?? false}
              onSubmit={(reason) => act(form, reason)}
              onCancel={() => {
                setForm(undefined);
                backToList();
              }}
            />
          ) : (
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
              </div>
            </>
          )}
        </div>
      )}
      {analyst && !actionable && review && <p class="hint">This candidate is {stateWords[state] ?? state}: it is closed.</p>}

      {review && review.actions.length > 0 && (
        <>
          <h3>History</h3>
          <ol class="history">
            {review.actions.map((a) => (
              <li key={`${a.n ?? ''}-${a.at}`}>
                <strong>{words(a.kind)}</strong> by {a.analyst} ({a.nation}), {utc(a.at)}
                <br />
                <span class="reason-text">{a.reason}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}

function TwoNations({ review }: { review: Review }) {
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
          Merged into <code>{review.merged_into}</code>.
        </p>
      )}
    </div>
  );
}

