// Property tests of the withdrawal zones' polygons (zones.ts): random points
// are classified by a distance computed here, independently, and must fall
// on the right side of each zone's edge; the rings must be closed, oriented,
// uncrossed, and the zones nested.
import type { Feature, MultiPolygon, Position } from 'geojson';
import { describe, expect, test } from 'vitest';
import { assemble, contour, zonePolygons } from './zones';

/** vincentyKm is the geodesic distance in km between two points on the WGS84 ellipsoid, by Vincenty's inverse formula (to well under a millimetre here). */
function vincentyKm(p: Position, q: Position): number {
  const a = 6378.137;
  const f = 1 / 298.257223563;
  const b = a * (1 - f);
  const rad = Math.PI / 180;
  const L = ((q[0] ?? 0) - (p[0] ?? 0)) * rad;
  const U1 = Math.atan((1 - f) * Math.tan((p[1] ?? 0) * rad));
  const U2 = Math.atan((1 - f) * Math.tan((q[1] ?? 0) * rad));
  const [sinU1, cosU1, sinU2, cosU2] = [Math.sin(U1), Math.cos(U1), Math.sin(U2), Math.cos(U2)];
  let lambda = L;
  let sinSigma = 0;
  let cosSigma = 1;
  let sigma = 0;
  let cos2Alpha = 1;
  let cos2SigmaM = 0;
  for (let k = 0; k < 100; k++) {
    const sinL = Math.sin(lambda);
    const cosL = Math.cos(lambda);
    sinSigma = Math.hypot(cosU2 * sinL, cosU1 * sinU2 - sinU1 * cosU2 * cosL);
    if (sinSigma === 0) return 0;
    cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosL;
    sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinL) / sinSigma;
    cos2Alpha = 1 - sinAlpha * sinAlpha;
    cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cos2Alpha;
    const C = (f / 16) * cos2Alpha * (4 + f * (4 - 3 * cos2Alpha));
    const before = lambda;
    lambda = L + (1 - C) * f * sinAlpha * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (2 * cos2SigmaM * cos2SigmaM - 1)));
    if (Math.abs(lambda - before) < 1e-13) break;
  }
  const u2 = (cos2Alpha * (a * a - b * b)) / (b * b);
  const A = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
  const B = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
  const dSigma =
    B *
    sinSigma *
    (cos2SigmaM + (B / 4) * (cosSigma * (2 * cos2SigmaM * cos2SigmaM - 1) - (B / 6) * cos2SigmaM * (4 * sinSigma * sinSigma - 3) * (4 * cos2SigmaM * cos2SigmaM - 3)));
  return b * A * (sigma - dSigma);
}

/**
 * distanceKm is the geodesic distance from p to the lines, whose segments
 * are short (densify): each segment's nearest point is found in a plane at
 * p's latitude on a sphere, and the geodesic distance to the nearest few
 * taken (the nearest point moves little between the two, and the distance
 * to it is stationary there).
 */
function distanceKm(lines: Position[][], p: Position): number {
  const segs = segmentsOf(lines);
  const [lon, lat] = p as [number, number];
  const ky = (6371.0088 * Math.PI) / 180;
  const kx = ky * Math.cos((lat * Math.PI) / 180);
  // The nearest point of segment k to p in the plane, and its distance there.
  let x = 0;
  let y = 0;
  const nearest = (k: number, within: number): number => {
    const x1 = segs[k]!;
    const y1 = segs[k + 1]!;
    const x2 = segs[k + 2]!;
    const y2 = segs[k + 3]!;
    const ax = (x1 - lon) * kx;
    const ay = (y1 - lat) * ky;
    const bx = (x2 - lon) * kx;
    const by = (y2 - lat) * ky;
    // Both ends further than within on one side: not nearer than that.
    if ((ax > within && bx > within) || (ax < -within && bx < -within) || (ay > within && by > within) || (ay < -within && by < -within)) return Infinity;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, -(ax * dx + ay * dy) / len2));
    x = x1 + t * (x2 - x1);
    y = y1 + t * (y2 - y1);
    return Math.hypot(ax + t * dx, ay + t * dy);
  };
  let least = Infinity;
  for (let k = 0; k < segs.length; k += 4) least = Math.min(least, nearest(k, least));
  let best = Infinity;
  const within = least * 1.03 + 0.5;
  for (let k = 0; k < segs.length; k += 4) if (nearest(k, within) <= within) best = Math.min(best, vincentyKm(p, [x, y]));
  return best;
}

