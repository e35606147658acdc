// The mission's layers over the basemap: the contact line, the buffer zone
// and the withdrawal zones of each weapon class, restrictions of access,
// and incidents (their 95 % uncertainty ellipses, a dot at each position, so
// that a 10 m ellipse is still seen at the scale of a front, grouped into
// clusters when zoomed out, and an arrow from each fire's origin to its
// impact).
import type { Feature, FeatureCollection, LineString, MultiLineString, Point, Polygon, Position } from 'geojson';
import type { ExpressionSpecification, LayerSpecification, Map as MapLibreMap } from 'maplibre-gl';
import type { CandidateState, Incident, Restriction, TermsVersion } from '../types';
import { colours, FONT } from './basemap';

export type ColourBy = 'type' | 'party' | 'verification';

/** The verification states the map tells apart, from the incident's candidates. */
export const verificationKinds = [
  { key: 'verified', words: 'Verified violation', colour: '#009e73' },
  { key: 'decide', words: 'Candidate to decide', colour: '#e69f00' },
  { key: 'rejected', words: 'Rejected, merged or split', colour: '#56b4e9' },
  { key: 'none', words: 'No violation found', colour: '#b9b9b9' },
] as const;

/** verificationOf sums up the states of an incident's candidates: verified first, then those to decide. */
export function verificationOf(states: CandidateState[] | undefined): string {
  if (!states || states.length === 0) return 'none';
  if (states.includes('verified')) return 'verified';
  if (states.some((s) => s === 'open' || s === 'more_information' || s === 'second_review')) return 'decide';
  return 'rejected';
}

/** The withdrawal zones' colours, widest first. */
const bandPalette = ['#56b4e9', '#009e73', '#cc79a7', '#f0e442', '#0072b2'];

/** withdrawalClasses are the terms' weapon classes with a withdrawal zone, widest first, each with its colour. */
export function withdrawalClasses(t: TermsVersion | undefined): { code: string; name: string; withdrawal_m: number; colour: string }[] {
  return [...(t?.terms.weapon_classes ?? [])]
    .filter((w) => w.withdrawal_m > 0)
    .sort((a, b) => b.withdrawal_m - a.withdrawal_m)
    .map((w, i) => ({ ...w, colour: bandPalette[i % bandPalette.length] ?? '#999999' }));
}

/** withdrawalLayers draw one class's withdrawal zone: its polygon (zones.ts), translucent, and its edge. */
export function withdrawalLayers(code: string, colour: string): LayerSpecification[] {
  return [
    {
      id: `withdrawal-${code}`,
      type: 'fill',
      source: 'withdrawal-zones',
      filter: ['==', ['get', 'code'], code],
      paint: { 'fill-color': colour, 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 5, 0.13, 9, 0.05] },
    },
    {
      id: `withdrawal-${code}-edge`,
      type: 'line',
      source: 'withdrawal-zones',
      filter: ['==', ['get', 'code'], code],
      paint: { 'line-color': colour, 'line-opacity': 0.8, 'line-width': 1.2 },
    },
  ];
}

/** The kinds of incident the map tells apart, with their colours (Okabe–Ito, safe for colour-blind readers). */
export const kinds = [
  { key: 'origin', words: 'Fire: origin (launch, shot)', colour: '#d55e00' },
  { key: 'impact', words: 'Fire: impact', colour: '#e69f00' },
  { key: 'fire', words: 'Fire: not located as either', colour: '#cc79a7' },
  { key: 'equipment', words: 'Equipment seen', colour: '#0072b2' },
] as const;

const partyPalette = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#56b4e9', '#f0e442'];
export const noParty = '#7a7a7a';

/** partyColours gives each party code its colour, in order, the palette coming round again after six. */
export function partyColours(codes: string[]): { code: string; colour: string }[] {
  return codes.map((code, i) => ({ code, colour: partyPalette[i % partyPalette.length] ?? noParty }));
}

/** kindOf is the kind the map tells an incident apart by: equipment, a fire's origin or impact, or a fire not located as either. */
export function kindOf(i: Incident): string {
  const p = i.properties;
  if (p.class === 'equipment') return 'equipment';
  if (p.role === 'origin') return 'origin';
  if (p.role === 'impact') return 'impact';
  return 'fire';
}

