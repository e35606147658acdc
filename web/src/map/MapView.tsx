// The map: the offline basemap, the terms' contact line, buffer zone and
// withdrawal zones, restrictions of access, and incidents with their
// uncertainty ellipses and their fire's arrows, kept up to date from the
// incident stream, filtered by type, party, confidence and time, grouped
// into clusters when zoomed out. Selecting an incident (a click, or the list
// for the keyboard) shows it beside the map with its observations and their
// proofs in the log.
import type { Feature, FeatureCollection, MultiPolygon, Point } from 'geojson';
import type { GeoJSONSource, MapMouseEvent, MapSourceDataEvent } from 'maplibre-gl';
import { AttributionControl, LngLatBounds, Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, message, readPages } from '../api';
import { Empty, ErrorNote, Loading } from '../components';
import { duration, label, metres, num, party, utc, utcSeconds, words } from '../format';
import { IncidentEvidence, IncidentFacts, incidentTitle } from '../IncidentDetail';
import { LogProof, restrictionRecord } from '../LogProof';
import { incidentPath, navigate, onLink } from '../router';
import { liveWords, useLive } from '../sse';
import { loadTerms, partyName } from '../terms';
import type { Candidate, CandidateState, Incident, Page, Restriction, TermsVersion, User } from '../types';
import { ATTRIBUTION, baseStyle, loadCountries, loadPlaces } from './basemap';
import { zonePolygons } from './zones';
import {
  bufferWidth,
  type ColourBy,
  colourExpression,
  contactLine,
  gridCell,
  gridLabel,
  gridLayers,
  type IncidentFilter,
  incidentData,
  incidentLayers,
  kindOf,
  kinds,
  linePositions,
  noParty,
  partyColours,
  passes,
  restrictionData,
  selectionData,
  setVisible,
  verificationKinds,
  withdrawalClasses,
  withdrawalLayers,
  zoneLayers,
} from './layers';

setWorkerUrl(workerUrl);

const incidentLimit = 1000;
/** The most pages of restrictions of access the map reads: 20,000, years of them. */
const restrictionPages = 20;
const confidenceLevels = ['single_source', 'corroborated'];
/** Above this many incidents in view, the map draws the server's counts in cells instead of the incidents. */
const gridThreshold = 2000;
/** The layers of the incidents drawn one by one, hidden while the server's counts are drawn. */
const oneByOneLayers = ['incident-ellipses', 'incident-points', 'incident-clusters', 'incident-cluster-count'];

/** gridParams are the map's filters as the grid's parameters, where the server can say them. */
function gridParams(f: IncidentFilter, parties: string[]): string {
  const q: string[] = [];
  const fireHidden = ['origin', 'impact', 'fire'].filter((k) => f.hiddenKinds.has(k)).length;
  if (fireHidden === 3 && !f.hiddenKinds.has('equipment')) q.push('class=equipment');
  else if (fireHidden === 0 && f.hiddenKinds.has('equipment')) q.push('class=fire');
  const shownConfidence = confidenceLevels.filter((c) => !f.hiddenConfidence.has(c));
  if (shownConfidence.length === 1) q.push(`confidence=${shownConfidence[0]}`);
  const shownParties = [...parties, 'none'].filter((c) => !f.hiddenParties.has(c));
  if (shownParties.length === 1 && shownParties[0] !== 'none') q.push(`party=${encodeURIComponent(shownParties[0] ?? '')}`);
  if (f.from !== undefined) q.push(`from=${encodeURIComponent(new Date(f.from).toISOString())}`);
  if (f.to !== undefined) q.push(`to=${encodeURIComponent(new Date(f.to).toISOString())}`);
  return q.map((x) => `&${x}`).join('');
}

/**
 * markDrawn records, once a page, when the map first draws a frame with the
 * data just given to source (a User Timing mark, name):
 * 'guarantor:map-line' for the contact line, 'guarantor:map-incidents' for
 * incidents one by one, 'guarantor:map-counts' for the server's counts;
 * 'guarantor:map-loaded' marks the basemap's style
 * loaded. docs/web.md says how the map is measured with them.
 */
function markDrawn(map: MapLibreMap, source: string, name: string) {
  const marked = () => performance.getEntriesByName(name, 'mark').length > 0;
  if (marked()) return;
  const onData = (e: MapSourceDataEvent) => {
    if (e.sourceId !== source || !map.isSourceLoaded(source)) return;
    map.off('sourcedata', onData);
    map.once('render', () => marked() || performance.mark(name));
  };
  map.on('sourcedata', onData);
}

type Selection = { kind: 'incident'; id: string } | { kind: 'restriction'; id: string } | undefined;