const segmentCache = new WeakMap<Position[][], Float64Array>();

/** segmentsOf is the lines' segments, four numbers each (lon, lat of either end), made once per set of lines. */
function segmentsOf(lines: Position[][]): Float64Array {
  let segs = segmentCache.get(lines);
  if (!segs) {
    const list = lines.flatMap((l) => l.slice(1).flatMap((q, i) => [l[i]![0]!, l[i]![1]!, q[0]!, q[1]!]));
    segs = new Float64Array(list);
    segmentCache.set(lines, segs);
  }
  return segs;
}

/** densify cuts each segment of a line into pieces of at most maxKm, so that a segment is the same whether drawn straight in degrees or along a geodesic. */
function densify(line: Position[], maxKm: number): Position[] {
  const out: Position[] = [line[0]!];
  for (let i = 1; i < line.length; i++) {
    const [x1, y1] = line[i - 1] as [number, number];
    const [x2, y2] = line[i] as [number, number];
    const n = Math.max(1, Math.ceil(vincentyKm([x1, y1], [x2, y2]) / maxKm));
    for (let k = 1; k <= n; k++) out.push([x1 + ((x2 - x1) * k) / n, y1 + ((y2 - y1) * k) / n]);
  }
  return out;
}

/** Ring tests a point against a ring (even-odd), looking only at the edges in the point's band of latitude. */
class Ring {
  private readonly bands: number[][];
  private readonly south: number;
  private readonly step: number;

  constructor(readonly ring: Position[]) {
    const ys = ring.map((p) => p[1] ?? 0);
    this.south = Math.min(...ys);
    const n = Math.max(1, Math.ceil(ring.length / 16));
    this.step = (Math.max(...ys) - this.south) / n || 1;
    this.bands = Array.from({ length: n }, () => []);
    for (let i = 1; i < ring.length; i++) {
      const lo = this.band(Math.min(ys[i - 1]!, ys[i]!));
      const hi = this.band(Math.max(ys[i - 1]!, ys[i]!));
      for (let b = lo; b <= hi; b++) this.bands[b]!.push(i);
    }
  }

  private band(y: number): number {
    return Math.min(this.bands.length - 1, Math.max(0, Math.floor((y - this.south) / this.step)));
  }