/** colourExpression is the MapLibre expression that colours incidents by type, by party or by verification state. */
export function colourExpression(by: ColourBy, parties: string[]): ExpressionSpecification {
  if (by === 'verification') return ['match', ['get', 'vstate'], ...verificationKinds.flatMap((k) => [k.key, k.colour]), noParty] as unknown as ExpressionSpecification;
  if (by === 'party') {
    const pairs = partyColours(parties).flatMap((p) => [p.code, p.colour]);
    return pairs.length > 0 ? (['match', ['get', 'party'], ...pairs, noParty] as unknown as ExpressionSpecification) : (['literal', noParty] as ExpressionSpecification);
  }
  return ['match', ['get', 'kind'], ...kinds.flatMap((k) => [k.key, k.colour]), noParty] as unknown as ExpressionSpecification;
}

interface Props {
  id: string;
  kind: string;
  party: string;
  vstate: string;
}

export interface IncidentFilter {
  hiddenKinds: Set<string>;
  /** party codes, and "none" for not attributable */
  hiddenParties: Set<string>;
  hiddenConfidence: Set<string>;
  /** start times in milliseconds; undefined: no bound */
  from?: number | undefined;
  to?: number | undefined;
}

/** passes says whether an incident is shown under a filter. */
export function passes(i: Incident, f: IncidentFilter | undefined): boolean {
  if (!f) return true;
  const p = i.properties;
  if (f.hiddenKinds.has(kindOf(i))) return false;
  if (f.hiddenParties.has(p.attribution?.party ?? 'none')) return false;
  if (f.hiddenConfidence.has(p.confidence?.level ?? 'single_source')) return false;
  if (f.from !== undefined || f.to !== undefined) {
    const t = Date.parse(p.start ?? '');
    if (Number.isNaN(t)) return false;
    if (f.from !== undefined && t < f.from) return false;
    if (f.to !== undefined && t > f.to) return false;
  }
  return true;
}

/** incidentData turns the incidents shown into the ellipses', the dots' and the arrows' collections. */
export function incidentData(
  incidents: Iterable<Incident>,
  filter?: IncidentFilter,
  states?: Map<string, CandidateState[]>,
): { ellipses: FeatureCollection<Polygon, Props>; points: FeatureCollection<Point, Props>; arrows: FeatureCollection } {
  const ellipses: Feature<Polygon, Props>[] = [];
  const points: Feature<Point, Props>[] = [];
  const arrows: Feature[] = [];
  const paths = new Set<string>();
  for (const i of incidents) {
    if (i.properties.merged_into || !passes(i, filter)) continue;
    const props: Props = { id: i.id, kind: kindOf(i), party: i.properties.attribution?.party ?? 'none', vstate: verificationOf(states?.get(i.id)) };
    if (i.geometry && i.geometry.type === 'Polygon') ellipses.push({ type: 'Feature', properties: props, geometry: i.geometry });
    const pos = i.properties.location?.position ?? centre(i.geometry);
    if (pos) points.push({ type: 'Feature', properties: props, geometry: { type: 'Point', coordinates: pos } });
    const o = i.properties.origin;
    const m = i.properties.impact;
    if (o?.position && m?.position) {
      // One fire is one arrow, whichever of its two incidents carries it.
      const key = `${o.incident ?? o.position.join(',')}>${m.incident ?? m.position.join(',')}`;
      if (paths.has(key)) continue;
      paths.add(key);
      arrows.push({ type: 'Feature', properties: { id: i.id, part: 'shaft', party: props.party }, geometry: { type: 'LineString', coordinates: [o.position, m.position] } });
      arrows.push({ type: 'Feature', properties: { id: i.id, part: 'head', bearing: bearing(o.position, m.position) }, geometry: { type: 'Point', coordinates: m.position } });
    }
  }
  return {
    ellipses: { type: 'FeatureCollection', features: ellipses },
    points: { type: 'FeatureCollection', features: points },
    arrows: { type: 'FeatureCollection', features: arrows },
  };
}

/** bearing is the direction from a to b on the (Mercator) map, degrees clockwise from north. */
function bearing(a: Position, b: Position): number {
  const y = (lat: number) => (Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) * 180) / Math.PI;
  const dx = (b[0] ?? 0) - (a[0] ?? 0);
  const dy = y(b[1] ?? 0) - y(a[1] ?? 0);
  return (Math.atan2(dx, dy) * 180) / Math.PI;
}

/** restrictionData is the restrictions of access as points. */
export function restrictionData(list: Iterable<Restriction>): FeatureCollection {
  const features: Feature[] = [];
  for (const r of list) {
    if (!r.geometry) continue;
    features.push({ type: 'Feature', properties: { id: r.id, outcome: r.properties.outcome }, geometry: r.geometry });
  }
  return { type: 'FeatureCollection', features };
}

