// What the map's layers are drawn from (layers.ts): the incidents as
// ellipses, dots and arrows, the filters, the colour expressions, the
// server's grid cells and their labels, and the buffer zone's width.
import type { LineString, MultiLineString, Point, Polygon } from 'geojson';
import { describe, expect, test } from 'vitest';
import type { CandidateState, Incident, IncidentProps, Restriction, TermsVersion } from '../types';
import {
  bufferWidth,
  colourExpression,
  gridCell,
  gridLabel,
  incidentData,
  type IncidentFilter,
  kindOf,
  kinds,
  linePositions,
  noParty,
  partyColours,
  passes,
  restrictionData,
  selectionData,
  verificationKinds,
  verificationOf,
  withdrawalClasses,
  zoneLayers,
} from './layers';

/** incident makes an incident with the given properties, and a polygon if given. */
function incident(id: string, props: Partial<IncidentProps>, geometry: Polygon | null = null): Incident {
  return { type: 'Feature', id, geometry, properties: { version: 1, ...props } };
}

const square: Polygon = {
  type: 'Polygon',
  coordinates: [
    [
      [30, 48],
      [30.2, 48],
      [30.2, 48.2],
      [30, 48.2],
      [30, 48],
    ],
  ],
};

describe('gridCell and gridLabel', () => {
  test.each([
    [0, 10],
    [1, 8],
    [2, 4],
    [4, 1],
    [4.99, 1],
    [5, 0.5],
    [6, 0.25],
    [7, 0.13],
    [8, 0.063],
    [9, 0.031],
    [12, 0.0039],
    [13, 0.002],
    [14, 0.001],
    [22, 0.001],
  ])('the cell at zoom %d is %d°', (zoom, want) => {
    expect(gridCell(zoom)).toBe(want);
  });

  test('a whole zoom level in, the cell halves (to two figures), between 0.001° and 10°', () => {
    for (let z = 1; z < 22; z++) {
      const [a, b] = [gridCell(z), gridCell(z + 1)];
      if (a < 10 && b > 0.001) expect(b / a).toBeCloseTo(0.5, 1);
      expect(b).toBeLessThanOrEqual(a);
    }
  });

  test.each([
    [0, '0'],
    [7, '7'],
    [999, '999'],
    [1000, '1.0k'],
    [1234, '1.2k'],
    [9949, '9.9k'],
    [10_000, '10k'],
    [34_499, '34k'],
    [34_500, '35k'],
    [1_000_000, '1000k'],
  ])('%d is labelled %s', (n, want) => {
    expect(gridLabel(n)).toBe(want);
  });
});

describe('kinds, states and filters', () => {
  test.each([
    [{ class: 'equipment', role: 'origin' }, 'equipment'],
    [{ class: 'fire', role: 'origin' }, 'origin'],
    [{ class: 'fire', role: 'impact' }, 'impact'],
    [{ class: 'fire', role: 'unknown' }, 'fire'],
    [{}, 'fire'],
  ] as [Partial<IncidentProps>, string][])('kindOf(%j) is %s', (props, want) => {
    expect(kindOf(incident('i', props))).toBe(want);
  });

  test.each([
    [undefined, 'none'],
    [[], 'none'],
    [['rejected', 'verified'], 'verified'],
    [['open'], 'decide'],
    [['more_information', 'rejected'], 'decide'],
    [['second_review'], 'decide'],
    [['rejected', 'merged', 'split'], 'rejected'],
  ] as [CandidateState[] | undefined, string][])('verificationOf(%j) is %s', (states, want) => {
    expect(verificationOf(states)).toBe(want);
  });

  const none: IncidentFilter = { hiddenKinds: new Set(), hiddenParties: new Set(), hiddenConfidence: new Set() };
  const fire = incident('f', { class: 'fire', role: 'origin', start: '2026-11-21T12:00:00Z', attribution: { party: 'A' }, confidence: { level: 'corroborated' } });
  const loose = incident('l', { class: 'fire' });
  const t = Date.parse('2026-11-21T12:00:00Z');
  test.each([
    { name: 'no filter', i: fire, f: undefined, shown: true },
    { name: 'an empty filter', i: fire, f: none, shown: true },
    { name: 'its kind hidden', i: fire, f: { ...none, hiddenKinds: new Set(['origin']) }, shown: false },
    { name: 'another kind hidden', i: fire, f: { ...none, hiddenKinds: new Set(['impact']) }, shown: true },
    { name: 'its party hidden', i: fire, f: { ...none, hiddenParties: new Set(['A']) }, shown: false },
    { name: '"not attributable" hidden, for one without a party', i: loose, f: { ...none, hiddenParties: new Set(['none']) }, shown: false },
    { name: 'its confidence hidden', i: fire, f: { ...none, hiddenConfidence: new Set(['corroborated']) }, shown: false },
    { name: 'single source hidden, for one without a confidence', i: loose, f: { ...none, hiddenConfidence: new Set(['single_source']) }, shown: false },
    { name: 'a window holding it', i: fire, f: { ...none, from: t - 1, to: t + 1 }, shown: true },
    { name: 'a window starting at it', i: fire, f: { ...none, from: t }, shown: true },
    { name: 'a window ending at it', i: fire, f: { ...none, to: t }, shown: true },
    { name: 'a window after it', i: fire, f: { ...none, from: t + 1 }, shown: false },
    { name: 'a window before it', i: fire, f: { ...none, to: t - 1 }, shown: false },
    { name: 'a window, for one without a time', i: loose, f: { ...none, from: 0 }, shown: false },
  ])('passes, $name: $shown', ({ i, f, shown }) => {
    expect(passes(i, f)).toBe(shown);
  });
});

