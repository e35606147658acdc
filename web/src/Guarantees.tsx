// The guarantees board: proposals awaiting the authority's determination,
// each guarantor's obligations with a live countdown to their deadlines
// (overdue ones unmistakable), and the activations already determined.
import { Fragment } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get, post } from './api';
import { Empty, ErrorNote, Loading, ReasonForm, useNow } from './components';
import { countdown, duration, utc, words } from './format';
import { can, canActOn } from './roles';
import { liveWords, useLive } from './sse';
import type { Activation, Obligation, User } from './types';

/** Six hours before a deadline the server warns that it approaches; so does the board. */
const approachingMs = 6 * 3600 * 1000;

interface Board {
  activations: Activation[];
  obligations: Obligation[];
  /** the local clock's time when the obligations were read: their deadlines are counted from it and remaining_s, so that a wrong local clock does not matter */
  readAt: number;
}

type Pending =
  | { kind: 'determine'; id: string; confirm: boolean }
  | { kind: 'obligation'; id: string; action: 'acknowledge' | 'record_action' | 'close' }
  | undefined;

const obligationTypes: Record<string, string> = {
  consult: 'consult',
  provide_assistance: 'provide assistance',
  impose_costs: 'impose costs',
  convene_senior: 'convene senior officials',
};

export function Guarantees({ user }: { user: User }) {
  const [board, setBoard] = useState<Board>();
  const [error, setError] = useState<unknown>();
  const [pending, setPending] = useState<Pending>();
  const [done, setDone] = useState<string>();
  const [nationFilter, setNationFilter] = useState<string>('');
  const [open, setOpen] = useState<string>();
  const now = useNow(1000);
  const authority = can(user, 'determine');

  const load = useCallback(async () => {
    try {
      const [activations, obligations] = await Promise.all([
        get<Activation[]>('/api/v1/activations?limit=1000'),
        get<Obligation[]>('/api/v1/obligations?limit=1000'),
      ]);
      setBoard({ activations, obligations, readAt: Date.now() });
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  // Any event about activations or obligations: read the board again, at
  // most twice a second.
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const reloadSoon = () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      void load();
    }, 500);
  };
  const live = useLive('/api/v1/guarantees/stream', {
    'activation.proposed': reloadSoon,
    'activation.determined': reloadSoon,
    'obligation.created': reloadSoon,
    'obligation.updated': reloadSoon,
    'obligation.escalated': reloadSoon,
    'obligation.deadline_approaching': reloadSoon,
  });

  const proposed = useMemo(
    () => (board?.activations ?? []).filter((a) => a.state === 'proposed').sort((a, b) => a.proposed_at.localeCompare(b.proposed_at)),
    [board],
  );
  const determined = useMemo(
    () =>
      (board?.activations ?? [])
        .filter((a) => a.state !== 'proposed')
        .sort((a, b) => (b.determination?.at ?? b.proposed_at).localeCompare(a.determination?.at ?? a.proposed_at)),
    [board],
  );

  const deadlineOf = (o: Obligation) => (board ? board.readAt + o.remaining_s * 1000 : Date.parse(o.deadline));
  const isOverdue = (o: Obligation) => o.state !== 'met' && now >= deadlineOf(o);

  const obligations = useMemo(() => {
    const list = (board?.obligations ?? []).filter((o) => !nationFilter || o.guarantor === nationFilter);
    const rank = (o: Obligation) => (o.guarantor === user.nation ? 0 : 1);
    const met = (o: Obligation) => (o.state === 'met' ? 1 : 0);
    // Deadlines to the second: obligations of one determination, made within
    // milliseconds of each other, are then listed by guarantor.
    return list.sort(
      (a, b) => rank(a) - rank(b) || met(a) - met(b) || a.deadline.slice(0, 19).localeCompare(b.deadline.slice(0, 19)) || a.guarantor.localeCompare(b.guarantor),
    );
  }, [board, nationFilter, user.nation]);
  const nations = useMemo(() => [...new Set((board?.obligations ?? []).map((o) => o.guarantor))].sort(), [board]);
  const overdueCount = (board?.obligations ?? []).filter(isOverdue).length;

  if (!board && error === undefined) return <Loading what="Loading the guarantees…" />;
  if (!board) return <ErrorNote error={error} what="The guarantees could not be loaded" retry={() => void load()} />;

  const determine = async (a: Activation, confirm: boolean, reason: string) => {
    await post(`/api/v1/activations/${encodeURIComponent(a.id)}/determination`, { confirm, reason });
    setPending(undefined);
    setDone(`${confirm ? 'Confirmed' : 'Declined'}: ${a.clause}.${confirm ? ' Its obligations now run.' : ''}`);
    await load();
  };
  const actOn = async (o: Obligation, action: 'acknowledge' | 'record_action' | 'close', note: string) => {
    await post(`/api/v1/obligations/${encodeURIComponent(o.id)}/actions`, { kind: action, note });
    setPending(undefined);
    setDone(`${action === 'acknowledge' ? 'Acknowledged' : action === 'close' ? 'Closed as met' : 'Action recorded'}: ${o.guarantor}, ${o.clause}.`);
    await load();
  };

  return (
    <div class="board">
      <div class="toolbar">
        <span class={`live ${live}`} title="Updates from the server as they happen">
          {liveWords(live)}
        </span>
        {overdueCount > 0 && (
          <span class="overdue-badge" role="status">
            {overdueCount} overdue
          </span>
        )}
        <button type="button" class="link" onClick={() => void load()}>
          Reload
        </button>
      </div>
      {error !== undefined && <ErrorNote error={error} what="The board could not be refreshed; it shows what was read before" />}
      {done && (
        <p class="done" role="status">
          {done}
        </p>
      )}

      <section aria-labelledby="proposals-title">
        <h2 id="proposals-title">Proposals awaiting determination ({proposed.length})</h2>
        {proposed.length === 0 ? (
          <Empty>No proposal awaits determination. A trigger clause whose condition holds on verified findings proposes one here.</Empty>
        ) : (
          <ul class="cards">
            {proposed.map((a) => (
              <li key={a.id} class="card proposed">
                <ActivationSummary a={a} />
                {authority &&
                  (pending?.kind === 'determine' && pending.id === a.id ? (
                    <ReasonForm
                      title={pending.confirm ? `Confirm ${a.clause}` : `Decline ${a.clause}`}
                      hint={
                        pending.confirm
                          ? 'Confirming determines that the clause applies: one obligation per guarantor it names starts, with its deadline.'
                          : 'Declining stands until a new finding comes.'
                      }
                      submitLabel={pending.confirm ? 'Confirm' : 'Decline'}
                      danger={!pending.confirm}
                      onSubmit={(reason) => determine(a, pending.confirm, reason)}
                      onCancel={() => setPending(undefined)}
                    />
                  ) : (
                    <div class="buttons">
                      <button type="button" class="primary" onClick={() => setPending({ kind: 'determine', id: a.id, confirm: true })}>
                        Confirm…
                      </button>
                      <button type="button" class="danger" onClick={() => setPending({ kind: 'determine', id: a.id, confirm: false })}>
                        Decline…
                      </button>
                    </div>
                  ))}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="obligations-title">
        <h2 id="obligations-title">
          Obligations ({obligations.length})
          <label class="filter">
            Nation{' '}
            <select value={nationFilter} onChange={(e) => setNationFilter((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {nations.map((n) => (
                <option key={n} value={n}>
                  {n}
                  {n === user.nation ? ' (yours)' : ''}
                </option>
              ))}
            </select>
          </label>
        </h2>
        {obligations.length === 0 ? (
          <Empty>{nationFilter ? `No obligation of ${nationFilter}.` : 'No obligation: they start when the authority confirms an activation.'}</Empty>
        ) : (
          <table class="obligations">
            <thead>
              <tr>
                <th>Guarantor</th>
                <th>Obligation</th>
                <th>Clause</th>
                <th>State</th>
                <th>Deadline</th>
                <th>Time left</th>
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {obligations.map((o) => {
                const left = deadlineOf(o) - now;
                const overdue = isOverdue(o);
                const soon = !overdue && o.state !== 'met' && left < approachingMs;
                const mine = canActOn(user, o.guarantor);
                const formOpen = pending?.kind === 'obligation' && pending.id === o.id;
                const expanded = open === o.id;
                const history = o.history ?? [];
                return (
                  <Fragment key={o.id}>
                    <tr class={`${overdue ? 'overdue' : ''} ${soon ? 'soon' : ''} ${o.state === 'met' ? 'met' : ''} ${o.guarantor === user.nation ? 'yours' : ''}`}>
                      <td>
                        <strong>{o.guarantor}</strong>
                        {o.guarantor === user.nation && <span class="tag">yours</span>}
                      </td>
                      <td>{obligationTypes[o.type] ?? words(o.type)}</td>
                      <td>
                        <code>{o.clause}</code>
                      </td>
                      <td>
                        {o.state}
                        {o.escalation > 0 && <span class="tag warn">escalated, step {o.escalation}</span>}
                      </td>
                      <td class="num">{utc(o.deadline)}</td>
                      <td class="num countdown" aria-live="off">
                        {o.state === 'met' ? (
                          'met'
                        ) : overdue ? (
                          <span class="overdue-text">
                            <strong>Overdue</strong> by {duration(-left)}
                          </span>
                        ) : (
                          <span title={soon ? 'Less than six hours left' : undefined}>{countdown(left)}</span>
                        )}
                      </td>
                      <td>
                        <div class="row-actions">
                          {history.length > 0 && (
                            <button type="button" class="link" aria-expanded={expanded} onClick={() => setOpen(expanded ? undefined : o.id)}>
                              History ({history.length})
                            </button>
                          )}
                          {mine && o.state !== 'met' && !formOpen && (
                            <>
                              {o.state === 'open' && (
                                <button type="button" class="primary" onClick={() => setPending({ kind: 'obligation', id: o.id, action: 'acknowledge' })}>
                                  Acknowledge…
                                </button>
                              )}
                              <button type="button" onClick={() => setPending({ kind: 'obligation', id: o.id, action: 'record_action' })}>
                                Record action…
                              </button>
                              <button type="button" onClick={() => setPending({ kind: 'obligation', id: o.id, action: 'close' })}>
                                Close as met…
                              </button>
                            </>
                          )}
                        </div>
                      </td>
                    </tr>
                    {formOpen && pending?.kind === 'obligation' && (
                      <tr class="form-row">
                        <td colSpan={7}>
                          <ReasonForm
                            title={
                              pending.action === 'acknowledge'
                                ? `Acknowledge ${o.guarantor}'s obligation to ${obligationTypes[o.type] ?? words(o.type)}`
                                : pending.action === 'close'
                                  ? `Close ${o.guarantor}'s obligation as met`
                                  : `Record an action on ${o.guarantor}'s obligation`
                            }
                            field="Note"
                            required={pending.action !== 'acknowledge'}
                            hint={pending.action === 'acknowledge' ? undefined : 'Say what was done: it is kept in the tamper-evident log.'}
                            submitLabel={pending.action === 'acknowledge' ? 'Acknowledge' : pending.action === 'close' ? 'Close as met' : 'Record'}
                            onSubmit={(note) => actOn(o, pending.action, note)}
                            onCancel={() => setPending(undefined)}
                          />
                        </td>
                      </tr>
                    )}
                    {expanded && (
                      <tr class="history-row">
                        <td colSpan={7}>
                          <ol class="history">
                            {history.map((h, i) => (
                              <li key={i}>
                                <strong>{words(h.kind)}</strong> by {h.by}
                                {h.nation ? ` (${h.nation})` : ''}, {utc(h.at)}
                                {h.note && (
                                  <>
                                    : <span class="reason-text">{h.note}</span>
                                  </>
                                )}
                              </li>
                            ))}
                          </ol>
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="determined-title">
        <h2 id="determined-title">Determined activations ({determined.length})</h2>
        {determined.length === 0 ? (
          <Empty>No activation has been determined yet.</Empty>
        ) : (
          <ul class="cards">
            {determined.map((a) => (
              <li key={a.id} class={`card ${a.state}`}>
                <ActivationSummary a={a} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function ActivationSummary({ a }: { a: Activation }) {
  const d = a.determination;
  return (
    <div class="activation">
      <div class="head">
        <span class={`state-tag ${a.state}`}>{a.state}</span> <code>{a.clause}</code>
        {a.instrument && <span class="muted"> · instrument {a.instrument}</span>}
      </div>
      <div class="muted">
        Proposed {utc(a.proposed_at)} on {a.findings.length} finding{a.findings.length === 1 ? '' : 's'}
        {a.hidden_findings > 0 && ` and ${a.hidden_findings} finding${a.hidden_findings === 1 ? '' : 's'} you may not see`}
        {a.findings.length > 0 && (
          <>
            : <code>{a.findings.slice(0, 3).join(', ')}</code>
            {a.findings.length > 3 ? ` and ${a.findings.length - 3} more` : ''}
          </>
        )}
      </div>
      {d && (
        <div>
          {d.confirm ? 'Confirmed' : 'Declined'} by {d.by}
          {d.nation ? ` (${d.nation})` : ''}, {utc(d.at)}: <span class="reason-text">{d.reason}</span>
        </div>
      )}
      {a.obligations && (
        <div class={a.obligations.overdue > 0 ? 'overdue-text' : 'muted'}>
          Obligations: {a.obligations.total} — {a.obligations.met} met, {a.obligations.open} open
          {a.obligations.overdue > 0 ? <strong>, {a.obligations.overdue} overdue</strong> : ', none overdue'}
        </div>
      )}
    </div>
  );
}
