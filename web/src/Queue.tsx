// The verification queue: candidate violations still to be decided (open,
// more information asked, second review), gravest then oldest, navigable
// with the keyboard; or, chosen in the filters above the list, those in
// one state (the closed ones, verified, rejected, merged or split, that an
// analyst may re-open) or in any. The filters (state, type, party,
// severity) are kept in the address, /queue?type=…&party=…&severity=…&state=…,
// so that a view can be shared and survives a reload. The selected one's
// review shows who confirmed it and what the two-nation rule still needs,
// its evidence, and an analyst acts on it with a reason.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get } from './api';
import { byQueueOrder, partyChoices, queueStates, severities, stateWords, states, violationTypes } from './candidates';
import { type ActionChoice, CandidateDetail, choices } from './CandidateDetail';
import { Empty, ErrorNote, Loading, useNow } from './components';
import { age, party, utc, words } from './format';
import { can } from './roles';
import { navigate, useRoute } from './router';
import { liveWords, useLive } from './sse';
import { partyName, useTerms } from './terms';
import type { Candidate, CandidateState, Page, Severity, TermsVersion, User } from './types';

const pageSize = 500;

/** Cursors are the next page of each state read ('' when no state is asked for). */
type Cursors = Record<string, string>;

/** A choice of the state filter: what is to decide, one state, or any. */
interface StateChoice {
  /** key is the value in the address (state=…); the default, decide, is left out */
  key: string;
  /** option is what the filter offers; words what the count says ("12 to decide") */
  option: string;
  words: string;
  /** states are those asked for, one query each; null asks for every state at once */
  states: CandidateState[] | null;
}

const stateChoices: StateChoice[] = [
  { key: 'decide', option: `to decide (${queueStates.map((st) => stateWords[st]).join(', ')})`, words: 'to decide', states: queueStates },
  ...states.map((st) => ({ key: st, option: stateWords[st], words: stateWords[st], states: [st] })),
  { key: 'all', option: 'any state', words: 'in any state', states: null },
];
const defaultState = 'decide';

/** Filters are the queue's filters; '' is any. */
interface Filters {
  type: string;
  /** a party's code, or none: not attributable */
  party: string;
  severity: Severity | '';
  /** the key of a StateChoice */
  state: string;
}

const noFilters: Filters = { type: '', party: '', severity: '', state: defaultState };

/** readFilters reads the filters from the address; a severity or state it does not know is left at its default. */
function readFilters(p: URLSearchParams): Filters {
  const severity = p.get('severity') ?? '';
  const state = p.get('state') ?? '';
  return {
    type: p.get('type') ?? '',
    party: p.get('party') ?? '',
    severity: (severities as string[]).includes(severity) ? (severity as Severity) : '',
    state: stateChoices.some((c) => c.key === state) ? state : defaultState,
  };
}

/** queuePath is the queue's address with its filters, those at their default left out: /queue?type=…&party=…&severity=…&state=…. */
function queuePath(f: Filters): string {
  const q = new URLSearchParams();
  if (f.type) q.set('type', f.type);
  if (f.party) q.set('party', f.party);
  if (f.severity) q.set('severity', f.severity);
  if (f.state !== defaultState) q.set('state', f.state);
  const s = q.toString();
  return s ? `/queue?${s}` : '/queue';
}

function isDefault(f: Filters): boolean {
  return !f.type && !f.party && !f.severity && f.state === defaultState;
}

/** candidatesPath asks the API for a page of the candidates in a state ('' for any) that the filters keep. */
function candidatesPath(state: string, f: Filters, cursor: string | undefined): string {
  const q = new URLSearchParams();
  if (state) q.set('state', state);
  if (f.type) q.set('type', f.type);
  if (f.party) q.set('party', f.party);
  if (f.severity) q.set('severity', f.severity);
  q.set('limit', String(pageSize));
  if (cursor) q.set('cursor', cursor);
  return `/api/v1/candidates?${q}`;
}

