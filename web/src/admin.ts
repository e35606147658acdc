// The logic of the administration view (Admin.tsx), kept apart to be tested:
// who sees which section, the checks a webhook and a sensor pass before they
// are sent (the server's own, internal/server/webhooks.go and
// internal/observe CheckSensor, restated), and a delivery attempt in words.
import { utcSeconds } from './format';
import { can } from './roles';
import type { Label, User } from './types';

/** The event types a webhook may ask for (internal/notify Types), in the order of the workflow. */
export const eventTypes = [
  'activation.proposed',
  'activation.determined',
  'obligation.created',
  'obligation.deadline_approaching',
  'obligation.escalated',
  'obligation.updated',
] as const;

export interface AdminSections {
  /** the view is offered in the navigation */
  nav: boolean;
  /** the webhooks, their delivery logs, adding and disabling them */
  webhooks: boolean;
  /** the sensor registry, read */
  sensors: boolean;
  /** the form that registers a sensor */
  addSensor: boolean;
}

/** adminSections says what of the administration view a user sees. */
export function adminSections(user: User | undefined): AdminSections {
  const webhooks = can(user, 'manage_webhooks');
  const addSensor = can(user, 'manage_sensors');
  return { nav: webhooks || addSensor, webhooks, sensors: can(user, 'read_records'), addSensor };
}

// ---- Webhooks

/** Webhook is a webhook as the API answers: never its secret. */
export interface Webhook {
  id: number;
  url: string;
  events: string[];
  disabled: boolean;
}

export interface WebhookRequest {
  url: string;
  secret: string;
  events: string[];
}

/** byteLength is the length of a string in UTF-8 bytes, as the server counts it. */
export function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** checkWebhook says what is wrong with a webhook before it is sent, one sentence a problem. */
export function checkWebhook(w: WebhookRequest): string[] {
  const problems: string[] = [];
  const url = w.url.trim();
  let ok = /^https?:\/\//i.test(url);
  if (ok) {
    try {
      ok = new URL(url).host !== '';
    } catch {
      ok = false;
    }
  }
  if (!url) problems.push('URL: required, the https address the receiver listens on.');
  else if (!ok) problems.push(`URL: "${url}" is not an http or https URL.`);
  if (byteLength(w.secret) < 16) problems.push('Secret: at least 16 characters, shared with the receiver, which checks the signature.');
  for (const e of w.events) if (!(eventTypes as readonly string[]).includes(e)) problems.push(`Events: unknown event type "${e}".`);
  return problems;
}

/** plainHttp says whether a URL sends deliveries unencrypted. */
export function plainHttp(url: string): boolean {
  return /^http:\/\//i.test(url.trim());
}

/** newSecret makes a random secret: 32 bytes, in hex. */
export function newSecret(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** eventsWords writes what a webhook subscribes to: none listed means every event. */
export function eventsWords(events: string[]): string {
  return events.length === 0 ? 'every event' : events.join(', ');
}

/** Attempt is one attempt to deliver an event to a webhook (GET /api/v1/webhooks/{id}/deliveries). */
export interface Attempt {
  delivery: string;
  event: string;
  event_type: string;
  attempt: number;
  at: string;
  status: number;
  error?: string;
  duration_s: number;
  delivered: boolean;
  gave_up: boolean;
}

/** The sender's retry schedule (internal/notify): 1 s, 2 s, 4 s, … up to an hour, each moved by up to ±20 %. */
const baseDelayMs = 1000;
const maxDelayMs = 3_600_000;

/** backoffMs is the delay, before jitter, between failed attempt n (from 1) and the next. */
export function backoffMs(n: number): number {
  const k = Math.max(1, Math.floor(n)) - 1;
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(k, 32));
}

/** statusWords writes the answer an attempt had: its HTTP status, or that there was none. */
export function statusWords(a: Attempt): string {
  return a.status > 0 ? String(a.status) : 'no answer';
}

/**
 * outcome says what became of an attempt. latest says whether it is the
 * newest attempt of its delivery in the log: only then does a failure mean a
 * retry is still to come, due about backoffMs after it.
 */
export function outcome(a: Attempt, latest: boolean): string {
  if (a.delivered) return 'delivered';
  if (a.gave_up) return `failed; given up after attempt ${a.attempt}`;
  if (!latest) return 'failed; retried';
  const t = Date.parse(a.at);
  if (Number.isNaN(t)) return 'failed; to be retried';
  return `failed; next attempt about ${utcSeconds(new Date(t + backoffMs(a.attempt)).toISOString())} (±20 %)`;
}

/** eventSubject is what an event is about: its id without the type it begins with ("act-1:USA" of "obligation.created:act-1:USA"). */
export function eventSubject(a: Attempt): string {
  const prefix = `${a.event_type}:`;
  return a.event.startsWith(prefix) ? a.event.slice(prefix.length) : a.event;
}

/** latestOfDelivery marks, in a log listed newest first, each delivery's newest attempt. */
export function latestOfDelivery(log: Attempt[]): boolean[] {
  const seen = new Set<string>();
  return log.map((a) => {
    if (seen.has(a.delivery)) return false;
    seen.add(a.delivery);
    return true;
  });
}

// ---- Sensors

