// Charts drawn as inline SVG: a bar chart of committed, allocated and
// delivered, and a line chart over months. Each is an image with a title
// and a description for screen readers; the view puts a table with the same
// figures under it.
import { compact, num } from './format';

/** niceTicks gives round tick values from 0 to at least max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const e = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * e).find((s) => s >= raw) ?? 10 * e;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export const barColours = { committed: '#c6d4e6', allocated: '#56b4e9', delivered: '#0b4f8a' };

export interface BarRow {
  key: string;
  name: string;
  committed: number;
  allocated: number;
  delivered: number;
}

/**
 * BarChart draws one row a key: committed as a wide pale bar, allocated as
 * a narrower one inside it, delivered as the narrowest and darkest, so that
 * the gap between delivered and committed is what stands out.
 */
export function BarChart({ rows, measure, title, id }: { rows: BarRow[]; measure: string; title: string; id: string }) {
  const W = 760;
  const left = 190;
  const right = 96;
  const top = 26;
  const rowH = 26;
  const H = top + rows.length * rowH + 8;
  const max = Math.max(...rows.map((r) => Math.max(r.committed, r.allocated, r.delivered)), 0);
  const ticks = niceTicks(max);
  const end = ticks[ticks.length - 1] ?? 1;
  const x = (v: number) => left + ((W - left - right) * v) / end;
  const total = rows.reduce((s, r) => s + r.committed, 0);
  const delivered = rows.reduce((s, r) => s + r.delivered, 0);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-labelledby={`${id}-t ${id}-d`} preserveAspectRatio="xMinYMin meet">
      <title id={`${id}-t`}>{title}</title>
      <desc id={`${id}-d`}>
        {rows.length} rows in {measure}: {num(total)} committed in all, {num(delivered)} delivered. The table below the chart gives every figure.
      </desc>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x(t)} y1={top - 4} x2={x(t)} y2={H - 8} stroke="#e3e7ec" />
          <text x={x(t)} y={top - 10} text-anchor="middle" class="tick">
            {compact(t)}
          </text>
        </g>
      ))}
      {rows.map((r, i) => {
        const y = top + i * rowH;
        const share = r.committed > 0 ? Math.round((100 * r.delivered) / r.committed) : 0;
        return (
          <g key={`${r.key}-${i}`}>
            <title>{`${r.name}: committed ${num(r.committed)}, allocated ${num(r.allocated)}, delivered ${num(r.delivered)} ${measure}`}</title>
            <text x={left - 8} y={y + rowH / 2 + 4} text-anchor="end" class="label">
              {r.name.length > 26 ? `${r.name.slice(0, 25)}…` : r.name}
            </text>
            <rect x={left} y={y + 3} width={Math.max(x(r.committed) - left, 0)} height={rowH - 6} fill={barColours.committed} />
            <rect x={left} y={y + 7} width={Math.max(x(r.allocated) - left, 0)} height={rowH - 14} fill={barColours.allocated} />
            <rect x={left} y={y + 10} width={Math.max(x(r.delivered) - left, 0)} height={rowH - 20} fill={barColours.delivered} />
            <text x={x(Math.max(r.committed, r.allocated, r.delivered)) + 6} y={y + rowH / 2 + 4} class="value">
              {share} %
            </text>
          </g>
        );
      })}
      <line x1={left} y1={top - 4} x2={left} y2={H - 8} stroke="#8a939e" />
    </svg>
  );
}

export function BarLegend() {
  return (
    <ul class="legend inline" aria-hidden="true">
      <li>
        <span class="bar-swatch" style={{ background: barColours.committed }} /> committed
      </li>
      <li>
        <span class="bar-swatch" style={{ background: barColours.allocated }} /> allocated
      </li>
      <li>
        <span class="bar-swatch thin" style={{ background: barColours.delivered }} /> delivered
      </li>
      <li>% : share of the commitment delivered</li>
    </ul>
  );
}

export interface Line {
  name: string;
  colour: string;
  dash?: string;
  values: number[];
}

/** LineChart draws lines over months (labels YYYY-MM), from zero. */
export function LineChart({ months, lines, title, id, measure }: { months: string[]; lines: Line[]; title: string; id: string; measure: string }) {
  const W = 760;
  const H = 300;
  const m = { left: 70, right: 24, top: 16, bottom: 40 };
  const max = Math.max(...lines.flatMap((l) => l.values), 0);
  const ticks = niceTicks(max);
  const end = ticks[ticks.length - 1] ?? 1;
  const n = Math.max(months.length - 1, 1);
  const x = (i: number) => m.left + ((W - m.left - m.right) * i) / n;
  const y = (v: number) => H - m.bottom - ((H - m.top - m.bottom) * v) / end;
  const every = Math.max(1, Math.ceil(months.length / 12));
  const last = months.length - 1;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-labelledby={`${id}-t ${id}-d`}>
      <title id={`${id}-t`}>{title}</title>
      <desc id={`${id}-d`}>
        {months.length} months from {months[0]} to {months[last]}, in {measure}:{' '}
        {lines.map((l) => `${l.name} from ${num(l.values[0] ?? 0)} to ${num(l.values[last] ?? 0)}`).join('; ')}. The table below the chart gives every figure.
      </desc>
      {ticks.map((t) => (
        <g key={t}>
          <line x1={m.left} y1={y(t)} x2={W - m.right} y2={y(t)} stroke="#e3e7ec" />
          <text x={m.left - 8} y={y(t) + 4} text-anchor="end" class="tick">
            {compact(t)}
          </text>
        </g>
      ))}
      {months.map((mo, i) =>
        i === last || (i % every === 0 && last - i >= every / 2) ? (
          <g key={mo}>
            <line x1={x(i)} y1={H - m.bottom} x2={x(i)} y2={H - m.bottom + 5} stroke="#8a939e" />
            <text x={x(i)} y={H - m.bottom + 18} text-anchor={i === last && months.length > 1 ? 'end' : i === 0 ? 'start' : 'middle'} class="tick">
              {mo}
            </text>
          </g>
        ) : null,
      )}
      <line x1={m.left} y1={H - m.bottom} x2={W - m.right} y2={H - m.bottom} stroke="#8a939e" />
      {lines.map((l) => (
        <g key={l.name}>
          <path
            d={l.values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`).join(' ')}
            fill="none"
            stroke={l.colour}
            stroke-width="2.5"
            stroke-dasharray={l.dash}
          />
          {months.length <= 60 &&
            l.values.map((v, i) => (
              <circle key={i} cx={x(i)} cy={y(v)} r="2.5" fill={l.colour}>
                <title>{`${l.name}, end of ${months[i]}: ${num(v)} ${measure}`}</title>
              </circle>
            ))}
        </g>
      ))}
    </svg>
  );
}

export function LineLegend({ lines }: { lines: Line[] }) {
  return (
    <ul class="legend inline" aria-hidden="true">
      {lines.map((l) => (
        <li key={l.name}>
          <svg width="28" height="10">
            <line x1="0" y1="5" x2="28" y2="5" stroke={l.colour} stroke-width="2.5" stroke-dasharray={l.dash} />
          </svg>{' '}
          {l.name}
        </li>
      ))}
    </ul>
  );
}
