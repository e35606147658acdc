// The mission's layers over the basemap: the contact line, the buffer zone,
// and incidents (their 95 % uncertainty ellipses, and a dot at each
// position, so that a 10 m ellipse is still seen at the scale of a front).
import type { Feature, FeatureCollection, LineString, MultiLineString, Point, Polygon, Position } from 'geojson';
import type { ExpressionSpecification, LayerSpecification, Map as MapLibreMap } from 'maplibre-gl';
import type { Incident, TermsVersion } from '../types';
import { colours } from './basemap';

export type ColourBy = 'type' | 'party';

/** The kinds of incident the map tells apart, with their colours (Okabe–Ito, safe for colour-blind readers). */
export const kinds = [
  { key: 'origin', words: 'Fire: origin (launch, shot)', colour: '#d55e00' },
  { key: 'impact', words: 'Fire: impact', colour: '#e69f00' },
  { key: 'fire', words: 'Fire: not located as either', colour: '#cc79a7' },
  { key: 'equipment', words: 'Equipment seen', colour: '#0072b2' },
] as const;

const partyPalette = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#56b4e9', '#f0e442'];
export const noParty = '#7a7a7a';

export function partyColours(codes: string[]): { code: string; colour: string }[] {
  return codes.map((code, i) => ({ code, colour: partyPalette[i % partyPalette.length] ?? noParty }));
}

export function kindOf(i: Incident): string {
  const p = i.properties;
  if (p.class === 'equipment') return 'equipment';
  if (p.role === 'origin') return 'origin';
  if (p.role === 'impact') return 'impact';
  return 'fire';
}

export function colourExpression(by: ColourBy, parties: string[]): ExpressionSpecification {
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
}

/** incidentData turns incidents into the ellipses' and the dots' collections. */
export function incidentData(incidents: Iterable<Incident>): { ellipses: FeatureCollection<Polygon, Props>; points: FeatureCollection<Point, Props> } {
  const ellipses: Feature<Polygon, Props>[] = [];
  const points: Feature<Point, Props>[] = [];
  for (const i of incidents) {
    if (i.properties.merged_into) continue;
    const props: Props = { id: i.id, kind: kindOf(i), party: i.properties.attribution?.party ?? 'none' };
    if (i.geometry && i.geometry.type === 'Polygon') ellipses.push({ type: 'Feature', properties: props, geometry: i.geometry });
    const pos = i.properties.location?.position ?? centre(i.geometry);
    if (pos) points.push({ type: 'Feature', properties: props, geometry: { type: 'Point', coordinates: pos } });
  }
  return { ellipses: { type: 'FeatureCollection', features: ellipses }, points: { type: 'FeatureCollection', features: points } };
}

function centre(g: Polygon | null): [number, number] | undefined {
  const ring = g?.coordinates[0];
  if (!ring || ring.length === 0) return undefined;
  let x = 0;
  let y = 0;
  for (const p of ring) {
    x += p[0] ?? 0;
    y += p[1] ?? 0;
  }
  return [x / ring.length, y / ring.length];
}

/** selectionData is what the map draws for the selected incident: its fire's path from origin to impact. */
export function selectionData(i: Incident | undefined): FeatureCollection {
  const p = i?.properties;
  const features: Feature[] = [];
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

export function missionLayers(colour: ExpressionSpecification): LayerSpecification[] {
  return [
    {
      id: 'buffer-zone',
      type: 'line',
      source: 'contact-line',
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': colours.buffer, 'line-opacity': 0.45, 'line-width': 0 },
    },
    {
      id: 'contact-line',
      type: 'line',
      source: 'contact-line',
      layout: { 'line-join': 'round' },
      paint: { 'line-color': colours.contactLine, 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 1.5, 10, 3] },
    },
    {
      id: 'incident-ellipses',
      type: 'fill',
      source: 'incident-ellipses',
      minzoom: 9,
      paint: { 'fill-color': colour, 'fill-opacity': 0.25, 'fill-outline-color': colour },
    },
    {
      id: 'incident-points',
      type: 'circle',
      source: 'incident-points',
      paint: {
        'circle-color': colour,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 2.5, 8, 4.5, 14, 6],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 0.8,
        'circle-opacity': 0.9,
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
      filter: ['!=', ['get', 'part'], 'path'],
      paint: { 'circle-radius': 5, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#111111', 'circle-stroke-width': 2 },
    },
    {
      id: 'incident-selected',
      type: 'circle',
      source: 'incident-points',
      filter: ['==', ['get', 'id'], ''],
      paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#111111', 'circle-stroke-width': 2.5 },
    },
  ];
}

/** setSelected rings the selected incident. */
export function setSelected(map: MapLibreMap, id: string | undefined): void {
  if (map.getLayer('incident-selected')) map.setFilter('incident-selected', ['==', ['get', 'id'], id ?? '']);
}
