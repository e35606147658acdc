// An incident in detail: where (its position, its 95 % ellipse and, for
// acoustic events, the Cramér–Rao bound), who (the attribution and its
// probabilities), on what evidence (each piece, and the observations with
// their sources and gradings), and each observation's proof in the
// tamper-evident log. Shown beside the map, in a candidate's review, and on
// a page of its own (/incident?id=…).
import { Fragment } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, readPages } from './api';
import { byQueueOrder, statusWords } from './candidates';
import { Empty, ErrorNote, Loading } from './components';
import { casualties, grading, label, metres, percent, position, utc, utcSeconds, words } from './format';
import { LogProof, observationRecord, ProofPanel } from './LogProof';
import { candidatePath, incidentPath, navigate, onLink } from './router';
import { liveWords, useLive } from './sse';
import { partyName, useTerms, weaponName } from './terms';
import type { Candidate, Ellipse, Evidence, Incident, IncidentDetail, Observation, TermsVersion } from './types';

/** useIncident reads an incident with its observations. */
export function useIncident(id: string | undefined, delay = 0) {
  const [detail, setDetail] = useState<IncidentDetail>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(!!id);
  const load = useCallback(async () => {
    if (!id) return;
    setLoading(true);
    setError(undefined);
    try {
      setDetail(await get<IncidentDetail>(`/api/v1/incidents/${encodeURIComponent(id)}`));
    } catch (e) {
      setError(e instanceof ApiError && e.status === 404 ? new ApiError(404, `No incident ${id}: it does not exist, or it is not released to you.`) : e);
    } finally {
      setLoading(false);
    }
  }, [id]);
  useEffect(() => {
    setDetail(undefined);
    if (!id) return;
    if (delay <= 0) {
      void load();
      return;
    }
    const t = setTimeout(() => void load(), delay);
    return () => clearTimeout(t);
  }, [load, delay, id]);
  return { detail, error, loading, reload: load };
}