/** centre is the mean of a polygon's outer ring's corners, its closing corner (the first again) counted once. */
function centre(g: Polygon | null): [number, number] | undefined {
  const ring = g?.coordinates[0];
  if (!ring || ring.length === 0) return undefined;
  const first = ring[0];
  const last = ring[ring.length - 1];
  const n = ring.length > 1 && first && last && first[0] === last[0] && first[1] === last[1] ? ring.length - 1 : ring.length;
  let x = 0;
  let y = 0;
  for (let i = 0; i < n; i++) {
    x += ring[i]?.[0] ?? 0;
    y += ring[i]?.[1] ?? 0;
  }
  return [x / n, y / n];
}

/** selectionData is what the map draws for the selected incident: a ring at its position, and its fire's path from origin to impact. */
export function selectionData(i: Incident | undefined): FeatureCollection {
  const p = i?.properties;
  const features: Feature[] = [];
  const at = p?.location?.position ?? centre(i?.geometry ?? null);
  if (at) features.push({ type: 'Feature', properties: { part: 'focus' }, geometry: { type: 'Point', coordinates: at } });
  if (p?.origin?.position && p.impact?.position) {
    features.push({ type: 'Feature', properties: { part: 'path' }, geometry: { type: 'LineString', coordinates: [p.origin.position, p.impact.position] } });
    features.push({ type: 'Feature', properties: { part: 'origin' }, geometry: { type: 'Point', coordinates: p.origin.position } });
    features.push({ type: 'Feature', properties: { part: 'impact' }, geometry: { type: 'Point', coordinates: p.impact.position } });
  }
  return { type: 'FeatureCollection', features };
}

/** contactLine is the terms' contact line, as lines. */
export function contactLine(t: TermsVersion | undefined): FeatureCollection<LineString | MultiLineString> {
  const g = t?.terms.contact_line;
  return { type: 'FeatureCollection', features: g ? [{ type: 'Feature', properties: {}, geometry: g }] : [] };
}

/** linePositions are every position of the terms' contact line, its parts one after the other. */
export function linePositions(t: TermsVersion | undefined): Position[] {
  const g = t?.terms.contact_line;
  if (!g) return [];
  return g.type === 'LineString' ? g.coordinates : g.coordinates.flat();
}

/**
 * bufferWidth is a line-width expression that draws a line as wide on the
 * ground as the buffer zone (twice its half-width), at every zoom level.
 * MapLibre's line widths are in pixels; a pixel at zoom z covers
 * 40,075,016.686 m × cos(latitude) / (512 × 2^z), so the width doubles with
 * each zoom level from its value at zoom 0. The latitude is the contact
 * line's mean: over the few degrees a contact line spans, the error is a
 * few per cent of the width.
 */
export function bufferWidth(halfWidthM: number, meanLat: number): ExpressionSpecification {
  const metresPerPixelZ0 = (40075016.686 * Math.cos((meanLat * Math.PI) / 180)) / 512;
  const w0 = (2 * halfWidthM) / metresPerPixelZ0;
  return ['interpolate', ['exponential', 2], ['zoom'], 0, w0, 24, w0 * 2 ** 24];
}

/** The layers drawn under the place names: the zones and the line. */
export function zoneLayers(): LayerSpecification[] {
  return [
    {
      id: 'buffer-zone',
      type: 'line',
      source: 'contact-line',
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': colours.buffer, 'line-width': 0 },
    },
    {
      id: 'contact-line',
      type: 'line',
      source: 'contact-line',
      layout: { 'line-join': 'round' },
      paint: { 'line-color': colours.contactLine, 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 1.5, 10, 3] },
    },
  ];
}

/** The clusters' sizes: up to 10 incidents, up to 100, more. */
const clusterRadius: ExpressionSpecification = ['step', ['get', 'point_count'], 11, 10, 15, 100, 20, 1000, 26];

/** The server's counts' sizes, as the clusters'. */
const gridRadius: ExpressionSpecification = ['step', ['get', 'count'], 9, 10, 13, 100, 18, 1000, 24, 10000, 30];

/**
 * gridLayers draw the server's counts of incidents in cells (GET
 * /api/v1/incidents/grid), when the view holds too many to draw one by one:
 * a circle sized by the count, in the clusters' colour, and the count.
 */
