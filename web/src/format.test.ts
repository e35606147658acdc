// The formatting of times, durations and figures (format.ts). Times must come
// out in UTC whatever the machine's zone: the tests run in a zone that is
// neither UTC nor a whole number of hours from it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { age, casualties, compact, countdown, duration, grading, isoDay, label, metres, num, party, percent, position, signed, utc, utcSeconds, words } from './format';

const zone = process.env['TZ'];
beforeAll(() => {
  process.env['TZ'] = 'America/St_Johns'; // UTC−03:30 in winter, −02:30 in summer
});
afterAll(() => {
  if (zone === undefined) delete process.env['TZ'];
  else process.env['TZ'] = zone;
});

test('the tests run away from UTC', () => {
  expect(new Date('2024-01-15T12:00:00Z').getTimezoneOffset()).toBe(210);
});

const s = 1000;
const min = 60 * s;
const h = 60 * min;
const day = 24 * h;

describe('utc and utcSeconds', () => {
  test.each([
    { iso: '2024-03-01T12:34:56Z', minute: '2024-03-01 12:34 UTC', second: '2024-03-01 12:34:56 UTC' },
    // An offset is turned into UTC, across a leap day.
    { iso: '2024-03-01T01:30:00+02:00', minute: '2024-02-29 23:30 UTC', second: '2024-02-29 23:30:00 UTC' },
    { iso: '2023-12-31T23:59:59.999Z', minute: '2023-12-31 23:59 UTC', second: '2023-12-31 23:59:59 UTC' },
    { iso: '1970-01-01T00:00:00Z', minute: '1970-01-01 00:00 UTC', second: '1970-01-01 00:00:00 UTC' },
    { iso: undefined, minute: '—', second: '—' },
    { iso: '', minute: '—', second: '—' },
    // What is not a time is shown as it came.
    { iso: 'yesterday', minute: 'yesterday', second: 'yesterday' },
  ])('$iso', ({ iso, minute, second }) => {
    expect(utc(iso)).toBe(minute);
    expect(utcSeconds(iso)).toBe(second);
  });
});

describe('duration', () => {
  test.each([
    [0, '0 s'],
    [999, '0 s'],
    [s, '1 s'],
    [59 * s + 999, '59 s'],
    [min, '1 min 00 s'],
    [min + 5 * s, '1 min 05 s'],
    [59 * min + 59 * s, '59 min 59 s'],
    [h, '1 h 00 min'],
    [4 * h + 5 * min + 59 * s, '4 h 05 min'],
    [23 * h + 59 * min, '23 h 59 min'],
    [day, '1 d 0 h'],
    [2 * day + 3 * h + 59 * min, '2 d 3 h'],
    [400 * day, '400 d 0 h'],
    // Overdue: a negative length is none.
    [-1, '0 s'],
    [-5 * day, '0 s'],
  ])('%d ms is "%s"', (ms, want) => {
    expect(duration(ms)).toBe(want);
  });
});

describe('countdown', () => {
  test.each([
    [0, '00:00:00'],
    [999, '00:00:00'],
    [s, '00:00:01'],
    [h + 2 * min + 3 * s, '01:02:03'],
    [day - 1, '23:59:59'],
    [day, '1 d 00:00:00'],
    [day + 2 * h + 3 * min + 4 * s, '1 d 02:03:04'],
    [1000 * day, '1000 d 00:00:00'],
    // Overdue: the time since the deadline, counted the same way.
    [-s, '00:00:01'],
    [-1500, '00:00:01'],
    [-(day + 3723 * s), '1 d 01:02:03'],
  ])('%d ms is "%s"', (ms, want) => {
    expect(countdown(ms)).toBe(want);
  });
});

describe('age', () => {
  const now = Date.parse('2024-01-02T03:00:00Z');
  test.each([
    ['2024-01-01T00:00:00Z', '1 d 3 h'],
    ['2024-01-02T02:59:30Z', '30 s'],
    ['2024-01-02T05:00:00+02:00', '0 s'],
    // In the future (a clock ahead): no age.
    ['2024-01-02T04:00:00Z', '0 s'],
    ['not a time', '—'],
  ])('%s', (iso, want) => {
    expect(age(iso, now)).toBe(want);
  });
});

describe('metres', () => {
  test.each([
    [undefined, '—'],
    [Number.NaN, '—'],
    [0, '0 m'],
    [12.4, '12 m'],
    [999.4, '999 m'],
    [1000, '1.0 km'],
    [1549, '1.5 km'],
    [9949, '9.9 km'],
    [10_000, '10 km'],
    [140_000, '140 km'],
    // A signed distance (the side of the line) keeps its sign.
    [-500, '-500 m'],
    [-2500, '-2.5 km'],
    [-50_000, '-50 km'],
  ])('%s', (m, want) => {
    expect(metres(m)).toBe(want);
  });
});