/** Sensor is a registered sensor (docs/api.md, "Sensors"). */
export interface Sensor {
  id: string;
  type: string;
  position: [number, number];
  altitude_m: number;
  position_uncertainty_m: number;
  clock: { source: string; uncertainty_s: number };
  releasability: Label;
}

/** SensorsResult is the answer to POST /api/v1/sensors. */
export interface SensorsResult {
  accepted: number;
  rejected: number;
  errors: { index: number; id?: string; field: string; reason: string }[];
}

/** isSensorsResult says whether an answer's body (a refusal's included) is a SensorsResult. */
export function isSensorsResult(v: unknown): v is SensorsResult {
  return typeof v === 'object' && v !== null && Array.isArray((v as { errors?: unknown }).errors);
}

export const sensorTypes = ['acoustic', 'radar', 'camera'];
export const clockSources = ['gnss', 'ntp', 'free'];
/** The default scheme's levels, offered as suggestions; a deployment's own scheme may differ, and the server decides. */
export const defaultLevels = ['PUBLIC', 'UNCLASSIFIED', 'RESTRICTED', 'CONFIDENTIAL', 'SECRET'];

/** SensorForm is the sensor form's fields, as typed. */
export interface SensorForm {
  id: string;
  type: string;
  lon: string;
  lat: string;
  altitude: string;
  uncertainty: string;
  clockSource: string;
  clockUncertainty: string;
  classification: string;
  relTo: string;
}

export const emptySensorForm: SensorForm = {
  id: '',
  type: 'acoustic',
  lon: '',
  lat: '',
  altitude: '',
  uncertainty: '',
  clockSource: 'gnss',
  clockUncertainty: '',
  classification: 'PUBLIC',
  relTo: '',
};

/** number reads a field: undefined when blank, NaN when not a number. */
function number(s: string): number | undefined {
  const t = s.trim();
  if (!t) return undefined;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : NaN;
}

/** checkSensor turns the form into the sensor it registers, or says what is wrong with it. */
export function checkSensor(f: SensorForm): { sensor?: Sensor; problems: string[] } {
  const problems: string[] = [];
  const id = f.id.trim();
  if (!id) problems.push("Id: required, the sensor's id.");
  else if (byteLength(id) > 200) problems.push('Id: at most 200 bytes.');
  else if (/[\u0000-\u001f\u007f]/.test(id)) problems.push('Id: printable characters only.');
  if (!sensorTypes.includes(f.type)) problems.push(`Type: one of ${sensorTypes.join(', ')}.`);

  const inRange = (name: string, v: number | undefined, lo: number, hi: number, unit: string, required: boolean): number => {
    if (v === undefined) {
      if (required) problems.push(`${name}: required.`);
      return 0;
    }
    if (Number.isNaN(v)) problems.push(`${name}: not a number.`);
    else if (v < lo || v > hi) problems.push(`${name}: from ${lo} to ${hi.toLocaleString('en-GB')}${unit}.`);
    return v;
  };
  const lon = inRange('Longitude', number(f.lon), -180, 180, '°', true);
  const lat = inRange('Latitude', number(f.lat), -90, 90, '°', true);
  const altitude = inRange('Altitude', number(f.altitude), -500, 10_000, ' m', false);
  const uncertainty = inRange('Position uncertainty', number(f.uncertainty), 0, 10_000, ' m', false);
  if (!clockSources.includes(f.clockSource)) problems.push(`Clock: one of ${clockSources.join(', ')}.`);
  const clockUncertainty = inRange('Clock uncertainty', number(f.clockUncertainty), 0, 60, ' s', false);

  const classification = f.classification.trim().toUpperCase();
  const relTo = f.relTo
    .split(/[\s,;]+/)
    .filter((n) => n)
    .map((n) => n.toUpperCase());
  if (!classification) problems.push('Classification: required.');
  for (const n of relTo) if (!/^[A-Z]{3}$/.test(n)) problems.push(`Released to: "${n}" is not an ISO 3166-1 alpha-3 code (three letters).`);
  const twice = relTo.filter((n, i) => relTo.indexOf(n) !== i);
  if (twice.length > 0) problems.push(`Released to: ${[...new Set(twice)].join(', ')} listed twice.`);
  // The default scheme's rules; a deployment's own levels are left to the server.
  if (classification === 'PUBLIC' && relTo.length > 0) problems.push('Released to: a PUBLIC sensor is released to everyone; leave the nations empty.');
  if (defaultLevels.includes(classification) && classification !== 'PUBLIC' && relTo.length === 0)
    problems.push(`Released to: a ${classification} sensor must name at least one nation.`);

  if (problems.length > 0) return { problems };
  const releasability: Label = relTo.length > 0 ? { classification, rel_to: relTo } : { classification };
  return {
    sensor: {
      id,
      type: f.type,
      position: [lon, lat],
      altitude_m: altitude,
      position_uncertainty_m: uncertainty,
      clock: { source: f.clockSource, uncertainty_s: clockUncertainty },
      releasability,
    },
    problems,
  };
}

/** refusedWords writes the server's reasons for refusing sensors: "position: latitude 95 is outside WGS84". */
export function refusedWords(r: SensorsResult): string {
  return r.errors.map((e) => (e.field ? `${e.field}: ${e.reason}` : e.reason)).join('; ');
}
