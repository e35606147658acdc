// The withdrawal zones as polygons: every point within a distance of the
// contact line. A line stroked as wide as a zone of 50 to 140 km would
// overlap itself at each bend, and a translucent stroke then darkens where it
// does; so the distance to the line is sampled on a grid of a few kilometres
// and contoured (marching squares, with linear interpolation) at each
// distance, which gives polygons, with their holes, that never overlap
// themselves. Distances are measured on the WGS84 ellipsoid in a local frame
// scaled at the mean latitude of the sample and of the segment (the
// mid-latitude formula): within about 0.1 % of the geodesic distance at these
// ranges. The server's geodesic queries (/api/v1/terms/locate) remain the
// reference.
import type { Feature, MultiPolygon, Position } from 'geojson';

// Kilometres per degree of latitude, and of longitude at the equator, at
// their least (the equator's): they bound the grid's extent from above.
const kmPerDegLat = 110.574;
const kmPerDegLon = 111.32;
// The grid's largest side, in samples: 1,600 × 1,600 values are 20 MB.
const maxSide = 1600;
// Segments are cut to at most this long (km), so that the latitude of a
// segment's middle is that of its point nearest any sample within 2 km.
const maxSegmentKm = 4;

const semiMajorKm = 6378.137; // WGS84
const e2 = 0.0066943799901413165; // WGS84, the first eccentricity squared
const radian = Math.PI / 180;
// The coarse grid takes every F-th sample; the fine grid is between.
const F = 4;

/** scales is kilometres per degree of longitude and of latitude at a latitude, on the WGS84 ellipsoid. */
function scales(lat: number): [number, number] {
  const s = Math.sin(lat * radian);
  const w = 1 - e2 * s * s;
  const n = semiMajorKm / Math.sqrt(w);
  return [n * Math.cos(lat * radian) * radian, ((n * (1 - e2)) / w) * radian];
}