test.each([
  [undefined, '—'],
  [0, '0 %'],
  [0.5, '50 %'],
  [0.994, '99 %'],
  [1, '100 %'],
])('percent(%s) is "%s"', (p, want) => {
  expect(percent(p)).toBe(want);
});

test.each([
  ['fire_across_line', 'fire across line'],
  ['withdrawal_zone:heavy_mlrs', 'withdrawal zone heavy mlrs'],
  ['verified', 'verified'],
  ['', '—'],
  [null, '—'],
  [undefined, '—'],
])('words(%s) is "%s"', (code, want) => {
  expect(words(code)).toBe(want);
});

test.each([
  { l: undefined, want: '—' },
  { l: { classification: 'RESTRICTED' }, want: 'RESTRICTED' },
  { l: { classification: 'RESTRICTED', rel_to: [] }, want: 'RESTRICTED' },
  { l: { classification: 'SECRET', rel_to: ['FRA', 'GBR', 'UKR'] }, want: 'SECRET REL TO FRA, GBR, UKR' },
])('label $l is "$want"', ({ l, want }) => {
  expect(label(l)).toBe(want);
});

test.each([
  { c: undefined, want: 'none reported' },
  { c: {}, want: 'reported' },
  { c: { civilian: true }, want: 'reported (civilians)' },
  { c: { killed: 0 }, want: '0 killed' },
  { c: { wounded: 3 }, want: '3 wounded' },
  { c: { killed: 2, wounded: 3, civilian: true }, want: '2 killed, 3 wounded (civilians)' },
])('casualties $c are "$want"', ({ c, want }) => {
  expect(casualties(c)).toBe(want);
});

test.each([
  ['A', 'Party A'],
  ['RU', 'Party RU'],
  [null, 'not attributable'],
  [undefined, 'not attributable'],
  ['', 'not attributable'],
])('party(%s) is "%s"', (code, want) => {
  expect(party(code)).toBe(want);
});

describe('grading', () => {
  test.each([
    ['A1', 'completely reliable source, information confirmed'],
    ['B2', 'usually reliable source, information probably true'],
    ['F6', 'reliability cannot be judged source, information truth cannot be judged'],
    ['E5', 'unreliable source, information improbable'],
    // Not an Admiralty grading: shown as it came.
    ['G1', 'G1'],
    ['A7', 'A7'],
    ['A', 'A'],
    ['A12', 'A12'],
    ['b2', 'b2'],
    [undefined, '—'],
  ])('%s', (code, want) => {
    expect(grading(code)).toBe(want);
  });
});

test.each([
  { p: [30.5, 50.45], want: '50.4500° N, 30.5000° E' },
  { p: [-70.123456, -33.5], want: '33.5000° S, 70.1235° W' },
  { p: [0, 0], want: '0.0000° N, 0.0000° E' },
  { p: [37.55, 50.33, 120], want: '50.3300° N, 37.5500° E' },
  { p: [30], want: '—' },
  { p: [], want: '—' },
  { p: undefined, want: '—' },
])('position $p is "$want"', ({ p, want }) => {
  expect(position(p)).toBe(want);
});

describe('num, signed and compact', () => {
  test.each([
    [undefined, '—'],
    [Number.NaN, '—'],
    [0, '0'],
    [999, '999'],
    [1500, '1,500'],
    [1_500_000, '1,500,000'],
    [-1234, '-1,234'],
    [1234.567, '1,234.57'],
    [0.5, '0.5'],
    [1e21, '1,000,000,000,000,000,000,000'],
  ])('num(%s) is "%s"', (n, want) => {
    expect(num(n)).toBe(want);
  });

  test.each([
    [3, '+3'],
    [1500, '+1,500'],
    [0, '0'],
    [-2, '−2'],
    [-0.5, '−0.5'],
  ])('signed(%d) is "%s"', (n, want) => {
    expect(signed(n)).toBe(want);
  });

  test.each([
    [0, '0'],
    [999, '999'],
    [9999, '9,999'],
    [10_000, '10 k'],
    [12_345, '12.3 k'],
    [123_456, '123 k'],
    [250_000_000, '250 M'],
    [1_040_000, '1 M'],
    [1_500_000_000, '1.5 bn'],
    [2_000_000_000_000, '2 tn'],
    [-2_000_000, '-2 M'],
    [-12_500, '-12.5 k'],
  ])('compact(%d) is "%s"', (n, want) => {
    expect(compact(n)).toBe(want);
  });
});

describe('isoDay', () => {
  test.each([
    { t: Date.UTC(2024, 1, 29, 23, 59, 59), want: '2024-02-29' },
    { t: new Date('2024-03-01T00:30:00+01:00'), want: '2024-02-29' },
    { t: new Date('2024-12-31T22:00:00-03:00'), want: '2025-01-01' },
    { t: 0, want: '1970-01-01' },
  ])('$want', ({ t, want }) => {
    expect(isoDay(t)).toBe(want);
  });
});