/** matches says whether the filters keep a candidate, as the server would. */
function matches(c: Candidate, f: Filters, shown: CandidateState[] | null): boolean {
  const p = c.properties;
  return (
    (!shown || shown.includes(p.state)) &&
    (!f.type || p.violation_type === f.type) &&
    (!f.party || (f.party === 'none' ? !p.party : p.party === f.party)) &&
    (!f.severity || p.severity === f.severity)
  );
}

/** filterWords says the filters in words: "to decide · major · fire across line · not attributable". */
function filterWords(f: Filters, terms: TermsVersion | null | undefined): string {
  const parts = [stateChoices.find((c) => c.key === f.state)?.words ?? f.state];
  if (f.severity) parts.push(f.severity);
  if (f.type) parts.push(words(f.type));
  if (f.party) parts.push(f.party === 'none' ? 'not attributable' : partyName(terms, f.party));
  return parts.join(' · ');
}

export function Queue({ user }: { user: User }) {
  const [items, setItems] = useState<Candidate[]>([]);
  const [cursors, setCursors] = useState<Cursors>({});
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>();
  const [selected, setSelected] = useState<string>();
  const [form, setForm] = useState<ActionChoice>();
  const detailRef = useRef<HTMLDivElement>(null);
  const loaded = useRef(false);
  const pending = useRef<Candidate[]>([]);
  const generation = useRef(0);
  const tableRef = useRef<HTMLDivElement>(null);
  const now = useNow(60_000);
  const analyst = can(user, 'verify');
  const terms = useTerms();
  const search = useRoute().params.toString();
  const filters = useMemo(() => readFilters(new URLSearchParams(search)), [search]);
  const choice = stateChoices.find((c) => c.key === filters.state) ?? stateChoices[0]!;
  const shown = choice.states;
  const keep = useCallback((c: Candidate) => matches(c, filters, shown), [filters, shown]);
  const keepRef = useRef(keep);
  keepRef.current = keep;

  const setFilters = (f: Filters) => navigate(queuePath(f), true);

  /** fetchPages reads the first page of each state shown, or the next of each in which. */
  const fetchPages = useCallback(
    async (which: Cursors | undefined) => {
      const asked = which ? Object.keys(which) : (shown ?? ['']);
      const pages = await Promise.all(asked.map((st) => get<Page<Candidate>>(candidatesPath(st, filters, which?.[st]))));
      const next: Cursors = {};
      asked.forEach((st, i) => {
        const n = pages[i]?.next;
        if (n) next[st] = n;
      });
      return { features: pages.flatMap((p) => p.features), next };
    },
    [shown, filters],
  );

  const load = useCallback(async () => {
    // A later load (the filters changed meanwhile) wins over an earlier one.
    const gen = ++generation.current;
    setLoading(true);
    setError(undefined);
    loaded.current = false;
    try {
      const { features, next } = await fetchPages(undefined);
      if (gen !== generation.current) return;
      const merged = mergeCandidates(features.sort(byQueueOrder), pending.current, keep);
      pending.current = [];
      loaded.current = true;
      setItems(merged);
      setCursors(next);
      setSelected((cur) => (cur && merged.some((c) => c.id === cur) ? cur : merged[0]?.id));
    } catch (e) {
      if (gen === generation.current) setError(e);
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [fetchPages, keep]);

  const loadMore = async () => {
    const gen = generation.current;
    setLoadingMore(true);
    try {
      const { features, next } = await fetchPages(cursors);
      if (gen !== generation.current) return;
      setItems((cur) => mergeCandidates(cur, features, keep));
      setCursors(next);
    } catch (e) {
      if (gen === generation.current) setError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  // Other filters: what was listed under the old ones goes at once.
  useEffect(() => {
    setItems([]);
    setCursors({});
    setForm(undefined);
  }, [filters]);

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
      setItems((cur) => mergeCandidates(cur, [c], keepRef.current));
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

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (e.key === 'Escape' && t.closest('form.filters')) {
      tableRef.current?.focus();
      e.preventDefault();
      return;
    }
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

  // The choices: every type and party the terms and the code know, with
  // those of the candidates listed and the one in the address.
  const types = useMemo(() => violationTypes(terms, [filters.type, ...items.map((c) => c.properties.violation_type)]), [terms, filters.type, items]);
  const parties = useMemo(() => partyChoices(terms, [filters.party, ...items.map((c) => c.properties.party ?? '')]), [terms, filters.party, items]);
  const filtered = !isDefault(filters);
  const clear = () => navigate(queuePath(noFilters), true);

  // The filters are a form, so that the queue's shortcuts leave them alone
  // while one has the focus (see onKey): a letter typed in a list of
  // choices picks a choice there.
  const filterForm = (
    <form class="filters" role="search" aria-label="Filter the queue" onSubmit={(e) => e.preventDefault()}>
      <label class="inline">
        State
        <select value={filters.state} onChange={(e) => setFilters({ ...filters, state: (e.target as HTMLSelectElement).value })}>
          {stateChoices.map((c) => (
            <option key={c.key} value={c.key}>
              {c.option}
            </option>
          ))}
        </select>
      </label>
      <label class="inline">
        Type
        <select value={filters.type} onChange={(e) => setFilters({ ...filters, type: (e.target as HTMLSelectElement).value })}>
          <option value="">any type</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {words(t)}
            </option>
          ))}
        </select>
      </label>
      <label class="inline">
        Party
        <select value={filters.party} onChange={(e) => setFilters({ ...filters, party: (e.target as HTMLSelectElement).value })}>
          <option value="">any party</option>
          {parties.map((p) => (
            <option key={p.value} value={p.value}>
              {p.words}
            </option>
          ))}
        </select>
      </label>
      <label class="inline">
        Severity
        <select value={filters.severity} onChange={(e) => setFilters({ ...filters, severity: (e.target as HTMLSelectElement).value as Severity | '' })}>
          <option value="">any severity</option>
          {severities.map((sev) => (
            <option key={sev} value={sev}>
              {sev}
            </option>
          ))}
        </select>
      </label>
      {filtered && (
        <button type="button" class="link" onClick={clear}>
          Clear the filters
        </button>
      )}
    </form>
  );

  return (
    <div class="queue" onKeyDown={onKey}>
      <section class="queue-list" aria-label="Candidate violations">
        {filterForm}
        <div class="toolbar">
          <span>
            {loading && items.length === 0 ? (
              'Loading…'
            ) : (
              <>
                <strong>{items.length}</strong> {choice.words}
                {filters.type || filters.party || filters.severity ? ' (filtered)' : ''}
                {more ? ' loaded, more to load' : ''}: {counts.major} major, {counts.serious} serious, {counts.minor} minor
              </>
            )}
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
        {error !== undefined && (
          <ErrorNote error={error} what={items.length === 0 ? 'The queue could not be loaded' : 'Not all of the queue could be loaded'} retry={() => void load()} />
        )}
        {items.length === 0 ? (
          loading ? (
            <Loading what="Loading the queue…" />
          ) : error !== undefined ? null : !filtered ? (
            <Empty>Nothing to decide: no candidate violation is open, waiting for information or in second review.</Empty>
          ) : (
            <Empty>
              No candidate violation that you may see matches the filters ({filterWords(filters, terms)}).{' '}
              <button type="button" class="link" onClick={clear}>
                Clear the filters
              </button>
            </Empty>
          )
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
                  <Row key={c.id} c={c} selected={c.id === selected} now={now} closed={!!shown && !shown.includes(c.properties.state)} onSelect={() => setSelected(c.id)} />
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

/**
 * mergeCandidates adds or replaces candidates by id, drops withdrawn ones,
 * and keeps the queue's order. A candidate not listed is added only if
 * keep says the filters keep it; one listed is replaced, so that a
 * candidate just decided stays in view, shown as closed.
 */
function mergeCandidates(cur: Candidate[], add: Candidate[], keep: (c: Candidate) => boolean): Candidate[] {
  if (add.length === 0) return cur;
  const m = new Map(cur.map((c) => [c.id, c]));
  for (const c of add) {
    if (c.properties.withdrawn) m.delete(c.id);
    else if (m.has(c.id) || keep(c)) m.set(c.id, c);
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