/** zonePolygons returns, for each distance in metres, the area within it of the lines, as a MultiPolygon. */
export function zonePolygons(lines: Position[][], distancesM: number[]): Map<number, Feature<MultiPolygon>> {
  const out = new Map<number, Feature<MultiPolygon>>();
  const ds = distancesM.filter((d) => d > 0);
  if (lines.length === 0 || ds.length === 0) return out;
  const dMaxKm = Math.max(...ds) / 1000;
  const dMinKm = Math.min(...ds) / 1000;
  let west = Infinity;
  let east = -Infinity;
  let south = Infinity;
  let north = -Infinity;
  for (const l of lines)
    for (const p of l) {
      west = Math.min(west, p[0] ?? 0);
      east = Math.max(east, p[0] ?? 0);
      south = Math.min(south, p[1] ?? 0);
      north = Math.max(north, p[1] ?? 0);
    }
  // The grid: fine enough for the narrowest zone, at most a few hundred
  // samples a side; coarser when the lines and the widest zone need more
  // than maxSide samples a side at that, rather than cut them off.
  let cellKm = Math.min(Math.max(dMinKm / 25, 0.5), Math.max(dMaxKm / 40, 0.5));
  let box: { w: number; s: number; dLon: number; dLat: number; nx: number; ny: number };
  for (;;) {
    const padLat = (dMaxKm + 3 * cellKm) / kmPerDegLat;
    const coldest = Math.max(Math.abs(south - padLat), Math.abs(north + padLat));
    const padLon = (dMaxKm + 3 * cellKm) / (kmPerDegLon * Math.cos(Math.min(coldest, 85) * radian));
    const w = west - padLon;
    const e = east + padLon;
    const s = south - padLat;
    const n = north + padLat;
    const dLat = cellKm / kmPerDegLat;
    const dLon = cellKm / (kmPerDegLon * Math.cos(((s + n) / 2) * radian));
    const cx = Math.ceil((e - w) / dLon);
    const cy = Math.ceil((n - s) / dLat);
    box = { w, s, dLon, dLat, nx: F * Math.ceil(cx / F) + 1, ny: F * Math.ceil(cy / F) + 1 };
    if (Math.max(box.nx, box.ny) <= maxSide + 1) break;
    cellKm *= (Math.max(box.nx, box.ny) / maxSide) * 1.01;
  }
  const { w: gridWest, s: gridSouth, dLon, dLat, nx, ny } = box;

  // The segments, cut to maxSegmentKm, each as six numbers: the longitude and
  // latitude of its ends, and half the kilometres per degree of longitude and
  // of latitude at its middle; and for each row the segments near enough to matter.
  const list: number[] = [];
  for (const l of simplify(lines, cellKm / 20))
    for (let i = 1; i < l.length; i++) {
      const p = l[i - 1];
      const q = l[i];
      if (!p || !q) continue;
      const [x1, y1, x2, y2] = [p[0] ?? 0, p[1] ?? 0, q[0] ?? 0, q[1] ?? 0];
      const [kx, ky] = scales((y1 + y2) / 2);
      const pieces = Math.max(1, Math.ceil(Math.hypot((x2 - x1) * kx, (y2 - y1) * ky) / maxSegmentKm));
      for (let k = 0; k < pieces; k++) {
        const ya = y1 + ((y2 - y1) * k) / pieces;
        const yb = y1 + ((y2 - y1) * (k + 1)) / pieces;
        const [kxm, kym] = scales((ya + yb) / 2);
        list.push(x1 + ((x2 - x1) * k) / pieces, ya, x1 + ((x2 - x1) * (k + 1)) / pieces, yb, kxm / 2, kym / 2);
      }
    }
  const segs = new Float64Array(list);
  const far = dMaxKm + 4 * F * cellKm;
  const farLat = far / kmPerDegLat;
  const rows: (Int32Array | undefined)[] = [];
  const rowScales = new Float64Array(2 * ny);
  const exact = (i: number, j: number): number => {
    const lat = gridSouth + j * dLat;
    const lon = gridWest + i * dLon;
    let near = rows[j];
    if (!near) {
      const at: number[] = [];
      for (let k = 0; k < segs.length; k += 6) {
        const y1 = segs[k + 1]!;
        const y2 = segs[k + 3]!;
        if (Math.min(y1, y2) - farLat <= lat && lat <= Math.max(y1, y2) + farLat) at.push(k);
      }
      near = rows[j] = Int32Array.from(at);
      const [kx, ky] = scales(lat);
      rowScales[2 * j] = kx / 2;
      rowScales[2 * j + 1] = ky / 2;
    }
    const kxHere = rowScales[2 * j]!;
    const kyHere = rowScales[2 * j + 1]!;
    let best = far;
    let best2 = far * far;
    for (let n = 0; n < near.length; n++) {
      // The segment in kilometres from the sample, at the scales of their
      // mean latitude; one whose box is further than the best so far cannot be nearer.
      const k = near[n]!;
      const kx = kxHere + segs[k + 4]!;
      const ax = (segs[k]! - lon) * kx;
      const bx = (segs[k + 2]! - lon) * kx;
      if ((ax > best && bx > best) || (ax < -best && bx < -best)) continue;
      const ky = kyHere + segs[k + 5]!;
      const ay = (segs[k + 1]! - lat) * ky;
      const by = (segs[k + 3]! - lat) * ky;
      if ((ay > best && by > best) || (ay < -best && by < -best)) continue;
      const vx = bx - ax;
      const vy = by - ay;
      const len = vx * vx + vy * vy;
      let t = len > 0 ? -(ax * vx + ay * vy) / len : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const x = ax + t * vx;
      const y = ay + t * vy;
      const d2 = x * x + y * y;
      if (d2 < best2) {
        best2 = d2;
        best = Math.sqrt(d2);
      }
    }
    return best;
  };
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j += F) for (let i = 0; i < nx; i += F) values[j * nx + i] = exact(i, j);
  // A coarse cell through which no boundary can pass (the distance changes
  // by at most the distance moved) is filled in by interpolation; the others
  // are sampled finely.
  const reach = F * cellKm * Math.SQRT2 * 1.05;
  const thresholds = ds.map((d) => d / 1000);
  for (let J = 0; J + F < ny; J += F) {
    for (let I = 0; I + F < nx; I += F) {
      const c00 = values[J * nx + I] ?? far;
      const c10 = values[J * nx + I + F] ?? far;
      const c01 = values[(J + F) * nx + I] ?? far;
      const c11 = values[(J + F) * nx + I + F] ?? far;
      const lo = Math.min(c00, c10, c01, c11) - reach;
      const hi = Math.max(c00, c10, c01, c11) + reach;
      const fine = thresholds.some((t) => t > lo && t < hi);
      for (let j = 0; j <= F; j++) {
        for (let i = 0; i <= F; i++) {
          if ((i === 0 || i === F) && (j === 0 || j === F)) continue;
          const at = (J + j) * nx + I + i;
          if (fine) values[at] = exact(I + i, J + j);
          else if (values[at] === 0) {
            const u = i / F;
            const v = j / F;
            values[at] = c00 * (1 - u) * (1 - v) + c10 * u * (1 - v) + c01 * (1 - u) * v + c11 * u * v || 1e-9;
          }
        }
      }
    }
  }
  for (const d of ds) {
    const rings: Position[][] = [];
    for (const r of contour(values, nx, ny, d / 1000)) {
      // In degrees, rounded to 1e-6 (0.1 m), without the repeated positions
      // rounding may leave, and closed on its first position again.
      const ring: Position[] = [];
      for (const [x, y] of r.slice(0, -1)) {
        const p: Position = [round(gridWest + x * dLon), round(gridSouth + y * dLat)];
        const last = ring[ring.length - 1];
        if (!last || p[0] !== last[0] || p[1] !== last[1]) ring.push(p);
      }
      const first = ring[0];
      const last = ring[ring.length - 1];
      if (ring.length > 1 && first && last && first[0] === last[0] && first[1] === last[1]) ring.pop();
      if (first && ring.length >= 3) rings.push([...ring, first]);
    }
    out.set(d, { type: 'Feature', properties: { distance_m: d }, geometry: { type: 'MultiPolygon', coordinates: assemble(rings) } });
  }
  return out;
}

