// The commitments dashboard: what the guarantors committed, allocated and
// delivered, by guarantor and by category, and month by month, in one
// measure at a time (a currency or a unit: figures are only ever added
// within one). Each chart has the table of its figures under it, and CSV
// downloads of the same answers. The secretariat loads the registry here too
// (a YAML document, or the commitments sheet as CSV) and records deliveries
// (RegistryForms.tsx).
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { get } from './api';
import { BarChart, BarLegend, type Line, LineChart, LineLegend } from './charts';
import { Empty, ErrorNote, Loading } from './components';
import { DeliveryForm, RegistryUpload } from './RegistryForms';
import { num } from './format';
import { can } from './roles';
import type { SeriesPoint, TotalsRow, User } from './types';

interface Totals {
  guarantor: TotalsRow[];
  category: TotalsRow[];
}

const analytics = '/api/v1/analytics/commitments';

function csvLink(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  q.set('format', 'csv');
  return `${path}?${q.toString()}`;
}

export function Commitments({ user }: { user: User }) {
  const [totals, setTotals] = useState<Totals>();
  const [error, setError] = useState<unknown>();
  const [measure, setMeasure] = useState<string>();
  const [series, setSeries] = useState<{ measure: string; points: SeriesPoint[] }>();
  const [seriesError, setSeriesError] = useState<unknown>();
  const [seriesKey, setSeriesKey] = useState('');
  const [changes, setChanges] = useState(0); // how many times the secretariat changed the registry here

  const load = useCallback(async () => {
    setError(undefined);
    try {
      const [g, c] = await Promise.all([get<{ rows: TotalsRow[] }>(`${analytics}?by=guarantor`), get<{ rows: TotalsRow[] }>(`${analytics}?by=category`)]);
      setTotals({ guarantor: g.rows ?? [], category: c.rows ?? [] });
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => void load(), [load]);
  const changed = useCallback(() => {
    setChanges((n) => n + 1);
    void load();
  }, [load]);

  // The measures present, those with the most commitments first.
  const measures = useMemo(() => {
    const n = new Map<string, number>();
    for (const r of totals?.guarantor ?? []) n.set(r.measure, (n.get(r.measure) ?? 0) + r.commitments);
    return [...n.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([m]) => m);
  }, [totals]);
  const chosen = measure && measures.includes(measure) ? measure : measures.includes('EUR') ? 'EUR' : measures[0];

  const loadSeries = useCallback(async (m: string) => {
    setSeriesError(undefined);
    try {
      const s = await get<{ points: SeriesPoint[] }>(`${analytics}/series?by=guarantor&measure=${encodeURIComponent(m)}`);
      setSeries({ measure: m, points: s.points ?? [] });
    } catch (e) {
      setSeriesError(e);
    }
  }, []);
  useEffect(() => {
    if (chosen) void loadSeries(chosen);
  }, [chosen, loadSeries, totals]);

  if (error !== undefined && !totals) return <ErrorNote error={error} what="The commitments could not be read" retry={() => void load()} />;
  if (!totals) return <Loading what="Reading the commitments…" />;

  const byGuarantor = totals.guarantor.filter((r) => r.measure === chosen);
  const byCategory = totals.category.filter((r) => r.measure === chosen);

  return (
    <div class="page dashboard">
      <h1>Commitments</h1>
      <p class="hint">
        What each guarantor committed, allocated and delivered, as the registry holds it. Figures are added only within one measure, a currency or a unit:
        choose it here.
      </p>
      {measures.length === 0 ? (
        <Empty>The registry holds no commitment yet.{can(user, 'manage_registry') ? ' Load some below.' : ''}</Empty>
      ) : (
        <>
          <div class="toolbar">
            <label class="inline">
              Measure{' '}
              <select value={chosen} onChange={(e) => setMeasure((e.target as HTMLSelectElement).value)}>
                {measures.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </label>
            <span class="muted">{measures.length} measures in the registry</span>
            <a href={csvLink(analytics, { by: 'guarantor' })} download>
              All measures by guarantor (CSV)
            </a>
            <a href={csvLink(analytics, { by: 'category' })} download>
              All measures by category (CSV)
            </a>
          </div>
          <div class="dash-grid">
            <TotalsSection id="by-guarantor" title={`By guarantor, in ${chosen}`} keyName="Guarantor" rows={byGuarantor} measure={chosen ?? ''} csv={csvLink(analytics, { by: 'guarantor', measure: chosen })} />
            <TotalsSection id="by-category" title={`By category, in ${chosen}`} keyName="Category" rows={byCategory} measure={chosen ?? ''} csv={csvLink(analytics, { by: 'category', measure: chosen })} />
          </div>
          <section class="chart-section">
            <h2>Over time, in {chosen}</h2>
            {seriesError !== undefined ? (
              <ErrorNote error={seriesError} what="The figures by month could not be read" retry={() => chosen && void loadSeries(chosen)} />
            ) : !series || series.measure !== chosen ? (
              <Loading what="Reading the figures by month…" />
            ) : (
              <SeriesView points={series.points} measure={chosen ?? ''} seriesKey={seriesKey} setSeriesKey={setSeriesKey} />
            )}
          </section>
        </>
      )}
      {can(user, 'manage_registry') && (
        <>
          <DeliveryForm reloadKey={changes} onRecorded={changed} />
          <RegistryUpload onLoaded={changed} />
        </>
      )}
    </div>
  );
}

function TotalsSection({ id, title, keyName, rows, measure, csv }: { id: string; title: string; keyName: string; rows: TotalsRow[]; measure: string; csv: string }) {
  const sum = (f: (r: TotalsRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  return (
    <section class="chart-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {rows.length === 0 ? (
        <Empty>No commitment in {measure}.</Empty>
      ) : (
        <>
          <BarChart id={id} rows={rows} measure={measure} title={`${title}: committed, allocated and delivered`} />
          <BarLegend />
          <div class="table-scroll">
            <table class="data figures">
              <caption class="sr-only">{title}: the figures of the chart</caption>
              <thead>
                <tr>
                  <th scope="col">{keyName}</th>
                  <th scope="col" class="num">
                    Commitments
                  </th>
                  <th scope="col" class="num">
                    Committed
                  </th>
                  <th scope="col" class="num">
                    Allocated
                  </th>
                  <th scope="col" class="num">
                    Delivered
                  </th>
                  <th scope="col" class="num">
                    Still owed
                  </th>
                  <th scope="col" class="num">
                    Delivered share
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.key}>
                    <th scope="row">
                      {r.name}
                      {r.name !== r.key && <span class="muted"> ({r.key})</span>}
                    </th>
                    <td class="num">{num(r.commitments)}</td>
                    <td class="num">{num(r.committed)}</td>
                    <td class="num">{num(r.allocated)}</td>
                    <td class="num">{num(r.delivered)}</td>
                    <td class="num">{num(r.gap)}</td>
                    <td class="num">{Math.round(r.delivered_share * 100)} %</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">All</th>
                  <td class="num">{num(sum((r) => r.commitments))}</td>
                  <td class="num">{num(sum((r) => r.committed))}</td>
                  <td class="num">{num(sum((r) => r.allocated))}</td>
                  <td class="num">{num(sum((r) => r.delivered))}</td>
                  <td class="num">{num(sum((r) => r.gap))}</td>
                  <td class="num">{sum((r) => r.committed) > 0 ? Math.round((100 * sum((r) => r.delivered)) / sum((r) => r.committed)) : 0} %</td>
                </tr>
              </tfoot>
            </table>
          </div>
          <p>
            <a href={csv} download>
              Download these figures (CSV)
            </a>
          </p>
        </>
      )}
    </section>
  );
}

function SeriesView({ points, measure, seriesKey, setSeriesKey }: { points: SeriesPoint[]; measure: string; seriesKey: string; setSeriesKey: (k: string) => void }) {
  const keys = useMemo(() => {
    const m = new Map<string, string>();
    for (const p of points) m.set(p.key, p.name);
    return [...m.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  }, [points]);
  const key = keys.some(([k]) => k === seriesKey) ? seriesKey : '';
  const { months, committed, delivered } = useMemo(() => {
    const byMonth = new Map<string, { c: number; d: number }>();
    for (const p of points) {
      if (key && p.key !== key) continue;
      const cur = byMonth.get(p.month) ?? { c: 0, d: 0 };
      cur.c += p.committed;
      cur.d += p.delivered;
      byMonth.set(p.month, cur);
    }
    const months = [...byMonth.keys()].sort();
    return { months, committed: months.map((m) => byMonth.get(m)?.c ?? 0), delivered: months.map((m) => byMonth.get(m)?.d ?? 0) };
  }, [points, key]);
  const who = key ? (keys.find(([k]) => k === key)?.[1] ?? key) : 'all guarantors';
  if (months.length === 0) return <Empty>No dated commitment in {measure}.</Empty>;
  const lines: Line[] = [
    { name: 'committed', colour: '#0b4f8a', values: committed },
    { name: 'delivered', colour: '#d55e00', dash: '7 4', values: delivered },
  ];
  return (
    <>
      <div class="toolbar">
        <label class="inline">
          Of{' '}
          <select value={key} onChange={(e) => setSeriesKey((e.target as HTMLSelectElement).value)}>
            <option value="">all guarantors</option>
            {keys.map(([k, name]) => (
              <option key={k} value={k}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <a href={csvLink(`${analytics}/series`, { by: 'guarantor', measure, guarantor: key || undefined })} download>
          Download the months (CSV)
        </a>
      </div>
      <LineChart id="series" months={months} lines={lines} measure={measure} title={`Committed and delivered in ${measure} by ${who}, cumulative at the end of each month`} />
      <LineLegend lines={lines} />
      <details class="figures-table">
        <summary>
          The figures of the chart, month by month ({months.length} months)
        </summary>
        <div class="table-scroll">
          <table class="data figures">
            <thead>
              <tr>
                <th scope="col">Month</th>
                <th scope="col" class="num">
                  Committed
                </th>
                <th scope="col" class="num">
                  Delivered
                </th>
                <th scope="col" class="num">
                  Still owed
                </th>
              </tr>
            </thead>
            <tbody>
              {months.map((m, i) => (
                <tr key={m}>
                  <th scope="row">{m}</th>
                  <td class="num">{num(committed[i])}</td>
                  <td class="num">{num(delivered[i])}</td>
                  <td class="num">{num((committed[i] ?? 0) - (delivered[i] ?? 0))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
