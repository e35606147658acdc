// The daily report (docs/verification.md, "The daily report"), drawn here
// from its JSON: the summary, the violations by type, region and party with
// their verification state and the change from the day before, weapons in
// violation of withdrawal lines, notable incidents, restrictions of access,
// the day's incidents and a map of the day. It prints on clean pages (the
// print style sheet in style.css); the API's own HTML page and the public
// version open in a new tab.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get } from './api';
import { stateWords } from './CandidateDetail';
import { ErrorNote, Loading } from './components';
import { duration, isoDay, label, num, signed, utc, words } from './format';
import { isMissing } from './IncidentDetail';
import { candidatePath, navigate, onLink, useRoute } from './router';
import type { DailyReport, Incident, Page, ReportFigure, ReportMarkers, ReportViolation, User } from './types';

const dayMs = 86_400_000;

/** defaultDay is yesterday, or the day of the newest incident when that is earlier: the last day with data. */
async function defaultDay(): Promise<string> {
  const yesterday = isoDay(Date.now() - dayMs);
  try {
    const page = await get<Page<Incident>>('/api/v1/incidents?limit=1');
    const start = page.features[0]?.properties.start;
    if (start) {
      const d = start.slice(0, 10);
      if (/^\d{4}-\d{2}-\d{2}$/.test(d) && d < yesterday) return d;
    }
  } catch {
    // no incident to go by: yesterday
  }
  return yesterday;
}

function reportPath(date: string, pub: boolean, format?: 'html'): string {
  return `/api/v1/reports/daily?date=${date}${pub ? '&public=true' : ''}${format ? `&format=${format}` : ''}`;
}

function longDate(d: string): string {
  const t = new Date(`${d}T00:00:00Z`);
  return Number.isNaN(t.getTime()) ? d : t.toLocaleDateString('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

export function Report(_: { user: User }) {
  const route = useRoute();
  const date = route.params.get('date') ?? '';
  const pub = route.params.get('public') === 'true';
  const [report, setReport] = useState<DailyReport>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);

  const go = (d: string, p = pub) => navigate(`/report?date=${d}${p ? '&public=true' : ''}`, !date);

  useEffect(() => {
    if (date) return;
    let live = true;
    void defaultDay().then((d) => live && navigate(`/report?date=${d}${pub ? '&public=true' : ''}`, true));
    return () => {
      live = false;
    };
  }, [date, pub]);

  const load = useCallback(async () => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return;
    setLoading(true);
    setError(undefined);
    try {
      setReport(await get<DailyReport>(reportPath(date, pub)));
    } catch (e) {
      setReport(undefined);
      setError(
        e instanceof ApiError && e.status === 404
          ? new ApiError(404, `There is no report for ${longDate(date)}: no terms of a ceasefire were in force by the end of that day. Choose a later day.`)
          : e,
      );
    } finally {
      setLoading(false);
    }
  }, [date, pub]);
  useEffect(() => void load(), [load]);

  const shift = (days: number) => {
    const t = new Date(`${date}T00:00:00Z`).getTime();
    if (!Number.isNaN(t)) go(isoDay(t + days * dayMs));
  };

  return (
    <div class="page report-page">
      <div class="toolbar no-print report-tools">
        <label class="inline">
          Day{' '}
          <input
            type="date"
            value={date}
            max={isoDay(Date.now())}
            onChange={(e) => {
              const v = (e.target as HTMLInputElement).value;
              if (v) go(v);
            }}
          />
        </label>
        <button type="button" onClick={() => shift(-1)} disabled={!date} aria-label="The day before">
          ← Day before
        </button>
        <button type="button" onClick={() => shift(1)} disabled={!date || date >= isoDay(Date.now())} aria-label="The day after">
          Day after →
        </button>
        <label class="inline">
          <input type="checkbox" checked={pub} onChange={(e) => go(date, (e.target as HTMLInputElement).checked)} /> Public version
        </label>
        <button type="button" class="primary" onClick={() => print()} disabled={!report}>
          Print…
        </button>
        {date && (
          <>
            <a href={reportPath(date, false, 'html')} target="_blank" rel="noopener">
              HTML version
            </a>
            <a href={reportPath(date, true, 'html')} target="_blank" rel="noopener">
              Public version (HTML)
            </a>
          </>
        )}
      </div>
      {!date ? (
        <Loading what="Finding the last day with data…" />
      ) : error !== undefined ? (
        <ErrorNote error={error} what="No report" retry={isMissing(error) ? undefined : () => void load()} />
      ) : !report || loading ? (
        <Loading what={`Reading the report of ${longDate(date)}…`} />
      ) : (
        <ReportBody r={report} />
      )}
    </div>
  );
}