  /** holds says whether p is inside the ring. */
  holds(p: Position): boolean {
    const [x, y] = p as [number, number];
    if (y < this.south || y > this.south + this.step * this.bands.length) return false;
    let inside = false;
    for (const i of this.bands[this.band(y)]!) {
      const [xi, yi] = this.ring[i] as [number, number];
      const [xj, yj] = this.ring[i - 1] as [number, number];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
}

/** rings indexes the rings of a MultiPolygon, polygon by polygon. */
function rings(mp: Position[][][]): Ring[][] {
  return mp.map((polygon) => polygon.map((r) => new Ring(r)));
}

/** polygonsHolding counts the polygons whose area (outer ring less its holes) holds p. */
function polygonsHolding(mp: Ring[][], p: Position): number {
  return mp.filter(([outer, ...holes]) => outer && outer.holds(p) && !holes.some((h) => h.holds(p))).length;
}

/** ringArea is the signed area (shoelace): positive when counter-clockwise with x east and y north. */
function ringArea(ring: Position[]): number {
  let s = 0;
  for (let i = 1; i < ring.length; i++) {
    const [x1, y1] = ring[i - 1] as [number, number];
    const [x2, y2] = ring[i] as [number, number];
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}

/** crossings counts pairs of segments, over every ring given, that cross or touch, other than consecutive segments of a ring at their shared end. */
function crossings(rings: Position[][]): number {
  type Seg = { a: [number, number]; b: [number, number]; ring: number; at: number; n: number };
  const segs: Seg[] = [];
  rings.forEach((r, ring) => {
    for (let i = 1; i < r.length; i++) segs.push({ a: r[i - 1] as [number, number], b: r[i] as [number, number], ring, at: i - 1, n: r.length - 1 });
  });
  segs.sort((s, t) => Math.min(s.a[0], s.b[0]) - Math.min(t.a[0], t.b[0]));
  const side = (p: [number, number], q: [number, number], r: [number, number]) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  const within = (p: [number, number], q: [number, number], r: [number, number]) =>
    Math.min(p[0], q[0]) <= r[0] && r[0] <= Math.max(p[0], q[0]) && Math.min(p[1], q[1]) <= r[1] && r[1] <= Math.max(p[1], q[1]);
  let n = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const east = Math.max(s.a[0], s.b[0]);
    for (let j = i + 1; j < segs.length; j++) {
      const t = segs[j]!;
      if (Math.min(t.a[0], t.b[0]) > east) break;
      if (s.ring === t.ring && ((s.at + 1) % s.n === t.at || (t.at + 1) % t.n === s.at)) continue;
      const d1 = side(s.a, s.b, t.a);
      const d2 = side(s.a, s.b, t.b);
      const d3 = side(t.a, t.b, s.a);
      const d4 = side(t.a, t.b, s.b);
      if (d1 * d2 < 0 && d3 * d4 < 0) n++;
      else if ((d1 === 0 && within(s.a, s.b, t.a)) || (d2 === 0 && within(s.a, s.b, t.b)) || (d3 === 0 && within(t.a, t.b, s.a)) || (d4 === 0 && within(t.a, t.b, s.b))) n++;
    }
  }
  return n;
}

/** random is a small seeded generator (mulberry32), so that every run tests the same points. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The tolerance, in km, at a distance d. zones.ts samples the distance on a
 * grid of cell = min(max(dMin/25, 0.5), max(dMax/40, 0.5)) km, or coarser so
 * that the lines' box and the widest zone take at most 1,600 cells a side:
 * exactly at every node of a cell an edge can cross (and by interpolation
 * elsewhere, where it provably cannot), and it joins the interpolated
 * crossings on the cells' sides with straight lines. The distance changes by
 * at most the distance moved, so a point of a cell the edge crosses is within
 * a cell's diagonal of d, and every point further from d than that is on the
 * right side. A cell is wider than `cell` south of the grid's middle latitude
 * (longitude steps are fixed), by under 10 % over these lines: hence 1.2
 * diagonals. The line is simplified within cell/20 first; and the distance is
 * measured in a local frame, within 0.1 % of the geodesic: 0.2 % of d more.
 */
function toleranceKm(lines: Position[][], distancesKm: number[], d: number): number {
  const all = lines.flat();
  const lons = all.map((p) => p[0] ?? 0);
  const lats = all.map((p) => p[1] ?? 0);
  const dMax = Math.max(...distancesKm);
  const wideKm = Math.max((Math.max(...lons) - Math.min(...lons)) * 111.32 * Math.cos((Math.max(...lats.map(Math.abs)) * Math.PI) / 180), (Math.max(...lats) - Math.min(...lats)) * 110.574);
  const cell = Math.max(Math.min(Math.max(Math.min(...distancesKm) / 25, 0.5), Math.max(dMax / 40, 0.5)), (wideKm + 2 * dMax) / 1600);
  return 1.2 * Math.SQRT2 * cell + cell / 20 + 0.002 * d;
}

// Kilometres per degree at about 48° N, to draw the test lines and scatter points (not to measure).
const kmPerDegLat = 111.2;
const kmPerDegLon = 74.5;

/** arc is n+1 points on a circle of radius r km about a centre, from angle a0 to a1 (radians, counter-clockwise from east). */
function arc(centre: [number, number], rKm: number, a0: number, a1: number, n: number): Position[] {
  return Array.from({ length: n + 1 }, (_, i) => {
    const a = a0 + ((a1 - a0) * i) / n;
    return [centre[0] + (rKm * Math.cos(a)) / kmPerDegLon, centre[1] + (rKm * Math.sin(a)) / kmPerDegLat];
  });
}

// A front near 48 to 50° N, of the kind the demo draws: from the north-east to
// the south-west, with meanders of a few kilometres and a few sharp salients.
const front: Position[] = Array.from({ length: 121 }, (_, i) => {
  const s = i / 120;
  const lon = 38.2 - 5.6 * s + 0.12 * Math.sin(29 * s) + (i % 17 === 8 ? 0.15 : 0);
  const lat = 50.2 - 3.4 * s + 0.08 * Math.cos(23 * s) + 0.25 * Math.sin(7 * s) * (1 - s);
  return [Math.round(lon * 1e6) / 1e6, Math.round(lat * 1e6) / 1e6];
});

// Every line is cut into segments of at most 2 km, as the demo's is (2.5 km).
const cases: { name: string; lines: Position[][]; distancesKm: number[] }[] = [
  { name: 'a straight line', lines: [[[30.0, 48.0], [33.5, 48.9]]], distancesKm: [15, 50, 100, 140] },
  {
    name: 'a zig-zag with sharp bends',
    lines: [Array.from({ length: 13 }, (_, i): Position => [30 + 0.35 * i, i % 2 === 0 ? 48.0 : 49.1])],
    distancesKm: [15, 50, 100, 140],
  },
  {
    // 60 km between the arms: the zones of 50 km and more fill the U, the one of 15 km leaves a slot.
    name: 'a U whose arms are closer than twice the distance',
    lines: [[[31.0, 50.0], ...arc([31.4, 48.6], 30, Math.PI, 2 * Math.PI, 16), [31.8, 50.0]]],
    distancesKm: [15, 50, 100, 140],
  },
  {
    // A ring of 80 km with a gap of about 24 km, and a short line at its
    // centre: the 15 km zone has a hole, with an island in it.
    name: 'a nearly closed ring around a line',
    lines: [arc([35.0, 47.5], 80, 0.15, 2 * Math.PI - 0.15, 60), [[34.9, 47.45], [35.1, 47.55]]],
    distancesKm: [15, 50, 100],
  },
  { name: 'a front near 48 to 50° N', lines: [front], distancesKm: [15, 50, 100, 140] },
  { name: "a front near 48 to 50° N, the demo's distances", lines: [front], distancesKm: [50, 70, 140] },
  { name: 'two separate lines', lines: [[[30.0, 48.0], [31.0, 48.2]], [[33.0, 49.5], [33.2, 48.5]]], distancesKm: [15, 140] },
  // 20° of longitude: wider than 1,600 cells of the 0.5 km a 15 km zone alone would have.
  { name: 'a long line with a narrow zone', lines: [[[22.0, 48.0], [32.0, 48.6], [42.0, 48.2]]], distancesKm: [15] },
].map((c) => ({ ...c, lines: c.lines.map((l) => densify(l, 2)) }));

describe.each(cases)('zonePolygons: $name', ({ lines, distancesKm }) => {
  const zones = zonePolygons(
    lines,
    distancesKm.map((d) => d * 1000),
  );
  const tolerances = new Map(distancesKm.map((d) => [d, toleranceKm(lines, distancesKm, d)]));
  const tol = (d: number) => tolerances.get(d) ?? 0;
  const zone = (d: number): Position[][][] => (zones.get(d * 1000) as Feature<MultiPolygon> | undefined)?.geometry.coordinates ?? [];
  const indexed = new Map<number, Ring[][]>();
  const zoneRings = (d: number): Ring[][] => indexed.get(d) ?? indexed.set(d, rings(zone(d))).get(d)!;
  // Points about the lines, within the widest zone and a little more, with their distances: made once, for every distance's test.
  let sample: { p: Position; km: number }[] | undefined;
  const points = () => {
    if (sample) return sample;
    const rnd = random(0x5eed + lines.length);
    const all = lines.flat();
    sample = Array.from({ length: 2500 }, () => {
      const at = all[Math.floor(rnd() * all.length)] as [number, number];
      const r = (Math.max(...distancesKm) + 20) * Math.sqrt(rnd());
      const a = 2 * Math.PI * rnd();
      const p: Position = [at[0] + (r * Math.cos(a)) / kmPerDegLon, at[1] + (r * Math.sin(a)) / kmPerDegLat];
      return { p, km: distanceKm(lines, p) };
    });
    return sample;
  };

  test('gives one feature per distance, with its distance', () => {
    expect([...zones.keys()].sort((a, b) => a - b)).toEqual(distancesKm.map((d) => d * 1000).sort((a, b) => a - b));
    for (const d of distancesKm) expect(zones.get(d * 1000)?.properties).toEqual({ distance_m: d * 1000 });
  });

  test.each(distancesKm)('the rings at %d km are closed, without a repeated position, outer rings counter-clockwise, holes clockwise and inside their outer ring', (d) => {
    const mp = zone(d);
    expect(mp.length).toBeGreaterThan(0);
    for (const [outer, ...holes] of mp) {
      for (const r of [outer!, ...holes]) {
        expect(r.length).toBeGreaterThanOrEqual(4);
        expect(r[r.length - 1]).toEqual(r[0]);
        expect(r.filter((p, i) => i > 0 && p[0] === r[i - 1]![0] && p[1] === r[i - 1]![1])).toEqual([]);
      }
      expect(ringArea(outer!)).toBeGreaterThan(0);
      const o = new Ring(outer!);
      for (const h of holes) {
        expect(ringArea(h)).toBeLessThan(0);
        expect(h.every((p) => o.holds(p))).toBe(true);
      }
    }
  });

  test.each(distancesKm)('no two rings at %d km cross or touch, nor a ring itself', (d) => {
    expect(crossings(zone(d).flat())).toBe(0);
  });

  test.each(distancesKm)('every vertex of the edge at %d km is that far from the line (geodesic), within the tolerance', (d) => {
    const off = zone(d)
      .flat(2)
      .map((p) => Math.abs(distanceKm(lines, p) - d))
      .sort((a, b) => a - b);
    expect(off[off.length - 1]).toBeLessThan(tol(d));
    // Away from the bends the grid hardly errs; what is left is the metric, within 0.1 % of the geodesic.
    expect(off[Math.floor(off.length / 2)]).toBeLessThan(0.02 + 0.001 * d);
  });

  test.each(distancesKm)('random points nearer than %d km less the tolerance are in the zone, further than it plus the tolerance are not', (d) => {
    const mp = zoneRings(d);
    const misplaced: string[] = [];
    let inside = 0;
    for (const { p, km } of points()) {
      const held = polygonsHolding(mp, p);
      inside += held;
      // Never in two polygons at once; and the holes are in the right polygon: even-odd over every ring agrees.
      if (held > 1) misplaced.push(`${p.join(', ')} is in ${held} polygons`);
      if (mp.flat().filter((ring) => ring.holds(p)).length % 2 !== held) misplaced.push(`${p.join(', ')}: its polygon and its rings disagree`);
      if (km < d - tol(d) && held !== 1) misplaced.push(`${p.join(', ')} at ${km.toFixed(2)} km is outside`);
      if (km > d + tol(d) && held !== 0) misplaced.push(`${p.join(', ')} at ${km.toFixed(2)} km is inside`);
    }
    expect(misplaced).toEqual([]);
    // The sample has points on both sides.
    expect(inside).toBeGreaterThan(100);
    expect(inside).toBeLessThan(points().length);
  });

  test('the zones are nested: every vertex of a narrower zone is inside each wider one', () => {
    const sorted = [...distancesKm].sort((a, b) => a - b);
    for (let i = 0; i + 1 < sorted.length; i++) {
      const narrow = zone(sorted[i]!);
      for (const wide of sorted.slice(i + 1).map(zoneRings)) {
        const outside = narrow.flat(2).filter((p) => polygonsHolding(wide, p) !== 1);
        expect(outside).toEqual([]);
      }
    }
  });
});

describe('zonePolygons: what is not a zone', () => {
  test.each([
    { name: 'no lines', lines: [] as Position[][], distances: [50_000] },
    { name: 'no distances', lines: [[[30, 48], [31, 48]]], distances: [] },
    { name: 'only distances of zero or less', lines: [[[30, 48], [31, 48]]], distances: [0, -5000] },
  ])('$name gives no zone', ({ lines, distances }) => {
    expect(zonePolygons(lines, distances).size).toBe(0);
  });

  test('a distance of zero or less is left out, the others drawn', () => {
    expect([...zonePolygons([[[30, 48], [31, 48]]], [0, 20_000, -1]).keys()]).toEqual([20_000]);
  });

  test('a line that turns back on itself keeps its turn', () => {
    // 100 km east, then 60 km back west 5 m north of itself: measured to the
    // infinite line through its ends rather than to the segment, the turn
    // is within the simplification's tolerance, and was dropped.
    const zone = zonePolygons([[[30, 48], [31.4, 48], [30.6, 48.00005]]], [15_000]).get(15_000);
    const mp = rings(zone?.geometry.coordinates ?? []);
    expect(polygonsHolding(mp, [31.4 + 10 / kmPerDegLon, 48])).toBe(1);
    expect(polygonsHolding(mp, [31.4 + 20 / kmPerDegLon, 48])).toBe(0);
  });

  test('holes: a ring line gives a zone with one hole while the distance is under its radius, none beyond', () => {
    const ring = arc([35.0, 47.5], 60, 0, 2 * Math.PI, 48);
    const zones = zonePolygons([ring], [20_000, 45_000, 80_000]);
    const holes = (d: number) => zones.get(d)?.geometry.coordinates.map((p) => p.length - 1);
    expect(holes(20_000)).toEqual([1]);
    expect(holes(45_000)).toEqual([1]);
    expect(holes(80_000)).toEqual([0]);
  });
});

/** grid makes a grid of nx × ny values from rows written north to south, as a picture. */
function grid(rows: number[][]): { v: Float64Array; nx: number; ny: number } {
  const ny = rows.length;
  const nx = rows[0]!.length;
  const v = new Float64Array(nx * ny);
  rows.forEach((row, k) => row.forEach((x, i) => (v[(ny - 1 - k) * nx + i] = x)));
  return { v, nx, ny };
}

describe('contour', () => {
  // Values below 1 are inside.
  const cases: { name: string; rows: number[][]; rings: number; areas: number[] }[] = [
    { name: 'nothing inside', rows: [[2, 2, 2], [2, 2, 2], [2, 2, 2]], rings: 0, areas: [] },
    // One node of value 0: the edge crosses each of its four edges halfway.
    { name: 'one node', rows: [[2, 2, 2], [2, 0, 2], [2, 2, 2]], rings: 1, areas: [0.5] },
    {
      name: 'a square with a hole',
      rows: [
        [2, 2, 2, 2, 2],
        [2, 0, 0, 0, 2],
        [2, 0, 2, 0, 2],
        [2, 0, 0, 0, 2],
        [2, 2, 2, 2, 2],
      ],
      rings: 2,
      // The outer ring is the 3×3 square about the inside nodes, its corners cut; the hole a diamond about the centre.
      areas: [9 - 4 * 0.125, -0.5],
    },
    {
      // Two inside nodes at the diagonal of one cell (a saddle) stay apart.
      name: 'a saddle',
      rows: [
        [2, 2, 2, 2],
        [2, 2, 0, 2],
        [2, 0, 2, 2],
        [2, 2, 2, 2],
      ],
      rings: 2,
      areas: [0.5, 0.5],
    },
  ];

  test.each(cases)('$name', ({ rows, rings, areas }) => {
    const { v, nx, ny } = grid(rows);
    const got = contour(v, nx, ny, 1);
    expect(got.length).toBe(rings);
    for (const r of got) {
      expect(r[r.length - 1]).toEqual(r[0]);
      for (const [x, y] of r) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(nx - 1);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(ny - 1);
      }
    }
    expect(got.map(ringArea).sort((a, b) => a - b)).toEqual([...areas].sort((a, b) => a - b).map((a) => expect.closeTo(a, 9)));
  });

  test('interpolates linearly along each edge', () => {
    // Values 0 at the centre, 4 around: the edge at t crosses each edge at t/4 of a cell from the centre.
    const { v, nx, ny } = grid([
      [4, 4, 4],
      [4, 0, 4],
      [4, 4, 4],
    ]);
    for (const t of [0.5, 1, 3]) {
      const [ring] = contour(v, nx, ny, t);
      const radii = ring!.map(([x, y]) => Math.abs(x - 1) + Math.abs(y - 1));
      for (const r of radii) expect(r).toBeCloseTo(t / 4, 12);
    }
  });
});

describe('assemble', () => {
  const square = (x0: number, y0: number, s: number, ccw: boolean): Position[] => {
    const r: Position[] = [
      [x0, y0],
      [x0 + s, y0],
      [x0 + s, y0 + s],
      [x0, y0 + s],
      [x0, y0],
    ];
    return ccw ? r : r.reverse();
  };
  const A = square(0, 0, 10, true);
  const hA = square(1, 1, 8, false);
  const B = square(2, 2, 6, true);
  const hB = square(3, 3, 4, false);
  const C = square(20, 0, 5, true);
  const hC = square(21, 1, 3, false);

  test.each([
    { name: 'one outer ring', rings: [A], want: [[A]] },
    { name: 'an outer ring and its hole', rings: [hA, A], want: [[A, hA]] },
    { name: 'an island in a hole, with a hole of its own', rings: [hB, A, B, hA], want: [[A, hA], [B, hB]] },
    { name: 'two polygons side by side, each with its hole', rings: [hC, A, hA, C], want: [[A, hA], [C, hC]] },
    { name: 'a hole that no outer ring holds is dropped', rings: [A, square(30, 30, 2, false)], want: [[A]] },
  ])('$name', ({ rings, want }) => {
    expect(assemble(rings)).toEqual(want);
  });
});
