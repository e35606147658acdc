// The verification queue: candidate violations still to be decided (open,
// more information asked, second review), gravest then oldest, navigable
// with the keyboard; or, chosen above the list, the closed ones (verified,
// rejected, merged, split) that an analyst may re-open. The selected one's
// review shows who confirmed it and what the two-nation rule still needs,
// its evidence, and an analyst acts on it with a reason.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get } from './api';
import { type ActionChoice, CandidateDetail, choices, queueStates, stateWords } from './CandidateDetail';
import { Empty, ErrorNote, Loading, useNow } from './components';
import { age, party, utc, words } from './format';
import { can } from './roles';
import { liveWords, useLive } from './sse';
import type { Candidate, CandidateState, Page, Severity, User } from './types';

const pageSize = 500;
const severityRank: Record<Severity, number> = { major: 0, serious: 1, minor: 2 };

function byQueueOrder(a: Candidate, b: Candidate): number {
  const s = (severityRank[a.properties.severity] ?? 3) - (severityRank[b.properties.severity] ?? 3);
  if (s !== 0) return s;
  const t = a.properties.time.localeCompare(b.properties.time);
  return t !== 0 ? t : a.id.localeCompare(b.id);
}

type Cursors = Partial<Record<CandidateState, string>>;

/** The lists the queue can show: what is to decide, or the candidates closed in one way. */
const lists: { key: string; words: string; states: CandidateState[] }[] = [
  { key: 'decide', words: 'to decide', states: queueStates },
  { key: 'verified', words: 'verified', states: ['verified'] },
  { key: 'rejected', words: 'rejected', states: ['rejected'] },
  { key: 'merged', words: 'merged', states: ['merged'] },
  { key: 'split', words: 'split', states: ['split'] },
];

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
  const [listKey, setListKey] = useState('decide');
  const list = lists.find((l) => l.key === listKey) ?? lists[0]!;
  const shown = list.states;
  const shownRef = useRef(shown);
  shownRef.current = shown;

  const fetchStates = useCallback(async (which: Cursors | undefined) => {
    const states = which ? (Object.keys(which) as CandidateState[]) : shown;
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
  }, [shown]);

  const load = useCallback(async () => {
    setLoading(true);
    setError(undefined);
    loaded.current = false;
    try {
      const { features, next } = await fetchStates(undefined);
      const merged = mergeCandidates(features, pending.current, shown);
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
  }, [fetchStates, shown]);

  const loadMore = async () => {
    setLoadingMore(true);
    try {
      const { features, next } = await fetchStates(cursors);
      setItems((cur) => mergeCandidates(cur, features, shown));
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
      setItems((cur) => mergeCandidates(cur, [c], shownRef.current));
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
      case 'm':
      case 's':
        if (!analyst || !current || !queueStates.includes(current.properties.state)) return;
        if (e.key === 's' && (current.properties.observations?.length ?? 0) < 2) return;
        setForm(choices[({ c: 'confirm', r: 'reject', i: 'request_information', m: 'merge', s: 'split' } as const)[e.key]]);
        break;
      case 'o':
        if (!analyst || !current || queueStates.includes(current.properties.state)) return;
        setForm(choices.reopen);
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
  const suggestions = useMemo(() => items.filter((c) => queueStates.includes(c.properties.state)).map((c) => c.id), [items]);

  const chooser = (
    <label class="inline">
      Show{' '}
      <select
        value={listKey}
        onChange={(e) => {
          setForm(undefined);
          setItems([]);
          setListKey((e.target as HTMLSelectElement).value);
        }}
      >
        {lists.map((l) => (
          <option key={l.key} value={l.key}>
            {l.key === 'decide' ? 'candidates to decide' : `${l.words} candidates`}
          </option>
        ))}
      </select>
    </label>
  );

  if (loading && items.length === 0) return <Loading what="Loading the queue…" />;
  if (error !== undefined && items.length === 0)
    return (
      <div class="page">
        <div class="toolbar">{chooser}</div>
        <ErrorNote error={error} what="The queue could not be loaded" retry={() => void load()} />
      </div>
    );

  return (
    <div class="queue" onKeyDown={onKey}>
      <section class="queue-list" aria-label="Candidate violations">
        <div class="toolbar">
          {chooser}
          <span>
            <strong>{items.length}</strong> {list.words}
            {more ? ' loaded, more to load' : ''}: {counts.major} major, {counts.serious} serious, {counts.minor} minor
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
          <Empty>
            {listKey === 'decide'
              ? 'Nothing to decide: no candidate violation is open, waiting for information or in second review.'
              : `No ${list.words} candidate that you may see.`}
          </Empty>
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
                  <Row key={c.id} c={c} selected={c.id === selected} now={now} closed={!shown.includes(c.properties.state)} onSelect={() => setSelected(c.id)} />
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
              · <kbd>c</kbd> confirm · <kbd>r</kbd> reject · <kbd>i</kbd> more information · <kbd>m</kbd> merge · <kbd>s</kbd> split · <kbd>o</kbd> re-open
            </>
          )}{' '}
          · <kbd>Esc</kbd> back to the list
        </p>
      </section>
      <section class="queue-detail" aria-label="Review" tabIndex={-1} ref={detailRef}>
        {current ? (
          <CandidateDetail
            key={current.id}
            c={current}
            user={user}
            form={form}
            setForm={setForm}
            suggestions={suggestions}
            onReviewed={(r) => {
              setItems((cur) => cur.map((x) => (x.id === r.candidate ? { ...x, properties: { ...x.properties, state: r.state } } : x)));
            }}
            afterAction={() => tableRef.current?.focus()}
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
function mergeCandidates(cur: Candidate[], add: Candidate[], shown: CandidateState[]): Candidate[] {
  if (add.length === 0) return cur;
  const m = new Map(cur.map((c) => [c.id, c]));
  for (const c of add) {
    if (c.properties.withdrawn) m.delete(c.id);
    else if (m.has(c.id) || shown.includes(c.properties.state)) m.set(c.id, c);
  }
  return [...m.values()].sort(byQueueOrder);
}

function Row({ c, selected, now, closed, onSelect }: { c: Candidate; selected: boolean; now: number; closed: boolean; onSelect: () => void }) {
  const p = c.properties;
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
