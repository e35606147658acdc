// The pure part of keeping the registry from the browser: which request an
// upload is, what the server's answer says in words, and the checks of the
// delivery form (docs/registry-formats.md; POST /api/v1/registry and
// POST /api/v1/commitments/{id}/deliveries in internal/server/guarantees.go).
import type { Commitment, Delivery } from './types';

/**
 * UploadKind is what POST /api/v1/registry takes: a registry document
 * (YAML, or JSON, which YAML reads as it is) or the commitments sheet as
 * CSV. The other sheets (guarantors, instruments, deliveries) are not taken
 * by the API: the command line imports them.
 */
export type UploadKind = 'registry' | 'commitments';

export const registryPath = '/api/v1/registry';

export interface UploadRequest {
  path: string;
  contentType: string;
  body: string;
}

/**
 * uploadRequest builds the request for a file of a kind, or says in a
 * sentence why there is nothing to send. A registry document named *.json is
 * sent as JSON, anything else as YAML; the server reads both alike.
 */
export function uploadRequest(kind: UploadKind, text: string, fileName?: string): UploadRequest | string {
  if (!text.trim()) return kind === 'registry' ? 'Choose a YAML or JSON file, or paste the registry, first.' : 'Choose a CSV file, or paste the sheet, first.';
  if (kind === 'commitments') return { path: registryPath, contentType: 'text/csv', body: text };
  const json = fileName ? /\.json$/i.test(fileName) : /^\s*[{[]/.test(text);
  return { path: registryPath, contentType: json ? 'application/json' : 'application/yaml', body: text };
}

/** Loaded is the answer of POST /api/v1/registry: how many records of each kind replaced or joined the stored ones. */
export interface Loaded {
  guarantors?: number;
  instruments?: number;
  commitments?: number;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** list joins words as a sentence does: "a", "a and b", "a, b and c". */
function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** describeLoaded says what an upload changed: "Loaded 3 guarantors and 2 instruments from registry.yaml." */
export function describeLoaded(out: Loaded, fileName?: string): string {
  const parts: string[] = [];
  if (out.guarantors) parts.push(count(out.guarantors, 'guarantor', 'guarantors'));
  if (out.instruments) parts.push(count(out.instruments, 'instrument', 'instruments'));
  if (out.commitments) parts.push(count(out.commitments, 'commitment', 'commitments'));
  const from = fileName ? ` from ${fileName}` : '';
  if (parts.length === 0) return `The file${from ? ` ${fileName}` : ''} held no record: nothing changed.`;
  return `Loaded ${list(parts)}${from}: each replaces the record with the same code or id, or is added.`;
}

/** Problem is one thing the server refused, split into where it is (a field, or a line and column) and what is wrong. */
export interface Problem {
  where?: string;
  what: string;
}

/** Refusal is a refused answer in words: a heading and the problems one by one. */
export interface Refusal {
  heading: string;
  problems: Problem[];
}

// A place as the server names it: a field path ("commitments[2].allocated",
// "instruments[0].clauses[1].condition") or a place in a CSV sheet ("line 3,
// column 13 (committed)", "line 4").
const place = /^((?:line \d+(?:, column \d+)?(?: \([^)]*\))?)|(?:[a-z_]+(?:\[\d+\])*(?:\.[a-z_]+(?:\[\d+\])*)*)): (.+)$/s;

// What the server puts before the problems and that tells a person nothing.
const noise = /^(request body|reading commitments): /i;

function problem(line: string): Problem {
  const m = place.exec(line);
  return m ? { where: m[1] ?? '', what: m[2] ?? '' } : { what: line };
}

/**
 * refusal splits the server's refusal (the error of a 4xx answer, as the API
 * client words it) into its problems. The server writes one problem alone,
 * or "N problems:" and then one problem a line, each behind a tab.
 */
export function refusal(msg: string, outcome = 'nothing was loaded'): Refusal {
  const [first = '', ...rest] = msg.replace(/\r\n/g, '\n').split('\n');
  const more = rest.map((l) => l.trim()).filter((l) => l !== '');
  const head = first.trim().replace(noise, '');
  if (more.length === 0) {
    const p = problem(head.replace(/^./, (c) => c.toLowerCase()));
    // One problem alone: the message is the problem, unless it names no place.
    if (p.where) return { heading: `Refused, ${outcome}:`, problems: [p] };
    return { heading: capitalise(head), problems: [] };
  }
  const heading = `${capitalise(head.replace(/:$/, ''))}, ${outcome}:`;
  return { heading, problems: more.map(problem) };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** DeliveryForm is what the delivery form holds, as typed. */
export interface DeliveryFields {
  commitment: string;
  date: string;
  amount: string;
  note: string;
}

/** DeliveryBody is the body of POST /api/v1/commitments/{id}/deliveries. */
export interface DeliveryBody {
  /** id is the form's own id for this delivery: sent again after a lost answer, the server records it once. */
  id?: string;
  date: string;
  amount: number;
  note?: string;
}

export type FieldProblems = Partial<Record<keyof DeliveryFields, string>>;

/** isDay says whether s is a day of the calendar written YYYY-MM-DD, as the server reads dates. */
export function isDay(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(2000, mo, 0)).getUTCDate(); // the month's days in a leap year
  if (d > days) return false;
  return !(mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)));
}