describe('incidentData', () => {
  const origin = incident(
    'o',
    {
      class: 'fire',
      role: 'origin',
      location: { position: [30.1, 48.1] },
      origin: { position: [30.1, 48.1], incident: 'o' },
      impact: { position: [30.1, 48.6], incident: 'm' },
      attribution: { party: 'B' },
    },
    square,
  );
  // The same fire, as its impact carries it: one arrow, not two.
  const impact = incident('m', { class: 'fire', role: 'impact', location: { position: [30.1, 48.6] }, origin: { position: [30.1, 48.1], incident: 'o' }, impact: { position: [30.1, 48.6], incident: 'm' } });
  const equipment = incident('e', { class: 'equipment' }, square);
  const merged = incident('x', { class: 'fire', merged_into: 'o', location: { position: [31, 49] } }, square);
  const nowhere = incident('n', { class: 'fire' });

  const data = incidentData([origin, impact, equipment, merged, nowhere], undefined, new Map([['o', ['verified'] as CandidateState[]]]));

  test('an ellipse for each incident with a polygon, none for a merged one', () => {
    expect(data.ellipses.features.map((f) => f.properties.id)).toEqual(['o', 'e']);
    expect(data.ellipses.features[0]?.geometry).toBe(square);
  });

  test('a dot at each position, or at the middle of the polygon, none without either', () => {
    const at = Object.fromEntries(data.points.features.map((f) => [f.properties.id, f.geometry.coordinates]));
    expect(Object.keys(at)).toEqual(['o', 'm', 'e']);
    expect(at['o']).toEqual([30.1, 48.1]);
    // The middle of the four corners; the ring's closing corner is not counted twice.
    expect(at['e']?.[0]).toBeCloseTo(30.1, 12);
    expect(at['e']?.[1]).toBeCloseTo(48.1, 12);
  });

  test('the properties the layers colour by', () => {
    expect(data.points.features.map((f) => f.properties)).toEqual([
      { id: 'o', kind: 'origin', party: 'B', vstate: 'verified' },
      { id: 'm', kind: 'impact', party: 'none', vstate: 'none' },
      { id: 'e', kind: 'equipment', party: 'none', vstate: 'none' },
    ]);
  });

  test('one arrow per fire, from origin to impact, its head turned to the bearing', () => {
    const shafts = data.arrows.features.filter((f) => f.properties?.['part'] === 'shaft');
    const heads = data.arrows.features.filter((f) => f.properties?.['part'] === 'head');
    expect(shafts.map((f) => (f.geometry as LineString).coordinates)).toEqual([
      [
        [30.1, 48.1],
        [30.1, 48.6],
      ],
    ]);
    expect(shafts[0]?.properties).toEqual({ id: 'o', part: 'shaft', party: 'B' });
    expect(heads.map((f) => (f.geometry as Point).coordinates)).toEqual([[30.1, 48.6]]);
    expect(heads[0]?.properties?.['bearing']).toBeCloseTo(0, 9);
  });

  // The bearing on the Mercator map: atan2(east, north), north stretched by asinh(tan(latitude)).
  const mercatorY = (lat: number) => (Math.asinh(Math.tan((lat * Math.PI) / 180)) * 180) / Math.PI;
  test.each([
    { to: [31, 48] as [number, number], want: 90 },
    { to: [30, 47] as [number, number], want: 180 },
    { to: [29, 48] as [number, number], want: -90 },
    { to: [31, 49] as [number, number], want: (Math.atan2(1, mercatorY(49) - mercatorY(48)) * 180) / Math.PI },
  ])('an arrow from 30° E 48° N to $to bears $want°', ({ to, want }) => {
    const i = incident('a', { origin: { position: [30, 48] }, impact: { position: to } });
    const head = incidentData([i]).arrows.features.find((f) => f.properties?.['part'] === 'head');
    expect(head?.properties?.['bearing']).toBeCloseTo(want, 9);
  });

  test('a filter hides an incident’s ellipse, dot and arrow alike', () => {
    const f: IncidentFilter = { hiddenKinds: new Set(['origin']), hiddenParties: new Set(), hiddenConfidence: new Set() };
    const d = incidentData([origin, equipment], f);
    expect([d.ellipses, d.points].map((c) => c.features.map((x) => x.properties.id))).toEqual([['e'], ['e']]);
    expect(d.arrows.features).toEqual([]);
  });
});

