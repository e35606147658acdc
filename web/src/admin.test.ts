// The administration view's logic (admin.ts): who sees which section, the
// checks a webhook and a sensor pass before they are sent (the server's own
// rules: internal/server/webhooks.go, internal/observe CheckSensor), and a
// delivery attempt in words.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Attempt,
  adminSections,
  backoffMs,
  byteLength,
  checkSensor,
  checkWebhook,
  emptySensorForm,
  eventsWords,
  eventSubject,
  latestOfDelivery,
  newSecret,
  outcome,
  plainHttp,
  isSensorsResult,
  refusedWords,
  type SensorForm,
  statusWords,
} from './admin';
import type { Role, User } from './types';

const zone = process.env['TZ'];
beforeAll(() => {
  process.env['TZ'] = 'America/St_Johns'; // times must come out in UTC whatever the zone
});
afterAll(() => {
  if (zone === undefined) delete process.env['TZ'];
  else process.env['TZ'] = zone;
});

const user = (roles: Role[]): User => ({ name: 'u', nation: 'FRA', clearance: 'SECRET', roles });

describe('adminSections', () => {
  test.each([
    { roles: ['admin'], nav: true, webhooks: true, sensors: true, addSensor: true },
    { roles: ['analyst'], nav: false, webhooks: false, sensors: true, addSensor: false },
    { roles: ['liaison'], nav: false, webhooks: false, sensors: true, addSensor: false },
    { roles: ['authority'], nav: false, webhooks: false, sensors: true, addSensor: false },
    { roles: ['secretariat'], nav: false, webhooks: false, sensors: true, addSensor: false },
    { roles: ['viewer'], nav: false, webhooks: false, sensors: true, addSensor: false },
    { roles: ['ingest'], nav: false, webhooks: false, sensors: false, addSensor: false },
    { roles: ['ingest', 'admin'], nav: true, webhooks: true, sensors: true, addSensor: true },
    { roles: ['analyst', 'secretariat'], nav: false, webhooks: false, sensors: true, addSensor: false },
    { roles: [], nav: false, webhooks: false, sensors: false, addSensor: false },
  ] as { roles: Role[]; nav: boolean; webhooks: boolean; sensors: boolean; addSensor: boolean }[])('$roles', ({ roles, ...want }) => {
    expect(adminSections(user(roles))).toEqual(want);
  });

  test('nobody signed in sees nothing', () => {
    expect(adminSections(undefined)).toEqual({ nav: false, webhooks: false, sensors: false, addSensor: false });
  });
});

describe('checkWebhook', () => {
  const secret = '0123456789abcdef';
  test.each([
    { name: 'https', url: 'https://receiver.example/hook', secret, events: [], want: [] },
    { name: 'http, accepted by the server', url: 'http://10.0.0.5:8080/hook', secret, events: [], want: [] },
    { name: 'an upper-case scheme', url: 'HTTPS://receiver.example', secret, events: ['obligation.escalated'], want: [] },
    { name: 'surrounding spaces', url: '  https://receiver.example  ', secret, events: [], want: [] },
    { name: 'no URL', url: '', secret, events: [], want: ['URL: required'] },
    { name: 'another scheme', url: 'ftp://receiver.example', secret, events: [], want: ['is not an http or https URL'] },
    { name: 'no host', url: 'https://', secret, events: [], want: ['is not an http or https URL'] },
    { name: 'no slashes', url: 'https:receiver.example', secret, events: [], want: ['is not an http or https URL'] },
    { name: 'a bare host', url: 'receiver.example', secret, events: [], want: ['is not an http or https URL'] },
    { name: 'a short secret', url: 'https://r.example', secret: '0123456789abcde', events: [], want: ['Secret: at least 16'] },
    // The server counts bytes: eight two-byte letters are 16.
    { name: 'a secret of 16 bytes in 8 letters', url: 'https://r.example', secret: 'éééééééé', events: [], want: [] },
    { name: 'an unknown event', url: 'https://r.example', secret, events: ['activation.confirmed'], want: ['unknown event type "activation.confirmed"'] },
    { name: 'everything wrong', url: 'mailto:x', secret: '', events: ['x'], want: ['not an http or https URL', 'Secret', 'unknown event type "x"'] },
  ])('$name', ({ url, secret, events, want }) => {
    const got = checkWebhook({ url, secret, events });
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect(got[i]).toContain(w));
  });
});

test.each([
  { url: 'http://x', want: true },
  { url: ' HTTP://x', want: true },
  { url: 'https://x', want: false },
  { url: '', want: false },
])('plainHttp($url) is $want', ({ url, want }) => {
  expect(plainHttp(url)).toBe(want);
});