/**
 * simplify drops the points of each line that are within tol kilometres of
 * the segment that replaces them (Douglas–Peucker, measured to the segment,
 * not to the infinite line through it: a line that turns back on itself, or
 * closes on its start, keeps its far points).
 */
function simplify(lines: Position[][], tolKm: number): Position[][] {
  return lines.map((l) => {
    if (l.length <= 2) return l;
    const keep = new Uint8Array(l.length);
    keep[0] = keep[l.length - 1] = 1;
    const stack: [number, number][] = [[0, l.length - 1]];
    while (stack.length > 0) {
      const [a, b] = stack.pop()!;
      const pa = l[a]!;
      const pb = l[b]!;
      const kx = kmPerDegLon * Math.cos((((pa[1] ?? 0) + (pb[1] ?? 0)) / 2) * radian);
      const ax = (pa[0] ?? 0) * kx;
      const ay = (pa[1] ?? 0) * kmPerDegLat;
      const vx = (pb[0] ?? 0) * kx - ax;
      const vy = (pb[1] ?? 0) * kmPerDegLat - ay;
      const len2 = vx * vx + vy * vy;
      let worst = -1;
      let at = -1;
      for (let i = a + 1; i < b; i++) {
        const p = l[i]!;
        const px = (p[0] ?? 0) * kx - ax;
        const py = (p[1] ?? 0) * kmPerDegLat - ay;
        const t = len2 > 0 ? Math.min(1, Math.max(0, (px * vx + py * vy) / len2)) : 0;
        const d = Math.hypot(px - t * vx, py - t * vy);
        if (d > worst) {
          worst = d;
          at = i;
        }
      }
      if (worst > tolKm && at > 0) {
        keep[at] = 1;
        stack.push([a, at], [at, b]);
      }
    }
    return l.filter((_, i) => keep[i]);
  });
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * contour traces the boundary of {value < t} on the grid as closed rings in
 * grid coordinates, the inside on the left of each: outer rings run
 * counter-clockwise, holes clockwise. The grid's border must be outside.
 */
export function contour(v: Float64Array, nx: number, ny: number, t: number): [number, number][][] {
  // Edge points are keyed by their edge: horizontal edge (i, j)–(i+1, j) is
  // 2(j·nx + i), vertical edge (i, j)–(i, j+1) is 2(j·nx + i) + 1.
  const next = new Map<number, number>();
  const point = new Map<number, [number, number]>();
  const at = (i: number, j: number) => v[j * nx + i] ?? Infinity;
  const edgePoint = (key: number): [number, number] => {
    const cached = point.get(key);
    if (cached) return cached;
    const cell = key >> 1;
    const i = cell % nx;
    const j = (cell - i) / nx;
    const a = at(i, j);
    let p: [number, number];
    if ((key & 1) === 0) {
      const b = at(i + 1, j);
      p = [i + (t - a) / (b - a), j];
    } else {
      const b = at(i, j + 1);
      p = [i, j + (t - a) / (b - a)];
    }
    point.set(key, p);
    return p;
  };
  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      // Corners counter-clockwise from the lower left, and the edges after each.
      const inside = [at(i, j) < t, at(i + 1, j) < t, at(i + 1, j + 1) < t, at(i, j + 1) < t];
      if (inside.every((x) => x) || inside.every((x) => !x)) continue;
      const edges = [2 * (j * nx + i), 2 * (j * nx + i + 1) + 1, 2 * ((j + 1) * nx + i), 2 * (j * nx + i) + 1];
      // Going round the cell counter-clockwise, the boundary leaves at each
      // edge from an inside corner to an outside one, and comes from the
      // nearest edge before it that goes from outside to inside.
      for (let k = 0; k < 4; k++) {
        if (!inside[k] || inside[(k + 1) % 4]) continue;
        for (let m = 1; m < 4; m++) {
          const kk = (k - m + 4) % 4;
          if (!inside[kk] && inside[(kk + 1) % 4]) {
            next.set(edges[k]!, edges[kk]!);
            break;
          }
        }
      }
    }
  }
  const rings: [number, number][][] = [];
  const seen = new Set<number>();
  for (const start of next.keys()) {
    if (seen.has(start)) continue;
    const ring: [number, number][] = [];
    let k: number | undefined = start;
    while (k !== undefined && !seen.has(k)) {
      seen.add(k);
      ring.push(edgePoint(k));
      k = next.get(k);
    }
    if (ring.length >= 3) {
      ring.push(ring[0]!);
      rings.push(ring);
    }
  }
  return rings;
}

function area(ring: Position[]): number {
  let s = 0;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1]!;
    const b = ring[i]!;
    s += (a[0] ?? 0) * (b[1] ?? 0) - (b[0] ?? 0) * (a[1] ?? 0);
  }
  return s / 2;
}

function contains(ring: Position[], p: Position): boolean {
  const x = p[0] ?? 0;
  const y = p[1] ?? 0;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i]![0] ?? 0;
    const yi = ring[i]![1] ?? 0;
    const xj = ring[j]![0] ?? 0;
    const yj = ring[j]![1] ?? 0;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** assemble groups rings into polygons: each hole (clockwise) goes into the smallest outer ring (counter-clockwise) that holds it. */
export function assemble(rings: Position[][]): Position[][][] {
  const outers = rings.filter((r) => area(r) > 0).map((r) => ({ ring: r, area: area(r), holes: [] as Position[][] }));
  for (const h of rings.filter((r) => area(r) < 0)) {
    const owner = outers.filter((o) => h[0] && contains(o.ring, h[0])).sort((a, b) => a.area - b.area)[0];
    owner?.holes.push(h);
  }
  return outers.map((o) => [o.ring, ...o.holes]);
}
