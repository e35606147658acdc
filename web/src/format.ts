// Formatting of times, durations, distances and codes for people to read.
// Times are shown in UTC, as the mission's records are kept.
import type { Casualties, Label } from './types';

export function utc(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

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

export function age(iso: string, now: number): string {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '—';
  return duration(now - t);
}

export function metres(m: number | undefined): string {
  if (m === undefined || m === null || Number.isNaN(m)) return '—';
  const a = Math.abs(m);
  if (a >= 10000) return `${(m / 1000).toFixed(0)} km`;
  if (a >= 1000) return `${(m / 1000).toFixed(1)} km`;
  return `${Math.round(m)} m`;
}

export function percent(p: number | undefined): string {
  if (p === undefined || p === null) return '—';
  return `${Math.round(p * 100)} %`;
}

/** words turns a code of the API into words: fire_across_line → "fire across line". */
export function words(code: string | undefined | null): string {
  if (!code) return '—';
  return code.replace(/[_:]/g, ' ');
}

export function label(l: Label | undefined): string {
  if (!l) return '—';
  return l.rel_to && l.rel_to.length > 0 ? `${l.classification} REL TO ${l.rel_to.join(', ')}` : l.classification;
}

export function casualties(c: Casualties | undefined): string {
  if (!c) return 'none reported';
  const parts: string[] = [];
  if (c.killed !== undefined) parts.push(`${c.killed} killed`);
  if (c.wounded !== undefined) parts.push(`${c.wounded} wounded`);
  return `${parts.join(', ') || 'reported'}${c.civilian ? ' (civilians)' : ''}`;
}

export function party(code: string | null | undefined): string {
  return code ? `Party ${code}` : 'not attributable';
}