test('newSecret is 32 random bytes in hex, long enough for the server, and new each time', () => {
  const a = newSecret();
  expect(a).toMatch(/^[0-9a-f]{64}$/);
  expect(byteLength(a)).toBeGreaterThanOrEqual(16);
  expect(newSecret()).not.toBe(a);
});

test.each([
  { events: [], want: 'every event' },
  { events: ['activation.proposed'], want: 'activation.proposed' },
  { events: ['activation.proposed', 'obligation.updated'], want: 'activation.proposed, obligation.updated' },
])('eventsWords($events)', ({ events, want }) => {
  expect(eventsWords(events)).toBe(want);
});

describe('delivery attempts', () => {
  const attempt = (o: Partial<Attempt>): Attempt => ({
    delivery: 'ev-1:3',
    event: 'ev-1',
    event_type: 'obligation.created',
    attempt: 1,
    at: '2026-11-21T03:14:00.000Z',
    status: 0,
    duration_s: 0.1,
    delivered: false,
    gave_up: false,
    ...o,
  });

  test.each([
    { n: 1, s: 1 },
    { n: 2, s: 2 },
    { n: 3, s: 4 },
    { n: 10, s: 512 },
    { n: 12, s: 2048 },
    { n: 13, s: 3600 }, // capped at an hour
    { n: 1000, s: 3600 },
    { n: 0, s: 1 }, // counted as the first
  ])('after failed attempt $n the next waits about $s s', ({ n, s }) => {
    expect(backoffMs(n)).toBe(s * 1000);
  });

  test.each([
    { a: { status: 200 }, want: '200' },
    { a: { status: 503 }, want: '503' },
    { a: { status: 0 }, want: 'no answer' },
  ])('status $a.status is "$want"', ({ a, want }) => {
    expect(statusWords(attempt(a))).toBe(want);
  });

  test.each([
    { name: 'delivered', a: { status: 204, delivered: true }, latest: true, want: 'delivered' },
    { name: 'given up', a: { status: 500, gave_up: true, attempt: 10 }, latest: true, want: 'failed; given up after attempt 10' },
    { name: 'disabled meanwhile', a: { gave_up: true, error: 'webhook disabled' }, latest: true, want: 'failed; given up after attempt 1' },
    { name: 'an older failure', a: { status: 502 }, latest: false, want: 'failed; retried' },
    { name: 'the first failure', a: { status: 502, attempt: 1 }, latest: true, want: 'failed; next attempt about 2026-11-21 03:14:01 UTC (±20 %)' },
    { name: 'the fourth failure', a: { attempt: 4 }, latest: true, want: 'failed; next attempt about 2026-11-21 03:14:08 UTC (±20 %)' },
    { name: 'the twelfth', a: { attempt: 12, at: '2026-11-21T23:30:00Z' }, latest: true, want: 'failed; next attempt about 2026-11-22 00:04:08 UTC (±20 %)' },
    { name: 'a time not read', a: { at: 'soon' }, latest: true, want: 'failed; to be retried' },
  ])('$name: "$want"', ({ a, latest, want }) => {
    expect(outcome(attempt(a), latest)).toBe(want);
  });

  test.each([
    { event: 'obligation.created:act-1:USA', type: 'obligation.created', want: 'act-1:USA' },
    { event: 'activation.proposed:act-2', type: 'activation.proposed', want: 'act-2' },
    { event: 'activation.proposed:act-2', type: 'activation.determined', want: 'activation.proposed:act-2' },
    { event: 'ev-9', type: 'obligation.updated', want: 'ev-9' },
  ])('the subject of $event is $want', ({ event, type, want }) => {
    expect(eventSubject(attempt({ event, event_type: type }))).toBe(want);
  });

  test.each([
    { deliveries: [], want: [] },
    { deliveries: ['a'], want: [true] },
    { deliveries: ['a', 'a', 'a'], want: [true, false, false] },
    { deliveries: ['a', 'b', 'a', 'c', 'b'], want: [true, true, false, true, false] },
  ])('the newest attempt of each delivery in $deliveries', ({ deliveries, want }) => {
    expect(latestOfDelivery(deliveries.map((d) => attempt({ delivery: d })))).toEqual(want);
  });
});