function Marking({ r }: { r: DailyReport }) {
  return <p class={`marking ${r.label.classification === 'PUBLIC' ? 'public' : ''}`}>{label(r.label)}</p>;
}

function ReportBody({ r }: { r: DailyReport }) {
  const v = r.violations;
  return (
    <article class="report">
      <Marking r={r} />
      <header class="report-head">
        <h1>Daily report: {longDate(r.date)}</h1>
        <p class="muted">
          From {utc(r.from)} to {utc(r.to)}
          {r.terms_title && (
            <>
              {' '}
              · under <em>{r.terms_title}</em>, version {r.terms_version}
              {r.terms_illustrative ? ' (illustrative)' : ''}
            </>
          )}{' '}
          · made {utc(r.generated)}
        </p>
        {r.public ? (
          <p class="notice">The public version: it counts, lists and draws only records released to the public.</p>
        ) : (
          r.restricted && <p class="notice">This report draws on records that are not public: it is marked with the most restrictive of their labels.</p>
        )}
      </header>

      <section class="report-section">
        <h2>Summary</h2>
        <p class="summary">{r.summary}</p>
        <div class="key-figures">
          <Figure n={v.total} what="ceasefire violations" change={v.change} />
          <Figure n={v.verified} what="verified" />
          <Figure n={v.unverified} what="awaiting verification" />
          <Figure n={r.restrictions.total} what="restrictions of access" change={r.restrictions.change} />
          <Figure n={r.incidents.total} what="incidents" change={r.incidents.change} />
        </div>
        <p class="muted">
          The day's candidates by state: {r.states.map((s) => `${stateWords[s.state] ?? words(s.state)} ${num(s.count)}`).join(', ')}.
          {r.rejected !== undefined && ` ${num(r.rejected)} rejected that day, in no figure.`}
        </p>
      </section>

      <section class="report-section">
        <h2>Ceasefire violations</h2>
        <FigureTable caption="By type" keyName="Type" rows={r.by_type} total={v} />
        <FigureTable caption="By region" keyName="Region" rows={r.by_region} total={v} />
        <FigureTable caption="By party" keyName="Party" rows={r.by_party} total={v} />
      </section>

      <section class="report-section">
        <h2>Weapons in violation of withdrawal lines</h2>
        {r.weapons.list.length === 0 && r.weapons.by_class.every((x) => x.total === 0) ? (
          <p>None was seen.</p>
        ) : (
          <>
            <FigureTable caption="By weapon class" keyName="Class" rows={r.weapons.by_class} />
            <ViolationTable caption={`Each weapon seen (${r.weapons.list.length})`} rows={r.weapons.list} weapons />
          </>
        )}
      </section>

      <section class="report-section">
        <h2>Notable incidents</h2>
        <p class="hint no-print">Each time opens the candidate violation, with its evidence.</p>
        {r.notable.length === 0 ? <p>No major or serious violation.</p> : <ViolationTable caption="Major and serious violations, major first, verified before unverified" rows={r.notable} />}
      </section>

      <section class="report-section">
        <h2>Restrictions of access</h2>
        {r.restrictions.total === 0 && r.restrictions.previous === 0 ? (
          <p>The monitors' access was not restricted.</p>
        ) : (
          <>
            <table class="data report-table">
              <caption>By party</caption>
              <thead>
                <tr>
                  <th scope="col">Party</th>
                  <th scope="col" class="num">
                    Denied
                  </th>
                  <th scope="col" class="num">
                    Delayed
                  </th>
                  <th scope="col" class="num">
                    Total
                  </th>
                  <th scope="col" class="num">
                    Previous day
                  </th>
                  <th scope="col" class="num">
                    Change
                  </th>
                </tr>
              </thead>
              <tbody>
                {r.restrictions.by_party.map((x) => (
                  <tr key={x.code}>
                    <th scope="row">{x.name}</th>
                    <td class="num">{num(x.denied)}</td>
                    <td class="num">{num(x.delayed)}</td>
                    <td class="num">{num(x.total)}</td>
                    <td class="num">{num(x.previous)}</td>
                    <td class="num">{signed(x.change)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">All</th>
                  <td class="num">{num(r.restrictions.denied)}</td>
                  <td class="num">{num(r.restrictions.delayed)}</td>
                  <td class="num">{num(r.restrictions.total)}</td>
                  <td class="num">{num(r.restrictions.previous)}</td>
                  <td class="num">{signed(r.restrictions.change)}</td>
                </tr>
              </tfoot>
            </table>
            {r.restrictions.list.length > 0 && (
              <table class="data report-table">
                <caption>Each restriction</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Party</th>
                    <th scope="col">Checkpoint</th>
                    <th scope="col">Outcome</th>
                    <th scope="col" class="num">
                      Patrol
                    </th>
                    <th scope="col">Reason given</th>
                    <th scope="col">Region</th>
                  </tr>
                </thead>
                <tbody>
                  {r.restrictions.list.map((x) => (
                    <tr key={x.id}>
                      <td class="num">{utc(x.time)}</td>
                      <td>{x.party_name}</td>
                      <td>{x.checkpoint ?? '—'}</td>
                      <td>{x.denied ? `denied${x.delay_s > 0 ? ` after ${duration(x.delay_s * 1000)}` : ''}` : `delayed ${duration(x.delay_s * 1000)}`}</td>
                      <td class="num">{x.patrol_size}</td>
                      <td class="wrap">{x.reason ?? '—'}</td>
                      <td>{x.region_name}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </section>

      <section class="report-section">
        <h2>Incidents</h2>
        <table class="data report-table">
          <caption>The day's incidents by class</caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col" class="num">
                Incidents
              </th>
              <th scope="col" class="num">
                Previous day
              </th>
              <th scope="col" class="num">
                Change
              </th>
            </tr>
          </thead>
          <tbody>
            {r.incidents.by_class.map((x) => (
              <tr key={x.class}>
                <th scope="row">{words(x.class)}</th>
                <td class="num">{num(x.total)}</td>
                <td class="num">{num(x.previous)}</td>
                <td class="num">{signed(x.change)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">All</th>
              <td class="num">{num(r.incidents.total)}</td>
              <td class="num">{num(r.incidents.previous)}</td>
              <td class="num">{signed(r.incidents.change)}</td>
            </tr>
          </tfoot>
        </table>
      </section>

      {r.map && (
        <section class="report-section map-section">
          <h2>Map of the day</h2>
          <DayMap m={r.map} />
        </section>
      )}
      <Marking r={r} />
    </article>
  );
}

function Figure({ n, what, change }: { n: number; what: string; change?: number }) {
  return (
    <div class="key-figure">
      <strong>{num(n)}</strong> {what}
      {change !== undefined && <span class="muted"> ({signed(change)} from the day before)</span>}
    </div>
  );
}

function FigureTable({ caption, keyName, rows, total }: { caption: string; keyName: string; rows: ReportFigure[]; total?: ReportFigure }) {
  if (rows.length === 0) return null;
  return (
    <table class="data report-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{keyName}</th>
          <th scope="col" class="num">
            Verified
          </th>
          <th scope="col" class="num">
            Not yet verified
          </th>
          <th scope="col" class="num">
            Total
          </th>
          <th scope="col" class="num">
            Previous day
          </th>
          <th scope="col" class="num">
            Change
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((x, i) => (
          <tr key={x.code ?? i}>
            <th scope="row">{x.name ?? x.code ?? '—'}</th>
            <td class="num">{num(x.verified)}</td>
            <td class="num">{num(x.unverified)}</td>
            <td class="num">{num(x.total)}</td>
            <td class="num">{num(x.previous)}</td>
            <td class="num">{signed(x.change)}</td>
          </tr>
        ))}
      </tbody>
      {total && rows.length > 1 && (
        <tfoot>
          <tr>
            <th scope="row">All</th>
            <td class="num">{num(total.verified)}</td>
            <td class="num">{num(total.unverified)}</td>
            <td class="num">{num(total.total)}</td>
            <td class="num">{num(total.previous)}</td>
            <td class="num">{signed(total.change)}</td>
          </tr>
        </tfoot>
      )}
    </table>
  );
}

function ViolationTable({ caption, rows, weapons = false }: { caption: string; rows: ReportViolation[]; weapons?: boolean }) {
  return (
    <table class="data report-table violations">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">{weapons ? 'Weapon class' : 'Violation'}</th>
          <th scope="col">Party</th>
          {weapons ? (
            <>
              <th scope="col" class="num">
                From the line
              </th>
              <th scope="col" class="num">
                Withdrawal distance
              </th>
            </>
          ) : (
            <th scope="col">Severity</th>
          )}
          <th scope="col">State</th>
          <th scope="col">Region</th>
          {!weapons && <th scope="col">What</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((x) => (
          <tr key={x.id}>
            <td class="num">
              <a href={candidatePath(x.id)} onClick={onLink(candidatePath(x.id))} title="The candidate violation">
                {utc(x.time)}
              </a>
            </td>
            <td class="wrap">{weapons ? (x.weapon_name ?? x.weapon_class) : x.type_name}</td>
            <td>{x.party_name}</td>
            {weapons ? (
              <>
                <td class="num">{x.distance_km !== undefined ? `${x.distance_km.toFixed(1)} km` : '—'}</td>
                <td class="num">{x.withdrawal_km !== undefined ? `${num(x.withdrawal_km)} km` : '—'}</td>
              </>
            ) : (
              <td>
                <span class={`sev ${x.severity}`}>{x.severity}</span>
              </td>
            )}
            <td>{stateWords[x.state] ?? x.state}</td>
            <td>{x.region_name}</td>
            {!weapons && <td class="wrap">{x.reason}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const markerColours: Record<string, string> = {
  fire_across_line: '#d55e00',
  fire_same_side: '#e69f00',
  fire_unresolved: '#cc79a7',
  weapon_in_withdrawal_zone: '#0072b2',
  presence_in_buffer_zone: '#009e73',
  airspace_crossing: '#56b4e9',
};

/** DayMap draws the day's map from the report's own data: the contact line, the regions, the violations and the restrictions. */
function DayMap({ m }: { m: NonNullable<DailyReport['map']> }) {
  const [w0, s0, e0, n0] = m.bbox;
  const k = Math.cos((((s0 + n0) / 2) * Math.PI) / 180);
  const W = 760;
  const spanX = (e0 - w0) * k || 1;
  const spanY = n0 - s0 || 1;
  const H = Math.min(620, Math.max(240, (W * spanY) / spanX));
  const scale = Math.min((W - 20) / spanX, (H - 20) / spanY);
  const ox = (W - spanX * scale) / 2;
  const oy = (H - spanY * scale) / 2;
  const px = (lon: number) => ox + (lon - w0) * k * scale;
  const py = (lat: number) => H - oy - (lat - s0) * scale;
  const path = (line: [number, number][]) => line.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)} ${py(p[1]).toFixed(1)}`).join(' ');
  const viol = m.violations?.markers ?? [];
  const kinds = [...new Set(viol.map((x) => x.kind))];
  const radius = (mk: ReportMarkers, count: number) => (mk.aggregated ? Math.min(3 + Math.sqrt(count) * 1.6, 14) : 3.5);
  return (
    <figure class="day-map">
      <svg viewBox={`0 0 ${W} ${H.toFixed(0)}`} width="100%" role="img" aria-label={`Map of the day: the contact line, ${viol.reduce((s, x) => s + x.count, 0)} violations and ${m.restrictions?.markers.length ?? 0} restrictions of access, drawn from the figures in the tables above.`}>
        <rect x="0" y="0" width={W} height={H} fill="#f3f0e8" />
        {(m.regions ?? []).map((g, i) => (
          <path key={i} d={(g.polygon ?? []).map((ring) => `${path(ring)} Z`).join(' ')} fill="rgba(29,53,87,0.06)" stroke="#9aa7b8" stroke-dasharray="3 3" />
        ))}
        {m.violations &&
          viol.map((x, i) => (
            <circle key={i} cx={px(x.lon)} cy={py(x.lat)} r={radius(m.violations!, x.count)} fill={markerColours[x.kind] ?? '#7a7a7a'} fill-opacity="0.6" stroke="#fff" stroke-width="0.6">
              <title>{`${words(x.kind)}: ${x.count}`}</title>
            </circle>
          ))}
        {m.contact_lines.map((l, i) => (
          <g key={i}>
            <path d={path(l)} fill="none" stroke="#fff" stroke-width="4" stroke-opacity="0.8" />
            <path d={path(l)} fill="none" stroke="#1d3557" stroke-width="2" />
          </g>
        ))}
        {(m.restrictions?.markers ?? []).map((x, i) => (
          <rect key={i} x={px(x.lon) - 5} y={py(x.lat) - 5} width="10" height="10" fill="#fff" stroke="#111" stroke-width="2">
            <title>{`restriction of access (${x.kind})`}</title>
          </rect>
        ))}
      </svg>
      <figcaption>
        <ul class="legend inline">
          <li>
            <span class="line-swatch contact" /> contact line
          </li>
          {kinds.map((kd) => (
            <li key={kd}>
              <span class="swatch" style={{ background: markerColours[kd] ?? '#7a7a7a' }} /> {words(kd)}
            </li>
          ))}
          {(m.restrictions?.markers.length ?? 0) > 0 && (
            <li>
              <span class="square-swatch" /> restriction of access
            </li>
          )}
        </ul>
        {m.violations?.aggregated && <p class="muted">Violations are counted on a grid: the larger a dot, the more violations there.</p>}
      </figcaption>
    </figure>
  );
}