describe('colourExpression', () => {
  test('by verification: a match on the state, every state its colour, grey otherwise', () => {
    expect(colourExpression('verification', [])).toEqual(['match', ['get', 'vstate'], ...verificationKinds.flatMap((k) => [k.key, k.colour]), noParty]);
  });

  test('by type: a match on the kind', () => {
    expect(colourExpression('type', ['A'])).toEqual(['match', ['get', 'kind'], 'origin', '#d55e00', 'impact', '#e69f00', 'fire', '#cc79a7', 'equipment', '#0072b2', noParty]);
    expect(kinds.map((k) => k.key)).toEqual(['origin', 'impact', 'fire', 'equipment']);
  });

  test.each([
    { parties: ['A', 'B'], want: ['match', ['get', 'party'], 'A', '#0072b2', 'B', '#d55e00', noParty] },
    // Seven parties: the six colours come round again.
    { parties: ['A', 'B', 'C', 'D', 'E', 'F', 'G'], want: ['match', ['get', 'party'], ...partyColours(['A', 'B', 'C', 'D', 'E', 'F', 'G']).flatMap((p) => [p.code, p.colour]), noParty] },
    // A match needs a label: with no party, every incident is grey.
    { parties: [], want: ['literal', noParty] },
  ])('by party, of $parties', ({ parties, want }) => {
    expect(colourExpression('party', parties)).toEqual(want);
  });

  test('every colour is a hex colour, and the parties’ repeat only after six', () => {
    const p = partyColours(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
    for (const c of [...p.map((x) => x.colour), ...kinds.map((k) => k.colour), ...verificationKinds.map((k) => k.colour), noParty]) expect(c).toMatch(/^#[0-9a-f]{6}$/);
    expect(new Set(p.slice(0, 6).map((x) => x.colour)).size).toBe(6);
    expect(p[6]?.colour).toBe(p[0]?.colour);
  });
});

describe('the terms on the map', () => {
  const terms = (contact_line: LineString | MultiLineString | undefined, weapon_classes: { code: string; name: string; withdrawal_m: number }[] = []): TermsVersion => ({
    seq: 1,
    loaded_at: '',
    in_force: true,
    terms: { id: 't', version: '1', weapon_classes, ...(contact_line ? { contact_line } : {}) },
  });

  test('withdrawalClasses: those with a zone, widest first, each its colour', () => {
    const t = terms(undefined, [
      { code: 'art', name: 'Artillery', withdrawal_m: 50_000 },
      { code: 'none', name: 'No zone', withdrawal_m: 0 },
      { code: 'mlrs', name: 'MLRS', withdrawal_m: 70_000 },
      { code: 'heavy', name: 'Heavy MLRS', withdrawal_m: 140_000 },
    ]);
    expect(withdrawalClasses(t).map((c) => [c.code, c.withdrawal_m, c.colour])).toEqual([
      ['heavy', 140_000, '#56b4e9'],
      ['mlrs', 70_000, '#009e73'],
      ['art', 50_000, '#cc79a7'],
    ]);
    expect(withdrawalClasses(undefined)).toEqual([]);
  });

  test.each([
    {
      name: 'a line',
      line: {
        type: 'LineString',
        coordinates: [
          [30, 48],
          [31, 49],
        ],
      } as LineString,
      want: [
        [30, 48],
        [31, 49],
      ],
    },
    {
      name: 'lines',
      line: {
        type: 'MultiLineString',
        coordinates: [
          [
            [30, 48],
            [31, 49],
          ],
          [[32, 50]],
        ],
      } as MultiLineString,
      want: [
        [30, 48],
        [31, 49],
        [32, 50],
      ],
    },
    { name: 'no line', line: undefined, want: [] },
  ])('linePositions of $name', ({ line, want }) => {
    expect(linePositions(terms(line))).toEqual(want);
  });

  // A pixel at zoom z covers 40,075,016.686 m × cos(latitude) / (512 × 2^z).
  test.each([
    { half: 2000, lat: 48, zoom: 9 },
    { half: 2000, lat: 0, zoom: 0 },
    { half: 500, lat: 60, zoom: 14.5 },
  ])('bufferWidth: a line $half m each side at $lat° is as wide at zoom $zoom', ({ half, lat, zoom }) => {
    const e = bufferWidth(half, lat) as unknown as [string, [string, number], [string], number, number, number, number];
    expect(e.slice(0, 3)).toEqual(['interpolate', ['exponential', 2], ['zoom']]);
    const [, [, base], , z0, w0, z1, w1] = e;
    // MapLibre's exponential interpolation between two stops.
    const px = w0 + ((base ** (zoom - z0) - 1) / (base ** (z1 - z0) - 1)) * (w1 - w0);
    const metresPerPixel = (40_075_016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** zoom);
    expect(px * metresPerPixel).toBeCloseTo(2 * half, 6);
  });
});

describe('restrictions and the selection', () => {
  test('restrictionData keeps those with a place, with their outcome', () => {
    const r = (id: string, geometry: Point | null): Restriction =>
      ({ type: 'Feature', id, geometry, properties: { time: '', outcome: 'denied', delay_s: 0, patrol_size: 4, releasability: { classification: 'R' } } }) as Restriction;
    const d = restrictionData([r('r1', { type: 'Point', coordinates: [30, 48] }), r('r2', null)]);
    expect(d.features).toEqual([{ type: 'Feature', properties: { id: 'r1', outcome: 'denied' }, geometry: { type: 'Point', coordinates: [30, 48] } }]);
  });

  test.each([
    { name: 'nothing selected', i: undefined, parts: [] },
    { name: 'an incident at a position', i: incident('a', { location: { position: [30, 48] } }), parts: ['focus'] },
    { name: 'an incident with only its polygon', i: incident('a', {}, square), parts: ['focus'] },
    { name: 'an incident with neither', i: incident('a', {}), parts: [] },
    { name: 'a fire with both ends', i: incident('a', { location: { position: [30, 48] }, origin: { position: [30, 48] }, impact: { position: [30.2, 48.3] } }), parts: ['focus', 'path', 'origin', 'impact'] },
    { name: 'a fire with one end', i: incident('a', { location: { position: [30, 48] }, origin: { position: [30, 48] }, impact: null }), parts: ['focus'] },
  ])('selectionData of $name', ({ i, parts }) => {
    expect(selectionData(i).features.map((f) => f.properties?.['part'])).toEqual(parts);
  });
});

// A translucent line darkens where it overlaps itself: the buffer zone is
// one wide line that overlaps itself at each bend, so it is drawn opaque,
// in a colour blended beforehand.
test('the buffer zone is drawn opaque', () => {
  const layer = zoneLayers().find((l) => l.id === 'buffer-zone') as { paint?: Record<string, unknown> } | undefined;
  expect(layer?.paint?.['line-opacity'] ?? 1).toBe(1);
  expect(layer?.paint?.['line-color']).toMatch(/^#[0-9a-f]{6}$/);
});