export function gridLayers(): LayerSpecification[] {
  return [
    {
      id: 'incident-grid',
      type: 'circle',
      source: 'incident-grid',
      paint: { 'circle-color': '#1d3557', 'circle-opacity': 0.78, 'circle-radius': gridRadius, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 },
    },
    {
      id: 'incident-grid-count',
      type: 'symbol',
      source: 'incident-grid',
      layout: { 'text-field': ['get', 'label'], 'text-font': FONT, 'text-size': 11, 'text-allow-overlap': true, 'text-ignore-placement': true },
      paint: { 'text-color': '#ffffff' },
    },
  ];
}

/** gridCell is the cell of the server's counts at a zoom, in degrees: a few thousand cells at most on a screen. */
export function gridCell(zoom: number): number {
  const c = 0.5 / 2 ** (Math.floor(zoom) - 5);
  return Math.min(10, Math.max(0.001, Number(c.toPrecision(2))));
}

/** gridLabel is a count, short: 12, 1.2k, 34k. */
export function gridLabel(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10000) return `${(n / 1000).toFixed(1)}k`;
  return `${Math.round(n / 1000)}k`;
}

/** The layers drawn over everything: incidents, arrows, restrictions, the selection. */
export function incidentLayers(colour: ExpressionSpecification): LayerSpecification[] {
  return [
    {
      id: 'incident-ellipses',
      type: 'fill',
      source: 'incident-ellipses',
      minzoom: 9,
      paint: { 'fill-color': colour, 'fill-opacity': 0.25, 'fill-outline-color': colour },
    },
    {
      id: 'arrow-shafts',
      type: 'line',
      source: 'arrows',
      minzoom: 5,
      filter: ['==', ['get', 'part'], 'shaft'],
      paint: { 'line-color': '#3b3b3b', 'line-opacity': 0.7, 'line-width': ['interpolate', ['linear'], ['zoom'], 5, 0.8, 10, 1.6] },
    },
    {
      id: 'arrow-heads',
      type: 'symbol',
      source: 'arrows',
      minzoom: 5,
      filter: ['==', ['get', 'part'], 'head'],
      layout: {
        'text-field': '\u25b2',
        'text-font': FONT,
        'text-size': ['interpolate', ['linear'], ['zoom'], 5, 9, 10, 14],
        'text-rotate': ['get', 'bearing'],
        'text-rotation-alignment': 'map',
        'text-allow-overlap': true,
        'text-ignore-placement': true,
        'text-offset': [0, 0.35],
      },
      paint: { 'text-color': '#3b3b3b', 'text-opacity': 0.85 },
    },
    {
      id: 'incident-points',
      type: 'circle',
      source: 'incident-points',
      filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-color': colour,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 2.5, 8, 4.5, 14, 6],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 0.8,
        'circle-opacity': 0.9,
      },
    },
    {
      id: 'incident-clusters',
      type: 'circle',
      source: 'incident-points',
      filter: ['has', 'point_count'],
      paint: { 'circle-color': '#1d3557', 'circle-opacity': 0.78, 'circle-radius': clusterRadius, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 },
    },
    {
      id: 'incident-cluster-count',
      type: 'symbol',
      source: 'incident-points',
      filter: ['has', 'point_count'],
      layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-font': FONT, 'text-size': 12, 'text-allow-overlap': true, 'text-ignore-placement': true },
      paint: { 'text-color': '#ffffff' },
    },
    {
      id: 'restrictions',
      type: 'circle',
      source: 'restrictions',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 4, 5, 10, 8],
        'circle-color': ['match', ['get', 'outcome'], 'denied', '#111111', '#ffffff'],
        'circle-stroke-color': '#111111',
        'circle-stroke-width': 2.5,
      },
    },
    {
      id: 'selection-path',
      type: 'line',
      source: 'selection',
      filter: ['==', ['get', 'part'], 'path'],
      paint: { 'line-color': '#111111', 'line-width': 2, 'line-dasharray': [2, 1.5] },
    },
    {
      id: 'selection-ends',
      type: 'circle',
      source: 'selection',
      filter: ['any', ['==', ['get', 'part'], 'origin'], ['==', ['get', 'part'], 'impact']],
      paint: { 'circle-radius': 5, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#111111', 'circle-stroke-width': 2 },
    },
    {
      id: 'incident-selected',
      type: 'circle',
      source: 'selection',
      filter: ['==', ['get', 'part'], 'focus'],
      paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#111111', 'circle-stroke-width': 2.5 },
    },
  ];
}

/** setVisible shows or hides a layer, if it is there. */
export function setVisible(map: MapLibreMap, id: string, visible: boolean): void {
  if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
}