export function MapView({ focus }: { user: User; focus?: string | undefined }) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | undefined>(undefined);
  const [mapError, setMapError] = useState<unknown>();
  const [ready, setReady] = useState(false);
  const [notes, setNotes] = useState<string[]>([]);
  const note = useCallback((s: string) => setNotes((n) => (n.includes(s) ? n : [...n, s])), []);

  const [terms, setTerms] = useState<TermsVersion>();
  const [termsState, setTermsState] = useState<'loading' | 'none' | 'ok' | 'failed'>('loading');
  const incidents = useRef(new Map<string, Incident>());
  const [loadedCount, setLoadedCount] = useState(0);
  const [shownCount, setShownCount] = useState(0);
  const [incidentsState, setIncidentsState] = useState<'loading' | 'ok' | 'failed'>('loading');
  const [incidentsError, setIncidentsError] = useState<unknown>();
  const [next, setNext] = useState<string>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [selection, setSelection] = useState<Selection>(focus ? { kind: 'incident', id: focus } : undefined);
  const [colourBy, setColourBy] = useState<ColourBy>('type');
  const [version, setVersion] = useState(0); // grows as incidents change, to refresh the list

  // What is drawn.
  const [bands, setBands] = useState<Record<string, boolean>>({});
  const [showRestrictions, setShowRestrictions] = useState(true);
  const [showArrows, setShowArrows] = useState(true);
  const [cluster, setCluster] = useState(true);
  const [restrictions, setRestrictions] = useState<Restriction[]>();
  const [restrictionsError, setRestrictionsError] = useState<unknown>();

  // Which incidents are drawn.
  const parties = useMemo(() => (terms?.terms.parties ?? []).map((p) => p.code), [terms]);
  const [hiddenKinds, setHiddenKinds] = useState<Set<string>>(new Set());
  const [hiddenParties, setHiddenParties] = useState<Set<string>>(new Set());
  const [hiddenConfidence, setHiddenConfidence] = useState<Set<string>>(new Set());
  /** the time window, as minutes from the earliest incident loaded; undefined: that end is open */
  const [timeWindow, setTimeWindow] = useState<{ from?: number; to?: number }>({});

  // The verification state of each incident, from its candidates: read when asked for.
  const states = useRef(new Map<string, CandidateState[]>());
  const candidateStates = useRef(new Map<string, { incident: string; state: CandidateState }>());
  const [statesState, setStatesState] = useState<'idle' | 'loading' | 'ok' | 'failed'>('idle');
  const [statesError, setStatesError] = useState<unknown>();

  const span = useMemo(() => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of incidents.current.values()) {
      const t = Date.parse(i.properties.start ?? '');
      if (Number.isNaN(t)) continue;
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
    }
    return Number.isFinite(lo) ? { lo: Math.floor(lo / 60000) * 60000, minutes: Math.max(1, Math.ceil((hi - Math.floor(lo / 60000) * 60000) / 60000)) } : undefined;
    // version grows whenever the incidents change.
  }, [version]);

  const spanLo = span?.lo;
  const filter = useMemo<IncidentFilter>(
    () => ({
      hiddenKinds,
      hiddenParties,
      hiddenConfidence,
      from: spanLo !== undefined && timeWindow.from !== undefined ? spanLo + timeWindow.from * 60000 : undefined,
      to: spanLo !== undefined && timeWindow.to !== undefined ? spanLo + timeWindow.to * 60000 + 59999 : undefined,
    }),
    // On the span's start, not the span: the span is a new object whenever
    // the incidents change, and a new filter redraws them and rereads the
    // server's counts.
    [hiddenKinds, hiddenParties, hiddenConfidence, timeWindow, spanLo],
  );
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const partiesRef = useRef(parties);
  partiesRef.current = parties;

  // Many incidents: the server's counts in cells, while the view holds more than gridThreshold.
  const [grid, setGrid] = useState<{ total: number; cell: number } | undefined>();
  // Until the server has said how many are in view, the incidents are not
  // given to MapLibre: with many, they would be drawn for nothing.
  const [gridRead, setGridRead] = useState(false);
  const oneByOne = useRef(false);
  oneByOne.current = gridRead && !grid;
  // With few enough in view, those in view are read from the server (the
  // newest loaded need not be the ones in view): the query, bbox and filters.
  const [inView, setInView] = useState<string>();
  const gridSeq = useRef(0);
  const gridTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const readGrid = useCallback(async () => {
    const map = mapRef.current;
    if (!map || !map.getSource('incident-grid')) return;
    const seq = ++gridSeq.current;
    const b = map.getBounds();
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
    const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)].map((v) => v.toFixed(5)).join(',');
    const cell = gridCell(map.getZoom());
    const where = `bbox=${bbox}${gridParams(filterRef.current, partiesRef.current)}`;
    try {
      const fc = await get<FeatureCollection<Point, { count: number }> & { total: number }>(
        `/api/v1/incidents/grid?cell=${cell}&${where}`,
      );
      if (seq !== gridSeq.current || mapRef.current !== map) return;
      const src = map.getSource('incident-grid') as GeoJSONSource | undefined;
      if (fc.total > gridThreshold) {
        src?.setData({ type: 'FeatureCollection', features: fc.features.map((f) => ({ ...f, properties: { ...f.properties, label: gridLabel(f.properties.count) } })) });
        setGrid({ total: fc.total, cell });
        if (fc.features.length > 0) markDrawn(map, 'incident-grid', 'guarantor:map-counts');
      } else {
        src?.setData({ type: 'FeatureCollection', features: [] });
        setGrid(undefined);
        setInView(fc.total > 0 ? where : undefined);
      }
      setGridRead(true);
    } catch {
      // Without the counts (an older server, too many cells), the incidents are drawn one by one.
      if (seq !== gridSeq.current || mapRef.current !== map) return;
      (map.getSource('incident-grid') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features: [] });
      setGrid(undefined);
      setGridRead(true);
    }
  }, []);
  const scheduleGrid = useCallback(
    (ms: number) => {
      if (gridTimer.current) clearTimeout(gridTimer.current);
      gridTimer.current = setTimeout(() => {
        gridTimer.current = undefined;
        void readGrid();
      }, ms);
    },
    [readGrid],
  );
  useEffect(() => () => clearTimeout(gridTimer.current), []);

  // The map itself, once.
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    let map: MapLibreMap;
    try {
      map = new MapLibreMap({
        container: el,
        style: baseStyle(),
        center: [20, 48],
        zoom: 3,
        attributionControl: false,
        maxZoom: 18,
        fadeDuration: 0,
      });
    } catch (e) {
      setMapError(new Error(`the browser could not draw the map (${message(e)}). The map needs WebGL; the queue and the guarantees work without it.`));
      return;
    }
    mapRef.current = map;
    map.addControl(new NavigationControl({ showCompass: true }), 'top-right');
    map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-left');
    map.addControl(new AttributionControl({ compact: false, customAttribution: `${ATTRIBUTION} · Map drawn with MapLibre` }), 'bottom-right');
    // An error of the map is said beside it, not thrown into the console.
    map.on('error', (e) => note(`The map reported a problem: ${message(e.error)}`));
    map.on('load', () => {
      performance.mark('guarantor:map-loaded');
      const colour = colourExpression('type', []);
      const empty = { type: 'FeatureCollection' as const, features: [] };
      map.addSource('contact-line', { type: 'geojson', data: empty });
      map.addSource('withdrawal-zones', { type: 'geojson', data: empty });
      map.addSource('incident-ellipses', { type: 'geojson', data: empty });
      map.addSource('incident-points', { type: 'geojson', data: empty, cluster: true, clusterMaxZoom: 8, clusterRadius: 40 });
      map.addSource('arrows', { type: 'geojson', data: empty });
      map.addSource('restrictions', { type: 'geojson', data: empty });
      map.addSource('selection', { type: 'geojson', data: empty });
      map.addSource('incident-grid', { type: 'geojson', data: empty });
      for (const layer of zoneLayers()) map.addLayer(layer, 'country-labels');
      for (const layer of incidentLayers(colour)) map.addLayer(layer);
      for (const layer of gridLayers()) map.addLayer(layer, 'restrictions');
      const pick = (e: MapMouseEvent) => {
        const box: [[number, number], [number, number]] = [
          [e.point.x - 5, e.point.y - 5],
          [e.point.x + 5, e.point.y + 5],
        ];
        const hit = map.queryRenderedFeatures(box, { layers: ['restrictions', 'incident-grid', 'incident-clusters', 'incident-points', 'incident-ellipses'].filter((l) => map.getLayer(l)) })[0];
        if (!hit) {
          setSelection(undefined);
          return;
        }
        if (hit.layer.id === 'incident-grid') {
          const g = hit.geometry;
          if (g.type === 'Point') map.easeTo({ center: g.coordinates as [number, number], zoom: map.getZoom() + 2 });
          return;
        }
        if (hit.layer.id === 'incident-clusters') {
          const id = Number(hit.properties['cluster_id']);
          const g = hit.geometry;
          void (map.getSource('incident-points') as GeoJSONSource)
            .getClusterExpansionZoom(id)
            .then((z) => g.type === 'Point' && map.easeTo({ center: g.coordinates as [number, number], zoom: z + 0.5 }))
            .catch(() => undefined);
          return;
        }
        setSelection({ kind: hit.layer.id === 'restrictions' ? 'restriction' : 'incident', id: String(hit.properties['id']) });
      };
      map.on('click', pick);
      for (const l of ['incident-points', 'incident-ellipses', 'incident-clusters', 'incident-grid', 'restrictions']) {
        map.on('mouseenter', l, () => (map.getCanvas().style.cursor = 'pointer'));
        map.on('mouseleave', l, () => (map.getCanvas().style.cursor = ''));
      }
      setReady(true);
    });
    // The basemap's data, once the style is there: map.loaded() is false
    // while tiles load, so the 'load' event itself is waited for.
    const styleLoaded = new Promise<void>((resolve) => map.once('load', () => resolve()));
    Promise.all([loadCountries(), styleLoaded])
      .then(([c]) => {
        (map.getSource('countries') as GeoJSONSource | undefined)?.setData(c.shapes);
        (map.getSource('country-labels') as GeoJSONSource | undefined)?.setData(c.labels);
      })
      .catch((e: unknown) => note(`${message(e)}; the map shows no borders.`));
    Promise.all([loadPlaces(), styleLoaded])
      .then(([p]) => (map.getSource('places') as GeoJSONSource | undefined)?.setData(p))
      .catch((e: unknown) => note(`${message(e)}; the map shows no place names.`));
    return () => {
      mapRef.current = undefined;
      map.remove();
    };
  }, [note]);

  // The terms: the contact line, the buffer zone, the withdrawal zones.
  const readTerms = useCallback(async () => {
    setTermsState('loading');
    try {
      const t = await loadTerms(true);
      if (t) {
        setTerms(t);
        setTermsState('ok');
      } else setTermsState('none');
    } catch (e) {
      setTermsState('failed');
      note(`The terms could not be loaded: ${message(e)}`);
    }
  }, [note]);
  useEffect(() => void readTerms(), [readTerms]);

  const classes = useMemo(() => withdrawalClasses(terms), [terms]);
  const fitted = useRef(false);
  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    (map.getSource('contact-line') as GeoJSONSource | undefined)?.setData(contactLine(terms));
    if (terms) markDrawn(map, 'contact-line', 'guarantor:map-line');
    const pos = linePositions(terms);
    if (pos.length > 0) {
      const meanLat = pos.reduce((s, p) => s + (p[1] ?? 0), 0) / pos.length;
      map.setPaintProperty('buffer-zone', 'line-width', bufferWidth(terms?.terms.buffer_zone?.half_width_m ?? 0, meanLat));
      // The widest zone lowest, so that each narrower one is seen over it.
      for (const c of classes) {
        for (const l of withdrawalLayers(c.code, c.colour)) {
          if (map.getLayer(l.id)) map.removeLayer(l.id);
          map.addLayer(l, 'buffer-zone');
        }
      }
      if (!fitted.current && !focus) {
        const b = new LngLatBounds();
        for (const p of pos) b.extend([p[0] ?? 0, p[1] ?? 0]);
        map.fitBounds(b, { padding: 40, duration: 0 });
      }
      fitted.current = true;
    }
  }, [ready, terms, classes, focus]);

  // The zones' polygons are computed in a worker (zones.ts), once the terms are read.
  const [zonesState, setZonesState] = useState<'idle' | 'computing' | 'ok' | 'failed'>('idle');
  useEffect(() => {
    const map = mapRef.current;
    const pos = terms?.terms.contact_line;
    if (!ready || !map || !pos || classes.length === 0) return;
    const lines = pos.type === 'LineString' ? [pos.coordinates] : pos.coordinates;
    const distances = [...new Set(classes.map((c) => c.withdrawal_m))];
    const show = (zones: [number, Feature<MultiPolygon>][]) => {
      const byDistance = new Map(zones);
      const features: Feature<MultiPolygon>[] = [];
      for (const c of classes) {
        const f = byDistance.get(c.withdrawal_m);
        if (f) features.push({ ...f, properties: { code: c.code } });
      }
      (map.getSource('withdrawal-zones') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features });
      setZonesState('ok');
    };
    setZonesState('computing');
    let worker: Worker | undefined;
    try {
      worker = new Worker(new URL('./zones.worker.ts', import.meta.url), { type: 'module' });
    } catch {
      worker = undefined;
    }
    if (!worker) {
      // No worker: on the page, once it has drawn.
      const t = setTimeout(() => show([...zonePolygons(lines, distances).entries()]), 50);
      return () => clearTimeout(t);
    }
    worker.onmessage = (e: MessageEvent<{ zones?: [number, Feature<MultiPolygon>][]; error?: string }>) => {
      if (e.data.zones) show(e.data.zones);
      else {
        setZonesState('failed');
        note(`The withdrawal zones could not be drawn: ${e.data.error ?? 'unknown error'}`);
      }
      worker?.terminate();
    };
    worker.onerror = () => {
      worker?.terminate();
      show([...zonePolygons(lines, distances).entries()]);
    };
    worker.postMessage({ lines, distances });
    return () => worker?.terminate();
  }, [ready, terms, classes, note]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    for (const c of classes) {
      setVisible(map, `withdrawal-${c.code}`, bands[c.code] ?? true);
      setVisible(map, `withdrawal-${c.code}-edge`, bands[c.code] ?? true);
    }
  }, [ready, classes, bands]);

  // Restrictions of access.
  const loadRestrictions = useCallback(async () => {
    setRestrictionsError(undefined);
    try {
      // Every one, page by page: restrictions of access are few beside
      // incidents (a few a day), and each one matters.
      const { features } = await readPages<Restriction>(`/api/v1/restrictions?limit=${incidentLimit}`, restrictionPages);
      setRestrictions(features);
    } catch (e) {
      setRestrictionsError(e);
    }
  }, []);
  useEffect(() => void loadRestrictions(), [loadRestrictions]);
  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    (map.getSource('restrictions') as GeoJSONSource | undefined)?.setData(restrictionData(restrictions ?? []));
  }, [ready, restrictions]);

  // Incidents: the newest, then every change as it happens.
  const dirty = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const redraw = useCallback(() => {
    if (dirty.current) return;
    dirty.current = setTimeout(() => {
      dirty.current = undefined;
      const map = mapRef.current;
      const d = incidentData(incidents.current.values(), filterRef.current, states.current);
      // The counts are said whether or not the map is drawn yet.
      setLoadedCount([...incidents.current.values()].filter((i) => !i.properties.merged_into).length);
      setShownCount(d.points.features.length);
      setVersion((v) => v + 1);
      if (!map || !map.getSource('incident-points') || !oneByOne.current) return;
      (map.getSource('incident-ellipses') as GeoJSONSource).setData(d.ellipses);
      (map.getSource('incident-points') as GeoJSONSource).setData(d.points);
      (map.getSource('arrows') as GeoJSONSource).setData(d.arrows);
      if (d.points.features.length > 0) markDrawn(map, 'incident-points', 'guarantor:map-incidents');
    }, 200);
  }, []);
  const upsert = useCallback(
    (i: Incident) => {
      const cur = incidents.current.get(i.id);
      if (cur && cur.properties.version > i.properties.version) return;
      if (i.properties.merged_into) incidents.current.delete(i.id);
      else incidents.current.set(i.id, i);
      redraw();
    },
    [redraw],
  );

  const loadIncidents = useCallback(async () => {
    setIncidentsState('loading');
    setIncidentsError(undefined);
    try {
      const page = await get<Page<Incident>>(`/api/v1/incidents?limit=${incidentLimit}`);
      for (const i of page.features) upsert(i);
      setNext(page.next);
      setIncidentsState('ok');
    } catch (e) {
      setIncidentsError(e);
      setIncidentsState('failed');
    }
  }, [upsert]);
  useEffect(() => void loadIncidents(), [loadIncidents]);

  // The incidents in view, when the server has counted few enough to draw
  // them all: read page by page, at most gridThreshold.
  useEffect(() => {
    if (!inView) return;
    const ctl = new AbortController();
    void (async () => {
      try {
        const { features } = await readPages<Incident>(`/api/v1/incidents?limit=${incidentLimit}&${inView}`, Math.ceil(gridThreshold / incidentLimit), ctl.signal);
        if (ctl.signal.aborted) return;
        for (const i of features) upsert(i);
      } catch (e) {
        if (!ctl.signal.aborted) note(`The incidents in view could not be read: ${message(e)}`);
      }
    })();
    return () => ctl.abort();
  }, [inView, upsert, note]);
  useEffect(() => {
    if (ready) redraw();
  }, [ready, redraw, filter]);

  // The server's counts: on load, after every move (once it has stopped), and when the filters change.
  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    const moved = () => scheduleGrid(250);
    map.on('moveend', moved);
    return () => {
      map.off('moveend', moved);
    };
  }, [ready, scheduleGrid]);
  useEffect(() => {
    if (ready) scheduleGrid(250);
  }, [ready, scheduleGrid, filter, parties]);
  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    for (const l of oneByOneLayers) setVisible(map, l, !grid);
    if (gridRead && !grid) redraw();
  }, [ready, grid, gridRead, redraw]);

  const loadMore = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await get<Page<Incident>>(`/api/v1/incidents?limit=${incidentLimit}&cursor=${encodeURIComponent(next)}`);
      for (const i of page.features) upsert(i);
      setNext(page.next);
    } catch (e) {
      note(`No more incidents could be loaded: ${message(e)}`);
    } finally {
      setLoadingMore(false);
    }
  };

  // The stream is opened at once, so that changes made while the list is
  // read are not missed; an older version never replaces a newer one.
  const live = useLive('/api/v1/incidents/stream', {
    incident: (data) => {
      const i = data as Incident;
      if (!i || typeof i.id !== 'string' || !i.properties) return;
      upsert(i);
      // The server's counts follow the changes too, a few at a time.
      if (!gridTimer.current) scheduleGrid(1000);
    },
  });

  // An incident named in the address (/map?incident=…): read it if it is not among those loaded, and go to it.
  useEffect(() => {
    if (!focus) return;
    setSelection({ kind: 'incident', id: focus });
    if (incidents.current.has(focus)) return;
    get<Incident>(`/api/v1/incidents/${encodeURIComponent(focus)}`)
      .then(upsert)
      .catch((e: unknown) => note(e instanceof ApiError && e.status === 404 ? `No incident ${focus} that you may see.` : `Incident ${focus} could not be read: ${message(e)}`));
  }, [focus, upsert, note]);
  const flown = useRef<string | undefined>(undefined);
  useEffect(() => {
    const map = mapRef.current;
    const i = focus ? incidents.current.get(focus) : undefined;
    const pos = i?.properties.location?.position;
    if (!ready || !map || !pos || flown.current === focus) return;
    flown.current = focus;
    map.jumpTo({ center: pos, zoom: Math.max(map.getZoom(), 10) });
  }, [ready, focus, version]);

  // Verification states, read when the map is coloured by them, and kept up to date.
  const setStatesFrom = useCallback((list: Candidate[]) => {
    for (const c of list) {
      if (!c.properties.incident || c.properties.incident_version === 0) continue;
      if (c.properties.withdrawn) candidateStates.current.delete(c.id);
      else candidateStates.current.set(c.id, { incident: c.properties.incident, state: c.properties.state });
    }
    const m = new Map<string, CandidateState[]>();
    for (const { incident, state } of candidateStates.current.values()) m.set(incident, [...(m.get(incident) ?? []), state]);
    states.current = m;
  }, []);
  const loadStates = useCallback(async () => {
    setStatesState('loading');
    setStatesError(undefined);
    try {
      let cursor: string | undefined;
      for (let n = 0; n < 50; n++) {
        const page = await get<Page<Candidate>>(`/api/v1/candidates?limit=${incidentLimit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        setStatesFrom(page.features);
        cursor = page.next;
        if (!cursor) break;
      }
      setStatesState('ok');
      redraw();
    } catch (e) {
      setStatesError(e);
      setStatesState('failed');
    }
  }, [setStatesFrom, redraw]);
  useEffect(() => {
    if (colourBy === 'verification' && statesState === 'idle') void loadStates();
  }, [colourBy, statesState, loadStates]);
  useLive(colourBy === 'verification' ? '/api/v1/candidates/stream' : undefined, {
    candidate: (data) => {
      const c = data as Candidate;
      if (!c || typeof c.id !== 'string' || !c.properties) return;
      setStatesFrom([c]);
      redraw();
    },
  });

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    const colour = colourExpression(colourBy, parties);
    for (const l of ['incident-points', 'incident-ellipses']) {
      map.setPaintProperty(l, l === 'incident-points' ? 'circle-color' : 'fill-color', colour);
    }
    map.setPaintProperty('incident-ellipses', 'fill-outline-color', colour);
  }, [ready, colourBy, parties]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    setVisible(map, 'restrictions', showRestrictions);
    setVisible(map, 'arrow-shafts', showArrows && !grid);
    setVisible(map, 'arrow-heads', showArrows && !grid);
  }, [ready, showRestrictions, showArrows, grid]);

  useEffect(() => {
    const map = mapRef.current;
    const src = map?.getSource('incident-points') as GeoJSONSource | undefined;
    if (!ready || !src) return;
    src.setClusterOptions({ cluster, clusterMaxZoom: 8, clusterRadius: 40 }).catch((e: unknown) => note(`The incidents could not be grouped: ${message(e)}`));
  }, [ready, cluster, note]);

  const selected = selection?.kind === 'incident' ? incidents.current.get(selection.id) : undefined;
  const selectedRestriction = selection?.kind === 'restriction' ? restrictions?.find((r) => r.id === selection.id) : undefined;
  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    (map.getSource('selection') as GeoJSONSource | undefined)?.setData(selectionData(selected));
  }, [ready, selected]);

  const flyTo = (i: Incident) => {
    setSelection({ kind: 'incident', id: i.id });
    const pos = i.properties.location?.position;
    const map = mapRef.current;
    if (pos && map) map.easeTo({ center: pos, zoom: Math.max(map.getZoom(), 9) });
  };

  const fitLine = () => {
    const pos = linePositions(terms);
    const map = mapRef.current;
    if (!map || pos.length === 0) return;
    const b = new LngLatBounds();
    for (const p of pos) b.extend([p[0] ?? 0, p[1] ?? 0]);
    map.fitBounds(b, { padding: 40 });
  };

  const latest = useMemo(
    () =>
      [...incidents.current.values()]
        .filter((i) => !i.properties.merged_into && passes(i, filter))
        .sort((a, b) => (b.properties.start ?? '').localeCompare(a.properties.start ?? ''))
        .slice(0, 30),
    // version grows whenever the incidents change.
    [version, filter],
  );

  const closeSelection = () => {
    setSelection(undefined);
    if (focus) navigate('/map', true);
  };

  return (
    <div class="mapview">
      <div class="map-wrap">
        {mapError !== undefined ? (
          <ErrorNote error={mapError} what="The map cannot be shown" />
        ) : (
          <div class="map" ref={container} role="region" aria-label="Map of incidents; with the focus on the map, the arrows pan and + and − zoom" />
        )}
        {!ready && mapError === undefined && (
          <div class="map-overlay">
            <Loading what="Drawing the map…" />
          </div>
        )}
      </div>
      <aside class={`side ${selection ? 'wide' : ''}`} aria-label="Incidents">
        {notes.map((n) => (
          <p class="warning" role="alert" key={n}>
            {n}
          </p>
        ))}
        {selection?.kind === 'incident' ? (
          selected ? (
            <IncidentPanel i={selected} terms={terms} onClose={closeSelection} />
          ) : (
            <div class="incident">
              <div class="toolbar">
                <button type="button" onClick={closeSelection}>
                  ← All incidents
                </button>
              </div>
              <Loading what="Reading the incident…" />
            </div>
          )
        ) : selection?.kind === 'restriction' && selectedRestriction ? (
          <RestrictionPanel r={selectedRestriction} terms={terms} onClose={closeSelection} />
        ) : (
          <>
            <div class="toolbar">
              <span class={`live ${live}`} title="Updates from the server as they happen">
                {liveWords(live)}
              </span>
              {termsState === 'ok' && (
                <button type="button" class="link" onClick={fitLine}>
                  Show the whole line
                </button>
              )}
            </div>
            <TermsSummary terms={terms} state={termsState} retry={() => void readTerms()} />
            <Layers
              classes={classes}
              bands={bands}
              setBands={setBands}
              restrictions={restrictions}
              restrictionsError={restrictionsError}
              retryRestrictions={() => void loadRestrictions()}
              showRestrictions={showRestrictions}
              setShowRestrictions={setShowRestrictions}
              showArrows={showArrows}
              setShowArrows={setShowArrows}
              cluster={cluster}
              setCluster={setCluster}
              zonesState={zonesState}
            />
            <h2>Incidents</h2>
            {grid && (
              <p class="hint" aria-live="polite">
                {num(grid.total)} incidents in view, counted by the server in {grid.cell}° cells; zoom in to see them one by one.
              </p>
            )}
            {incidentsState === 'loading' && loadedCount === 0 ? (
              <Loading what="Loading incidents…" />
            ) : incidentsState === 'failed' && loadedCount === 0 ? (
              <ErrorNote error={incidentsError} what="The incidents could not be loaded" retry={() => void loadIncidents()} />
            ) : loadedCount === 0 ? (
              <Empty>No incident that you may see. New ones appear here as fusion finds them.</Empty>
            ) : (
              <p class="muted" aria-live="polite">
                {num(shownCount)} shown
                {shownCount !== loadedCount ? ` of ${num(loadedCount)} loaded` : ''}
                {next ? `: the ${num(incidentLimit)} most recent, those that came since, and all those in view once ${num(gridThreshold)} or fewer are` : ''}.
                {next && (
                  <button type="button" class="link" disabled={loadingMore} onClick={() => void loadMore()}>
                    {loadingMore ? 'Loading…' : `Load ${num(incidentLimit)} older`}
                  </button>
                )}
              </p>
            )}
            <Legend colourBy={colourBy} setColourBy={setColourBy} parties={parties} statesState={statesState} statesError={statesError} retryStates={() => void loadStates()} />
            {loadedCount > 0 && (
              <Filters
                terms={terms}
                parties={parties}
                hiddenKinds={hiddenKinds}
                setHiddenKinds={setHiddenKinds}
                hiddenParties={hiddenParties}
                setHiddenParties={setHiddenParties}
                hiddenConfidence={hiddenConfidence}
                setHiddenConfidence={setHiddenConfidence}
                span={span}
                window={timeWindow}
                setWindow={setTimeWindow}
              />
            )}
            {latest.length > 0 && (
              <>
                <h3>Latest</h3>
                <ul class="incident-list">
                  {latest.map((i) => (
                    <li key={i.id}>
                      <button type="button" class="link" onClick={() => flyTo(i)}>
                        <span class="swatch" style={{ background: kinds.find((k) => k.key === kindOf(i))?.colour ?? noParty }} />
                        {utc(i.properties.start)} · {words(i.properties.class)} {i.properties.role && i.properties.role !== 'unknown' ? words(i.properties.role) : ''} ·{' '}
                        {party(i.properties.attribution?.party)}
                      </button>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </aside>
    </div>
  );
}

function TermsSummary({ terms, state, retry }: { terms: TermsVersion | undefined; state: string; retry: () => void }) {
  if (state === 'loading') return <Loading what="Loading the terms…" />;
  if (state === 'none') return <p class="muted">No terms are in force: no contact line to draw.</p>;
  if (state === 'failed' || !terms)
    return (
      <p class="muted">
        The contact line is not drawn.{' '}
        <button type="button" class="link" onClick={retry}>
          Try again
        </button>
      </p>
    );
  const t = terms.terms;
  return (
    <div class="terms">
      <p>
        <strong>{t.title ?? t.id}</strong>, version {t.version}
        {t.illustrative ? ' (illustrative)' : ''}
      </p>
      <ul class="legend">
        <li>
          <span class="line-swatch contact" /> Contact line
        </li>
        {t.buffer_zone && (
          <li>
            <span class="line-swatch buffer" /> Buffer zone, {metres(t.buffer_zone.half_width_m)} each side
          </li>
        )}
      </ul>
      {t.parties && t.parties.length > 0 && <p class="muted">{t.parties.map((p) => `${p.code}: ${p.name}`).join('; ')}</p>}
    </div>
  );
}

interface LayersProps {
  classes: ReturnType<typeof withdrawalClasses>;
  bands: Record<string, boolean>;
  setBands: (b: Record<string, boolean>) => void;
  restrictions: Restriction[] | undefined;
  restrictionsError: unknown;
  retryRestrictions: () => void;
  showRestrictions: boolean;
  setShowRestrictions: (v: boolean) => void;
  showArrows: boolean;
  setShowArrows: (v: boolean) => void;
  cluster: boolean;
  setCluster: (v: boolean) => void;
  zonesState: string;
}

function Layers(p: LayersProps) {
  const denied = (p.restrictions ?? []).filter((r) => r.properties.outcome === 'denied').length;
  return (
    <details class="panel-section" open>
      <summary>Layers</summary>
      {p.classes.length > 0 && (
        <fieldset class="checks">
          <legend>Withdrawal zones, by weapon class{p.zonesState === 'computing' ? ' (being drawn…)' : ''}</legend>
          {p.classes.map((c) => (
            <label key={c.code}>
              <input type="checkbox" checked={p.bands[c.code] ?? true} onChange={(e) => p.setBands({ ...p.bands, [c.code]: (e.target as HTMLInputElement).checked })} />
              <span class="band-swatch" style={{ background: c.colour }} /> {c.name}: {metres(c.withdrawal_m)} each side
            </label>
          ))}
        </fieldset>
      )}
      <fieldset class="checks">
        <legend>Also drawn</legend>
        <label>
          <input type="checkbox" checked={p.showRestrictions} onChange={(e) => p.setShowRestrictions((e.target as HTMLInputElement).checked)} />
          <span class="ring-swatch" /> Restrictions of access
          {p.restrictions ? ` (${p.restrictions.length}${denied ? `, ${denied} denied: filled` : ''})` : ''}
        </label>
        {p.restrictionsError !== undefined && <ErrorNote error={p.restrictionsError} what="The restrictions could not be read" retry={p.retryRestrictions} />}
        <label>
          <input type="checkbox" checked={p.showArrows} onChange={(e) => p.setShowArrows((e.target as HTMLInputElement).checked)} />
          <span class="arrow-swatch" aria-hidden="true">
            →
          </span>{' '}
          Fire from origin to impact (from zoom 5)
        </label>
        <label>
          <input type="checkbox" checked={p.cluster} onChange={(e) => p.setCluster((e.target as HTMLInputElement).checked)} />
          <span class="cluster-swatch" aria-hidden="true" /> Group nearby incidents when zoomed out (to zoom 8; a click opens a group)
        </label>
      </fieldset>
    </details>
  );
}

interface FiltersProps {
  terms: TermsVersion | undefined;
  parties: string[];
  hiddenKinds: Set<string>;
  setHiddenKinds: (s: Set<string>) => void;
  hiddenParties: Set<string>;
  setHiddenParties: (s: Set<string>) => void;
  hiddenConfidence: Set<string>;
  setHiddenConfidence: (s: Set<string>) => void;
  span: { lo: number; minutes: number } | undefined;
  window: { from?: number; to?: number };
  setWindow: (w: { from?: number; to?: number }) => void;
}

function toggle(set: Set<string>, key: string, on: boolean): Set<string> {
  const s = new Set(set);
  if (on) s.delete(key);
  else s.add(key);
  return s;
}

function Filters(p: FiltersProps) {
  const span = p.span;
  const from = p.window.from ?? 0;
  const to = p.window.to ?? span?.minutes ?? 0;
  const at = (m: number) => (span ? utc(new Date(span.lo + m * 60000).toISOString()) : '—');
  const narrowed = p.hiddenKinds.size + p.hiddenParties.size + p.hiddenConfidence.size > 0 || p.window.from !== undefined || p.window.to !== undefined;
  const step = span && span.minutes > 20_000 ? 60 : span && span.minutes > 3_000 ? 10 : 1;
  return (
    <details class="panel-section" open>
      <summary>Filters{narrowed ? ' (some incidents hidden)' : ''}</summary>
      <fieldset class="checks">
        <legend>Type</legend>
        {kinds.map((k) => (
          <label key={k.key}>
            <input type="checkbox" checked={!p.hiddenKinds.has(k.key)} onChange={(e) => p.setHiddenKinds(toggle(p.hiddenKinds, k.key, (e.target as HTMLInputElement).checked))} /> {k.words}
          </label>
        ))}
      </fieldset>
      <fieldset class="checks">
        <legend>Attributed to</legend>
        {[...p.parties, 'none'].map((code) => (
          <label key={code}>
            <input type="checkbox" checked={!p.hiddenParties.has(code)} onChange={(e) => p.setHiddenParties(toggle(p.hiddenParties, code, (e.target as HTMLInputElement).checked))} />{' '}
            {code === 'none' ? 'Not attributable' : partyName(p.terms, code)}
          </label>
        ))}
      </fieldset>
      <fieldset class="checks">
        <legend>Confidence</legend>
        {confidenceLevels.map((c) => (
          <label key={c}>
            <input type="checkbox" checked={!p.hiddenConfidence.has(c)} onChange={(e) => p.setHiddenConfidence(toggle(p.hiddenConfidence, c, (e.target as HTMLInputElement).checked))} />{' '}
            {c === 'single_source' ? 'Single source' : 'Corroborated by independent sources'}
          </label>
        ))}
      </fieldset>
      {span && (
        <fieldset class="time">
          <legend>Time of the incidents loaded</legend>
          <TimeSlider name="From" value={from} max={span.minutes} step={step} at={at} onValue={(v) => p.setWindow({ from: v <= 0 ? undefined : Math.min(v, to), to: p.window.to })} />
          {/* At the end, the window follows new incidents as they come. */}
          <TimeSlider name="To" value={to} max={span.minutes} step={step} at={at} onValue={(v) => p.setWindow({ from: p.window.from, to: v >= span.minutes ? undefined : Math.max(v, from) })} />
          <p class="hint">
            {duration((to - from) * 60000)} of {duration(span.minutes * 60000)}
            {p.window.to === undefined ? ', up to the latest' : ''}.
          </p>
        </fieldset>
      )}
      {narrowed && (
        <button
          type="button"
          class="link"
          onClick={() => {
            p.setHiddenKinds(new Set());
            p.setHiddenParties(new Set());
            p.setHiddenConfidence(new Set());
            p.setWindow({});
          }}
        >
          Show every incident
        </button>
      )}
    </details>
  );
}

interface LegendProps {
  colourBy: ColourBy;
  setColourBy: (c: ColourBy) => void;
  parties: string[];
  statesState: string;
  statesError: unknown;
  retryStates: () => void;
}

function Legend({ colourBy, setColourBy, parties, statesState, statesError, retryStates }: LegendProps) {
  return (
    <div class="legend-box">
      <fieldset class="segmented">
        <legend>Colour incidents by</legend>
        <label>
          <input type="radio" name="colour-by" checked={colourBy === 'type'} onChange={() => setColourBy('type')} /> type
        </label>
        <label>
          <input type="radio" name="colour-by" checked={colourBy === 'party'} onChange={() => setColourBy('party')} /> party
        </label>
        <label>
          <input type="radio" name="colour-by" checked={colourBy === 'verification'} onChange={() => setColourBy('verification')} /> verification
        </label>
      </fieldset>
      {colourBy === 'verification' && statesState === 'loading' && <Loading what="Reading the candidates' states…" />}
      {colourBy === 'verification' && statesState === 'failed' && <ErrorNote error={statesError} what="The verification states could not be read" retry={retryStates} />}
      <ul class="legend">
        {colourBy === 'type'
          ? kinds.map((k) => (
              <li key={k.key}>
                <span class="swatch" style={{ background: k.colour }} /> {k.words}
              </li>
            ))
          : colourBy === 'verification'
            ? verificationKinds.map((k) => (
                <li key={k.key}>
                  <span class="swatch" style={{ background: k.colour }} /> {k.words}
                </li>
              ))
            : [
                ...partyColours(parties).map((p) => (
                  <li key={p.code}>
                    <span class="swatch" style={{ background: p.colour }} /> Party {p.code}
                  </li>
                )),
                <li key="none">
                  <span class="swatch" style={{ background: noParty }} /> Not attributable
                </li>,
              ]}
      </ul>
      <p class="muted">Each dot is an incident's position; from zoom 9 its 95 % uncertainty ellipse is drawn around it.</p>
    </div>
  );
}

function IncidentPanel({ i, terms, onClose }: { i: Incident; terms: TermsVersion | undefined; onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), [i.id]);
  return (
    <div class="incident" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div class="toolbar">
        <button type="button" ref={closeRef} onClick={onClose}>
          ← All incidents
        </button>
        <a href={incidentPath(i.id)} onClick={onLink(incidentPath(i.id))}>
          Open as a page
        </a>
      </div>
      <h2>
        <span class="swatch" style={{ background: kinds.find((k) => k.key === kindOf(i))?.colour ?? noParty }} /> {incidentTitle(i)}
      </h2>
      <IncidentFacts i={i} terms={terms} />
      <IncidentEvidence key={i.id} id={i.id} narrow delay={150} />
    </div>
  );
}

function RestrictionPanel({ r, terms, onClose }: { r: Restriction; terms: TermsVersion | undefined; onClose: () => void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), [r.id]);
  const p = r.properties;
  return (
    <div class="incident" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div class="toolbar">
        <button type="button" ref={closeRef} onClick={onClose}>
          ← All incidents
        </button>
      </div>
      <h2>
        <span class={`ring-swatch ${p.outcome}`} /> Restriction of access: {p.outcome === 'denied' ? 'denied' : 'delayed'}
      </h2>
      <dl class="facts">
        <dt>Time</dt>
        <dd>{utcSeconds(p.time)}</dd>
        <dt>Checkpoint</dt>
        <dd>{p.checkpoint ?? '—'}</dd>
        <dt>By</dt>
        <dd>{p.party ? partyName(terms, p.party) : 'not known'}</dd>
        <dt>Outcome</dt>
        <dd>{p.outcome === 'denied' ? `denied${p.delay_s > 0 ? ` after ${duration(p.delay_s * 1000)}` : ''}` : `delayed ${duration(p.delay_s * 1000)}, then let through`}</dd>
        <dt>Patrol</dt>
        <dd>{p.patrol_size} monitor(s)</dd>
        <dt>Reason given</dt>
        <dd>{p.reason ?? '—'}</dd>
        {p.notes && (
          <>
            <dt>Notes</dt>
            <dd class="reason-text">{p.notes}</dd>
          </>
        )}
        <dt>Releasability</dt>
        <dd>{label(p.releasability)}</dd>
        <dt>Id</dt>
        <dd>
          <code>{r.id}</code>
        </dd>
      </dl>
      <LogProof record={restrictionRecord(r.id)} />
    </div>
  );
}

/** TimeSlider is one end of the time window: minutes from the earliest incident loaded, said as a time. */
function TimeSlider(p: { name: string; value: number; max: number; step: number; at: (m: number) => string; onValue: (m: number) => void }) {
  return (
    <label>
      {p.name} <output>{p.at(p.value)}</output>
      <input
        type="range"
        min={0}
        max={p.max}
        step={p.step}
        value={p.value}
        aria-valuetext={p.at(p.value)}
        onInput={(e) => p.onValue(Number((e.target as HTMLInputElement).value))}
      />
    </label>
  );
}
