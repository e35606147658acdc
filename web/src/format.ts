// Formatting of times, durations, distances and codes for people to read.
// Times are shown in UTC, as the mission's records are kept.
import type { Casualties, Label } from './types';

/** utc writes a time as "YYYY-MM-DD HH:MM UTC"; what is not a time, as it came. */
export function utc(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** utcSeconds writes a time to the second, as "YYYY-MM-DD HH:MM:SS UTC". */
export function utcSeconds(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** duration writes a length of time, largest units first: "2 d 3 h", "4 h 05 min", "12 min 30 s". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${pad(m)} min`;
  if (m > 0) return `${m} min ${pad(sec)} s`;
  return `${sec} s`;
}

/** countdown writes a countdown to the second: "23:59:07", or "1 d 02:03:04". */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const d = Math.floor(s / 86400);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return d > 0 ? `${d} d ${hms}` : hms;
}

/** age is how long ago a time was, at now (milliseconds), as duration writes it. */
export function age(iso: string, now: number): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '—';
  return duration(now - t);
}

/** metres writes a distance in metres, or kilometres from 1 km: "850 m", "1.5 km", "140 km". */
export function metres(m: number | undefined): string {
  if (m === undefined || m === null || Number.isNaN(m)) return '—';
  const a = Math.abs(m);
  if (a >= 10000) return `${(m / 1000).toFixed(0)} km`;
  if (a >= 1000) return `${(m / 1000).toFixed(1)} km`;
  return `${Math.round(m)} m`;
}

/** percent writes a fraction as a whole percentage: 0.5 → "50 %". */
export function percent(p: number | undefined): string {
  if (p === undefined || p === null) return '—';
  return `${Math.round(p * 100)} %`;
}

/** words turns a code of the API into words: fire_across_line → "fire across line". */
export function words(code: string | undefined | null): string {
  if (!code) return '—';
  return code.replace(/[_:]/g, ' ');
}

/** label writes a releasability label: "SECRET REL TO FRA, GBR". */
export function label(l: Label | undefined): string {
  if (!l) return '—';
  return l.rel_to && l.rel_to.length > 0 ? `${l.classification} REL TO ${l.rel_to.join(', ')}` : l.classification;
}

/** casualties writes the casualties reported: "2 killed, 3 wounded (civilians)". */
export function casualties(c: Casualties | undefined): string {
  if (!c) return 'none reported';
  const parts: string[] = [];
  if (c.killed !== undefined) parts.push(`${c.killed} killed`);
  if (c.wounded !== undefined) parts.push(`${c.wounded} wounded`);
  return `${parts.join(', ') || 'reported'}${c.civilian ? ' (civilians)' : ''}`;
}

/** party names a party by its code, or says that none could be named. */
export function party(code: string | null | undefined): string {
  return code ? `Party ${code}` : 'not attributable';
}

const reliability: Record<string, string> = {
  A: 'completely reliable',
  B: 'usually reliable',
  C: 'fairly reliable',
  D: 'not usually reliable',
  E: 'unreliable',
  F: 'reliability cannot be judged',
};
const credibility: Record<string, string> = {
  '1': 'confirmed',
  '2': 'probably true',
  '3': 'possibly true',
  '4': 'doubtful',
  '5': 'improbable',
  '6': 'truth cannot be judged',
};

/** grading says an Admiralty grading in words: "B2" → "usually reliable source, information probably true". */
export function grading(code: string | undefined): string {
  if (!code) return '—';
  const r = reliability[code.charAt(0)];
  const c = credibility[code.slice(1)];
  return r && c ? `${r} source, information ${c}` : code;
}

/** position writes [lon, lat] as degrees north and east. */
export function position(p: [number, number] | number[] | undefined): string {
  if (!p || p.length < 2) return '—';
  const [lon = 0, lat = 0] = p;
  return `${Math.abs(lat).toFixed(4)}° ${lat >= 0 ? 'N' : 'S'}, ${Math.abs(lon).toFixed(4)}° ${lon >= 0 ? 'E' : 'W'}`;
}

const whole = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const precise = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });

/** num writes a figure with thousands separators: 1,500,000. */
export function num(n: number | undefined): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  return Number.isInteger(n) ? whole.format(n) : precise.format(n);
}

/** signed writes a change with its sign: +3, −2, 0. */
export function signed(n: number): string {
  return n > 0 ? `+${num(n)}` : n < 0 ? `−${num(-n)}` : '0';
}

/** compact writes a large figure shortly, for a chart's axis: 1.5 bn, 250 M, 12 k. */
export function compact(n: number): string {
  const a = Math.abs(n);
  const f = (x: number) => (Math.abs(x) >= 100 || Number.isInteger(x) ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, ''));
  if (a >= 1e12) return `${f(n / 1e12)} tn`;
  if (a >= 1e9) return `${f(n / 1e9)} bn`;
  if (a >= 1e6) return `${f(n / 1e6)} M`;
  if (a >= 1e4) return `${f(n / 1e3)} k`;
  return num(n);
}

/** isoDay is a day as YYYY-MM-DD, in UTC. */
export function isoDay(t: number | Date): string {
  return new Date(t).toISOString().slice(0, 10);
}