/**
 * checkDelivery checks the form as the server will (a commitment, a date
 * YYYY-MM-DD, an amount more than 0 written with a decimal point and no
 * thousands separators) and returns either the body to send or a problem
 * for each field that is wrong.
 */
export function checkDelivery(f: DeliveryFields): { body: DeliveryBody; commitment: string } | { problems: FieldProblems } {
  const problems: FieldProblems = {};
  const commitment = f.commitment.trim();
  if (!commitment) problems.commitment = 'Choose the commitment the delivery is for.';
  const date = f.date.trim();
  if (!date) problems.date = 'Give the day it was delivered: every delivery is dated.';
  else if (!isDay(date)) problems.date = `Write the day as YYYY-MM-DD, such as 2026-03-15 (not "${date}").`;
  const amount = f.amount.trim();
  if (!amount) problems.amount = 'Give the amount delivered.';
  else if (/^\d{1,3}([,' \u00a0\u202f]\d{3})+(\.\d+)?$/.test(amount)) problems.amount = `Write the amount without thousands separators, such as ${amount.replace(/[,' \u00a0\u202f]/g, '')}.`;
  else if (/^\d+,\d+$/.test(amount)) problems.amount = `Write the decimals with a point, such as ${amount.replace(',', '.')}.`;
  else if (!/^(\d+(\.\d*)?|\.\d+)$/.test(amount)) problems.amount = `Write the amount as a number such as 1500 or 2.5 (not "${amount}").`;
  else if (!(Number(amount) > 0)) problems.amount = 'The amount must be more than 0.';
  else if (!Number.isFinite(Number(amount))) problems.amount = 'The amount is too large.';
  if (Object.keys(problems).length > 0) return { problems };
  const body: DeliveryBody = { date, amount: Number(amount) };
  const note = f.note.trim();
  if (note) body.note = note;
  return { body, commitment };
}

/** measure is what a commitment's figures are counted in: its currency if it has one, else its unit (guarantee.Commitment.Measure). */
export function measure(c: Pick<Commitment, 'currency' | 'unit'>): string {
  return c.currency || c.unit || '';
}

/**
 * sameDelivery finds a delivery already recorded on the same day with the
 * same amount. The API has no client id for deliveries, so a repeat is
 * recorded twice: the form asks before sending one that looks like a repeat.
 */
export function sameDelivery(recorded: Delivery[] | undefined, body: DeliveryBody): Delivery | undefined {
  return recorded?.find((d) => d.date === body.date && d.amount === body.amount);
}

/**
 * forDelivery names a refused delivery's problems in the form's words: the
 * server checks the commitment within the whole registry, so that its fields
 * read "commitments[12].deliveries[3].amount" for the amount typed.
 */
export function forDelivery(r: Refusal): Refusal {
  return {
    ...r,
    problems: r.problems.map((p) => {
      const m = p.where ? /^commitments\[\d+\]\.deliveries(?:\[\d+\](?:\.([a-z_]+))?)?$/.exec(p.where) : null;
      if (!m) return p;
      return { ...p, where: m[1] ? `the delivery’s ${m[1]}` : 'the commitment’s deliveries' };
    }),
  };
}

/**
 * newDeliveryId returns a fresh id for a delivery sent from this browser, of
 * the form the server takes (letters, digits and '-'). It uses
 * crypto.getRandomValues, which browsers offer on plain HTTP too.
 */
export function newDeliveryId(random: (a: Uint8Array<ArrayBuffer>) => Uint8Array = (a) => crypto.getRandomValues(a)): string {
  const b = random(new Uint8Array(12));
  return `web-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}