describe('checkSensor', () => {
  const ok: SensorForm = {
    ...emptySensorForm,
    id: 'AS-017',
    lon: '37.7021',
    lat: '48.0544',
    altitude: '180',
    uncertainty: '3',
    clockUncertainty: '0.000001',
  };

  test('a valid form is the sensor of docs/api.md', () => {
    expect(checkSensor(ok)).toEqual({
      sensor: {
        id: 'AS-017',
        type: 'acoustic',
        position: [37.7021, 48.0544],
        altitude_m: 180,
        position_uncertainty_m: 3,
        clock: { source: 'gnss', uncertainty_s: 0.000001 },
        releasability: { classification: 'PUBLIC' },
      },
      problems: [],
    });
  });

  test.each([
    { name: 'blank optional figures are 0', f: { altitude: '', uncertainty: ' ', clockUncertainty: '' }, want: { altitude_m: 0, position_uncertainty_m: 0 } },
    { name: 'a label with nations, in lower case and spaces', f: { classification: 'restricted', relTo: 'fra, gbr ukr' }, want: { releasability: { classification: 'RESTRICTED', rel_to: ['FRA', 'GBR', 'UKR'] } } },
    { name: "a deployment's own level, left to the server", f: { classification: 'OPEN' }, want: { releasability: { classification: 'OPEN' } } },
    { name: 'the edges of the ranges', f: { lon: '-180', lat: '90', altitude: '-500', uncertainty: '10000' }, want: { position: [-180, 90], altitude_m: -500, position_uncertainty_m: 10000 } },
    { name: 'an exponent', f: { clockUncertainty: '1e-6' }, want: { clock: { source: 'gnss', uncertainty_s: 0.000001 } } },
  ])('$name', ({ f, want }) => {
    const r = checkSensor({ ...ok, ...f });
    expect(r.problems).toEqual([]);
    expect(r.sensor).toMatchObject(want);
  });

  test.each([
    { name: 'no id', f: { id: '  ' }, want: ['Id: required'] },
    { name: 'a long id', f: { id: 'x'.repeat(201) }, want: ['Id: at most 200 bytes'] },
    { name: 'a control character', f: { id: 'AS\t17' }, want: ['Id: printable'] },
    { name: 'an unknown type', f: { type: 'sonar' }, want: ['Type: one of acoustic, radar, camera'] },
    { name: 'no position', f: { lon: '', lat: '' }, want: ['Longitude: required', 'Latitude: required'] },
    { name: 'a latitude outside WGS84', f: { lat: '95' }, want: ['Latitude: from -90 to 90°'] },
    { name: 'a comma for a point', f: { lon: '37,7' }, want: ['Longitude: not a number'] },
    { name: 'not a number', f: { altitude: 'high' }, want: ['Altitude: not a number'] },
    { name: 'too high', f: { altitude: '10001' }, want: ['Altitude: from -500 to 10,000 m'] },
    { name: 'a negative uncertainty', f: { uncertainty: '-1' }, want: ['Position uncertainty: from 0'] },
    { name: 'a clock a minute out and more', f: { clockUncertainty: '61' }, want: ['Clock uncertainty: from 0 to 60 s'] },
    { name: 'an unknown clock', f: { clockSource: 'atomic' }, want: ['Clock: one of gnss, ntp, free'] },
    { name: 'no classification', f: { classification: '' }, want: ['Classification: required'] },
    { name: 'PUBLIC with nations', f: { relTo: 'FRA' }, want: ['a PUBLIC sensor is released to everyone'] },
    { name: 'RESTRICTED without nations', f: { classification: 'RESTRICTED' }, want: ['a RESTRICTED sensor must name at least one nation'] },
    { name: 'a nation code too long', f: { classification: 'SECRET', relTo: 'FRA, FRAN' }, want: ['"FRAN" is not an ISO 3166-1 alpha-3 code'] },
    { name: 'a nation twice', f: { classification: 'SECRET', relTo: 'FRA GBR fra' }, want: ['FRA listed twice'] },
  ])('$name is refused', ({ f, want }) => {
    const r = checkSensor({ ...ok, ...f });
    expect(r.sensor).toBeUndefined();
    expect(r.problems).toHaveLength(want.length);
    want.forEach((w, i) => expect(r.problems[i]).toContain(w));
  });
});

test.each([
  { errors: [], want: '' },
  { errors: [{ index: 0, id: 'AS-1', field: 'position', reason: 'latitude 95 is outside WGS84 (-90 to 90)' }], want: 'position: latitude 95 is outside WGS84 (-90 to 90)' },
  {
    errors: [
      { index: 0, field: '', reason: 'not an object' },
      { index: 1, field: 'releasability.classification', reason: 'unknown classification "X"' },
    ],
    want: 'not an object; releasability.classification: unknown classification "X"',
  },
])('refusedWords names each field the server refused: "$want"', ({ errors, want }) => {
  expect(refusedWords({ accepted: 0, rejected: errors.length, errors })).toBe(want);
});

test.each([
  [{ accepted: 0, rejected: 1, errors: [{ index: 0, field: 'position', reason: 'outside WGS84' }] }, true],
  [{ error: 'refused' }, false],
  [undefined, false],
  ['errors', false],
])('isSensorsResult(%j) is %s', (v, want) => {
  expect(isSensorsResult(v)).toBe(want);
});