/** isMissing says whether an error is the server's "not found": trying again would not help. */
export function isMissing(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

export function incidentTitle(i: Incident): string {
  const p = i.properties;
  return `${words(p.class) || 'incident'}${p.role && p.role !== 'unknown' ? `, ${words(p.role)}` : ''}`;
}

function ellipseWords(e: Ellipse | undefined): string {
  if (!e) return '—';
  return `${metres(e.semi_major_m)} × ${metres(e.semi_minor_m)}, major axis at ${Math.round(e.azimuth_deg)}° from north`;
}

/** IncidentFacts lists what an incident is: time, attribution, position, fire, casualties, confidence. */
export function IncidentFacts({ i, terms }: { i: Incident; terms: TermsVersion | null | undefined }) {
  const p = i.properties;
  const a = p.attribution;
  const probs = a?.probabilities ? Object.entries(a.probabilities).sort((x, y) => y[1] - x[1]) : [];
  const zones = a?.zone_probabilities ? Object.entries(a.zone_probabilities).filter(([, v]) => v > 0) : [];
  const crlb = p.evidence?.find((e) => e.crlb_95)?.crlb_95;
  return (
    <dl class="facts">
      <dt>Time</dt>
      <dd>
        {utcSeconds(p.start)}
        {p.end && p.end !== p.start ? ` to ${utcSeconds(p.end)}` : ''}
      </dd>
      <dt>Attribution</dt>
      <dd>
        {!a?.party && a?.reason ? capitalised(a.reason) : partyName(terms, a?.party)}
        {a?.probability !== undefined && a.party && ` (probability ${percent(a.probability)})`}
        {a?.of && <span class="muted"> · of its {words(a.of)}</span>}
        {probs.length > 0 && <div class="muted">{probs.map(([k, v]) => `${k}: ${percent(v)}`).join(' · ')}</div>}
        {a?.reason && a.party && <div class="muted">{a.reason}</div>}
      </dd>
      {a?.of && a.signed_distance_m !== undefined && (
        <>
          <dt>From the line</dt>
          <dd>
            {metres(Math.abs(a.signed_distance_m))} {a.signed_distance_m >= 0 ? 'left' : 'right'} of it
            {a.distance_sigma_m !== undefined && ` (± ${metres(a.distance_sigma_m)}, one sigma)`}
          </dd>
        </>
      )}
      {(zones.length > 0 || (a?.zones && a.zones.length > 0)) && (
        <>
          <dt>Zones</dt>
          <dd>{zones.length > 0 ? zones.map(([z, v]) => `${zoneWords(z, terms)} (${percent(v)})`).join('; ') : (a?.zones ?? []).map((z) => zoneWords(z, terms)).join('; ')}</dd>
        </>
      )}
      {p.weapon_class && (
        <>
          <dt>Weapon class</dt>
          <dd>{weaponName(terms, p.weapon_class)}</dd>
        </>
      )}
      <dt>Position</dt>
      <dd>
        {position(p.location?.position)}
        {p.location?.ellipse_95 && <div class="muted">95 % ellipse {ellipseWords(p.location.ellipse_95)}</div>}
        {crlb && <div class="muted">Cramér–Rao bound (95 %) {ellipseWords(crlb)}</div>}
      </dd>
      {(p.origin || p.impact) && (
        <>
          <dt>Fire</dt>
          <dd>
            <div>
              Origin: {p.origin ? position(p.origin.position) : 'not located'}
              {p.origin?.incident && p.origin.incident !== i.id && <IncidentLink id={p.origin.incident} />}
            </div>
            <div>
              Impact: {p.impact ? position(p.impact.position) : 'not located'}
              {p.impact?.incident && p.impact.incident !== i.id && <IncidentLink id={p.impact.incident} />}
            </div>
          </dd>
        </>
      )}
      <dt>Casualties</dt>
      <dd>{casualties(p.casualties)}</dd>
      <dt>Confidence</dt>
      <dd>
        {p.confidence ? `${words(p.confidence.level)}, ${p.confidence.independent_sources ?? '?'} independent source(s)` : '—'}
        {p.confidence?.score !== undefined && <span class="muted"> · score {p.confidence.score.toFixed(2)}</span>}
      </dd>
      <dt>Releasability</dt>
      <dd>{label(p.releasability)}</dd>
      <dt>Id</dt>
      <dd>
        <code>{i.id}</code> (version {p.version}
        {p.terms ? `, terms ${p.terms.id} version ${p.terms.version}` : ''})
      </dd>
    </dl>
  );
}

function capitalised(t: string): string {
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function IncidentLink({ id }: { id: string }) {
  return (
    <>
      {' '}
      <a href={incidentPath(id)} onClick={onLink(incidentPath(id))} class="small">
        (incident <code>{id}</code>)
      </a>
    </>
  );
}

export function zoneWords(z: string, terms: TermsVersion | null | undefined): string {
  if (z === 'buffer_zone') return 'buffer zone';
  if (z.startsWith('withdrawal:')) return `withdrawal zone of ${weaponName(terms, z.slice('withdrawal:'.length))}`;
  return words(z);
}

/**
 * EllipseSketch draws, to scale, the incident's 95 % ellipse and each
 * acoustic event's Cramér–Rao bound at its own position, with a scale bar
 * and north up.
 */
export function EllipseSketch({ i }: { i: Incident }) {
  const p = i.properties;
  const centre = p.location?.position;
  const main = p.location?.ellipse_95;
  if (!centre || !main) return null;
  const [lon0, lat0] = centre;
  const mx = 111320 * Math.cos((lat0 * Math.PI) / 180);
  const my = 110540;
  const items: { e: Ellipse; x: number; y: number; kind: 'fix' | 'crlb' | 'piece' }[] = [{ e: main, x: 0, y: 0, kind: 'fix' }];
  for (const ev of p.evidence ?? []) {
    const pos = ev.position;
    if (!pos) continue;
    const x = (pos[0] - lon0) * mx;
    const y = (pos[1] - lat0) * my;
    if (ev.crlb_95) items.push({ e: ev.crlb_95, x, y, kind: 'crlb' });
    else if (ev.ellipse_95) items.push({ e: ev.ellipse_95, x, y, kind: 'piece' });
  }
  // Everything within the sketch: the reach of each ellipse from the centre.
  const reach = Math.max(...items.map((it) => Math.hypot(it.x, it.y) + it.e.semi_major_m), 1);
  const size = 220;
  const r = size / 2 - 14;
  const k = r / reach;
  const bar = niceLength(reach / 2);
  const label = `To scale, north up: the incident's 95 % ellipse, ${ellipseWords(main)}${items.some((x) => x.kind === 'crlb') ? ', and the Cramér–Rao bound of each acoustic event, dashed' : ''}.`;
  return (
    <figure class="sketch">
      <svg viewBox={`0 0 ${size} ${size}`} width={size} height={size} role="img" aria-label={label}>
        <rect x="0" y="0" width={size} height={size} fill="#f7f9fc" stroke="#d5d9de" />
        <line x1={size / 2} y1="8" x2={size / 2} y2={size - 8} stroke="#e1e5ea" />
        <line x1="8" y1={size / 2} x2={size - 8} y2={size / 2} stroke="#e1e5ea" />
        {items.map((it, n) => (
          <ellipse
            key={n}
            cx={size / 2 + it.x * k}
            cy={size / 2 - it.y * k}
            rx={Math.max(it.e.semi_major_m * k, 0.8)}
            ry={Math.max(it.e.semi_minor_m * k, 0.8)}
            transform={`rotate(${it.e.azimuth_deg - 90} ${size / 2 + it.x * k} ${size / 2 - it.y * k})`}
            fill={it.kind === 'fix' ? 'rgba(213,94,0,0.18)' : 'none'}
            stroke={it.kind === 'fix' ? '#d55e00' : '#0072b2'}
            stroke-width={it.kind === 'fix' ? 2 : 1.2}
            stroke-dasharray={it.kind === 'fix' ? undefined : '4 3'}
          />
        ))}
        <circle cx={size / 2} cy={size / 2} r="2.5" fill="#111" />
        <g transform={`translate(${size - 18} 26)`} aria-hidden="true">
          <path d="M0 -14 L5 0 L0 -4 L-5 0 Z" fill="#333" />
          <text y="12" text-anchor="middle" font-size="10">
            N
          </text>
        </g>
        <g transform={`translate(10 ${size - 12})`} aria-hidden="true">
          <line x1="0" y1="0" x2={bar * k} y2="0" stroke="#333" stroke-width="2" />
          <line x1="0" y1="-4" x2="0" y2="4" stroke="#333" />
          <line x1={bar * k} y1="-4" x2={bar * k} y2="4" stroke="#333" />
          <text x={(bar * k) / 2} y="-6" text-anchor="middle" font-size="10">
            {metres(bar)}
          </text>
        </g>
      </svg>
      <figcaption class="muted">{label}</figcaption>
    </figure>
  );
}

function niceLength(x: number): number {
  const e = 10 ** Math.floor(Math.log10(x));
  for (const m of [5, 2, 1]) if (m * e <= x) return m * e;
  return e;
}

/** EvidenceList lists the pieces of evidence: observations, or acoustic events located from several detections. */
export function EvidenceList({ evidence, terms }: { evidence: Evidence[]; terms: TermsVersion | null | undefined }) {
  if (evidence.length === 0) return <Empty>No evidence is listed.</Empty>;
  return (
    <ul class="evidence">
      {evidence.map((e) => (
        <li key={e.id}>
          <code>{e.id}</code> {e.role ? words(e.role) : ''}
          {e.source ? ` · ${e.source}` : ''}
          {e.grading && (
            <>
              {' '}
              · <abbr title={grading(e.grading)}>{e.grading}</abbr>
            </>
          )}
          {e.time && <span class="muted"> · {utcSeconds(e.time)}</span>}
          {e.weapon_class && <span> · {weaponName(terms, e.weapon_class)}</span>}
          {e.ellipse_95 && <div class="muted">95 % ellipse {ellipseWords(e.ellipse_95)}</div>}
          {e.crlb_95 && <div class="muted">Cramér–Rao bound {ellipseWords(e.crlb_95)}</div>}
          {e.observations && e.observations.length > 0 && <div class="muted">from {e.observations.length} detection(s)</div>}
        </li>
      ))}
    </ul>
  );
}

/** observationWords says in a line what an observation reports. */
export function observationWords(o: Observation): string {
  const p = o.properties;
  switch (p.kind) {
    case 'acoustic':
      return `sensor ${p.acoustic?.sensor_id ?? p.source.id}${p.acoustic?.signal_class ? `, ${p.acoustic.signal_class}` : ''}${p.acoustic?.bearing_deg !== undefined ? `, bearing ${Math.round(p.acoustic.bearing_deg)}°` : ''}`;
    case 'report': {
      const r = p.report;
      const n = r?.count !== undefined ? ` ×${r.count_approximate ? '≥' : ''}${r.count}` : '';
      return `${words(r?.means)}: ${words(r?.event_type)}${n}${r?.text ? ` — ${r.text}` : ''}`;
    }
    case 'track':
      return `track ${p.track?.track_id ?? '?'}${p.track?.platform ? `, ${p.track.platform}` : ''}${p.track?.speed_mps !== undefined ? `, ${Math.round(p.track.speed_mps)} m/s` : ''}${p.track?.heading_deg !== undefined ? ` heading ${Math.round(p.track.heading_deg)}°` : ''}`;
    case 'imagery':
      return `${p.imagery?.equipment_type ?? 'equipment'}${p.imagery?.count !== undefined ? ` ×${p.imagery.count}` : ''}${p.imagery?.image_id ? ` (image ${p.imagery.image_id})` : ''}`;
    case 'osint':
      return p.osint?.claim ?? 'open source';
    default:
      return String(p.kind);
  }
}

const shownAtFirst = 40;

/** ObservationList lists the observations with their sources, gradings and log proofs. */
export function ObservationList({ observations, narrow = false }: { observations: Observation[]; narrow?: boolean }) {
  const [all, setAll] = useState(false);
  const [proofs, setProofs] = useState<Set<string>>(new Set());
  const toggleProof = (id: string) =>
    setProofs((cur) => {
      const s = new Set(cur);
      if (s.has(id)) s.delete(id);
      else s.add(id);
      return s;
    });
  if (observations.length === 0) return <Empty>No observation that you may see.</Empty>;
  const shown = all ? observations : observations.slice(0, shownAtFirst);
  const sorted = [...shown].sort((a, b) => a.properties.observed_at.localeCompare(b.properties.observed_at));
  return (
    <>
      {narrow ? (
        <ul class="observations">
          {sorted.map((o) => (
            <li key={o.id}>
              <div>
                <strong>{o.properties.kind}</strong> <code>{o.id}</code>
              </div>
              <div>
                {o.properties.source.id} ({words(o.properties.source.type)}), <abbr title={grading(o.properties.source.grading)}>{o.properties.source.grading}</abbr>
              </div>
              <div class="muted">
                {utcSeconds(o.properties.observed_at)} · ± {metres(o.properties.location_uncertainty_m)} · {label(o.properties.releasability)}
              </div>
              <div class="muted clamp">{observationWords(o)}</div>
              <LogProof record={observationRecord(o.id)} />
            </li>
          ))}
        </ul>
      ) : (
        <div class="table-scroll">
          <table class="data observations">
            <thead>
              <tr>
                <th>Observed</th>
                <th>Kind</th>
                <th>Source</th>
                <th>Grading</th>
                <th>What</th>
                <th>Position (± 1σ)</th>
                <th>Releasability</th>
                <th>Log</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((o) => (
                <Fragment key={o.id}>
                <tr>
                  <td class="num">
                    {utcSeconds(o.properties.observed_at)}
                    <div class="muted">
                      <code>{o.id}</code>
                    </div>
                  </td>
                  <td>{o.properties.kind}</td>
                  <td>
                    {o.properties.source.id}
                    <div class="muted">{words(o.properties.source.type)}</div>
                  </td>
                  <td>
                    <strong>{o.properties.source.grading}</strong>
                    <div class="muted wrap">{grading(o.properties.source.grading)}</div>
                  </td>
                  <td class="wrap">{observationWords(o)}</td>
                  <td class="num">
                    {position(o.geometry.coordinates)}
                    <div class="muted">± {metres(o.properties.location_uncertainty_m)}</div>
                  </td>
                  <td>{label(o.properties.releasability)}</td>
                  <td class="log-cell">
                    <button type="button" class="link small" aria-expanded={proofs.has(o.id)} onClick={() => toggleProof(o.id)}>
                      {proofs.has(o.id) ? 'Hide the proof' : 'Log proof'}
                    </button>
                  </td>
                </tr>
                {proofs.has(o.id) && (
                  <tr class="proof-row">
                    <td colSpan={8}>
                      <ProofPanel record={observationRecord(o.id)} />
                    </td>
                  </tr>
                )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {observations.length > shownAtFirst && (
        <button type="button" class="link" onClick={() => setAll(!all)}>
          {all ? `Show the first ${shownAtFirst}` : `Show all ${observations.length} observations`}
        </button>
      )}
    </>
  );
}

/** IncidentEvidence reads an incident's observations and lists them, with its evidence. */
export function IncidentEvidence({ id, narrow = false, delay = 0, only }: { id: string; narrow?: boolean; delay?: number; only?: string[] | undefined }) {
  const { detail, error, loading, reload } = useIncident(id, delay);
  const terms = useTerms();
  if (error !== undefined) return <ErrorNote error={error} what="The evidence could not be read" retry={() => void reload()} />;
  if (loading || !detail) return <Loading what="Reading the observations…" />;
  const all = detail.observations?.features ?? [];
  const keep = only ? new Set(only) : undefined;
  const obs = keep ? all.filter((o) => keep.has(o.id)) : all;
  return (
    <div class="incident-evidence">
      <h3>Evidence ({detail.properties.evidence?.length ?? 0})</h3>
      <EvidenceList evidence={detail.properties.evidence ?? []} terms={terms} />
      <h3>Observations ({obs.length})</h3>
      {keep && <p class="hint">This part of a split rests on {obs.length} of the incident's {all.length} observations: those are listed.</p>}
      <ObservationList observations={obs} narrow={narrow} />
    </div>
  );
}

/** The most candidates an incident's page reads: far more than rules find in one incident. */
const candidatePages = 5;

/**
 * useIncidentCandidates reads the candidate violations that rest on an
 * incident, those the rules withdrew included (GET
 * /api/v1/candidates?incident=ID&withdrawn=include), then keeps them up to date
 * from the candidate stream: a state changed by an analyst, a candidate
 * found, or one the rules withdrew, which stays listed as withdrawn.
 */
function useIncidentCandidates(id: string) {
  const [items, setItems] = useState<Candidate[]>();
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>();
  const pending = useRef<Candidate[]>([]);
  const current = useRef({ id, loaded: false });
  current.current.id = id;
  const load = useCallback(async () => {
    current.current.loaded = false;
    setError(undefined);
    try {
      const base = `/api/v1/candidates?incident=${encodeURIComponent(id)}&withdrawn=include&limit=1000`;
      const { features: all, more: left } = await readPages<Candidate>(base, candidatePages);
      if (current.current.id !== id) return;
      const seen = pending.current.filter((c) => c.properties.incident === id);
      pending.current = [];
      current.current.loaded = true;
      setItems(mergeByID(all, seen));
      setMore(left);
    } catch (e) {
      if (current.current.id === id) setError(e);
    }
  }, [id]);
  useEffect(() => {
    setItems(undefined);
    void load();
  }, [load]);
  const live = useLive('/api/v1/candidates/stream', {
    candidate: (data) => {
      const c = data as Candidate;
      if (!c || typeof c.id !== 'string' || !c.properties || c.properties.incident !== current.current.id) return;
      if (!current.current.loaded) pending.current.push(c);
      else setItems((cur) => mergeByID(cur ?? [], [c]));
    },
  });
  return { items, more, error, live, reload: load };
}

/** mergeByID adds or replaces candidates by id, and keeps the queue's order. */
function mergeByID(cur: Candidate[], add: Candidate[]): Candidate[] {
  if (add.length === 0) return [...cur].sort(byQueueOrder);
  const m = new Map(cur.map((c) => [c.id, c]));
  for (const c of add) m.set(c.id, c);
  return [...m.values()].sort(byQueueOrder);
}

/** IncidentCandidates lists the candidate violations that rest on an incident, each linked to its page. */
export function IncidentCandidates({ id }: { id: string }) {
  const { items, more, error, live, reload } = useIncidentCandidates(id);
  return (
    <section>
      <h2>Candidate violations{items ? ` (${items.length}${more ? '+' : ''})` : ''}</h2>
      <p class="hint no-print">
        Those the rules found in this incident, kept up to date as analysts act on them{' '}
        <span class={`live ${live}`} title="Updates from the server as they happen">
          {liveWords(live)}
        </span>
      </p>
      {error !== undefined ? (
        <ErrorNote error={error} what="The candidate violations could not be read" retry={() => void reload()} />
      ) : !items ? (
        <Loading what="Reading the candidate violations…" />
      ) : items.length === 0 ? (
        <Empty>No candidate violation rests on this incident.</Empty>
      ) : (
        <>
          <div class="table-scroll">
            <table class="data incident-candidates">
              <thead>
                <tr>
                  <th>Violation</th>
                  <th>Severity</th>
                  <th>State</th>
                  <th class="num">Time</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.id} class={c.properties.withdrawn ? 'closed' : undefined}>
                    <td>
                      <a href={candidatePath(c.id)} onClick={onLink(candidatePath(c.id))}>
                        {words(c.properties.violation_type)}
                      </a>
                      <div class="muted">
                        <code>{c.id}</code>
                      </div>
                      {c.properties.split_from && (
                        <div class="muted">
                          a part split from{' '}
                          <a href={candidatePath(c.properties.split_from)} onClick={onLink(candidatePath(c.properties.split_from))}>
                            <code>{c.properties.split_from}</code>
                          </a>
                        </div>
                      )}
                    </td>
                    <td>
                      <span class={`sev ${c.properties.severity}`}>{c.properties.severity}</span>
                    </td>
                    <td class="wrap">{statusWords(c.properties)}</td>
                    <td class="num">{utc(c.properties.time)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {more && <p class="hint">Only the first {items.length} are listed.</p>}
        </>
      )}
    </section>
  );
}

/** IncidentPage is an incident on a page of its own. */
export function IncidentPage({ id }: { id: string | null }) {
  const { detail, error, loading, reload } = useIncident(id ?? undefined);
  const terms = useTerms();
  useEffect(() => {
    document.title = `Incident ${id ?? ''} · guarantor`;
  }, [id]);
  if (!id) return <Empty>No incident is named: open one from the map or from a candidate.</Empty>;
  return (
    <div class="page">
      <div class="toolbar no-print">
        <button type="button" onClick={() => history.back()}>
          ← Back
        </button>
        {detail && !detail.properties.merged_into && (
          <button type="button" class="link" onClick={() => navigate(`/map?incident=${encodeURIComponent(id)}`)}>
            Show on the map
          </button>
        )}
      </div>
      {error !== undefined ? (
        <ErrorNote error={error} what="The incident could not be read" retry={isMissing(error) ? undefined : () => void reload()} />
      ) : loading || !detail ? (
        <Loading what="Reading the incident…" />
      ) : detail.properties.merged_into ? (
        <p>
          Incident <code>{id}</code> was merged into <IncidentLink id={detail.properties.merged_into} />.
        </p>
      ) : (
        <>
          <h1>Incident: {incidentTitle(detail)}</h1>
          <div class="two-columns">
            <section>
              <IncidentFacts i={detail} terms={terms} />
            </section>
            <section>
              <h2>Location</h2>
              <EllipseSketch i={detail} />
            </section>
          </div>
          <IncidentCandidates id={id} />
          <h2>Evidence ({detail.properties.evidence?.length ?? 0})</h2>
          <EvidenceList evidence={detail.properties.evidence ?? []} terms={terms} />
          <h2>Observations ({detail.observations?.features.length ?? 0})</h2>
          <p class="hint">Each observation is a record of the tamper-evident log: its proof shows that the bytes served are those logged, and verifies them in this browser.</p>
          <ObservationList observations={detail.observations?.features ?? []} />
        </>
      )}
    </div>
  );
}
