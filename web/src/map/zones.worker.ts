// Computes the withdrawal zones' polygons (zones.ts) away from the page, so
// that the map stays responsive meanwhile.
import type { Position } from 'geojson';
import { zonePolygons } from './zones';

addEventListener('message', (e: MessageEvent<{ lines: Position[][]; distances: number[] }>) => {
  try {
    postMessage({ zones: [...zonePolygons(e.data.lines, e.data.distances).entries()] });
  } catch (err) {
    postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
