// The map: the offline basemap, the terms' contact line and buffer zone,
// and incidents with their uncertainty ellipses, kept up to date from the
// incident stream. Selecting an incident (a click, or the list for the
// keyboard) shows its properties beside the map.
import type { GeoJSONSource, MapMouseEvent } from 'maplibre-gl';
import { AttributionControl, LngLatBounds, Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, message } from '../api';
import { Empty, ErrorNote, Loading } from '../components';
import { casualties, label, metres, party, percent, utc, utcSeconds, words } from '../format';
import { liveWords, useLive } from '../sse';
import type { Incident, Page, TermsVersion, User } from '../types';
import { ATTRIBUTION, baseStyle, loadCountries, loadPlaces } from './basemap';
import {
  bufferWidth,
  type ColourBy,
  colourExpression,
  contactLine,
  incidentData,
  kindOf,
  kinds,
  linePositions,
  missionLayers,
  noParty,
  partyColours,
  selectionData,
  setSelected,
} from './layers';

setWorkerUrl(workerUrl);

const incidentLimit = 1000;

export function MapView(_: { user: User }) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | undefined>(undefined);
  const [mapError, setMapError] = useState<unknown>();
  const [ready, setReady] = useState(false);
  const [notes, setNotes] = useState<string[]>([]);
  const note = useCallback((s: string) => setNotes((n) => (n.includes(s) ? n : [...n, s])), []);

  const [terms, setTerms] = useState<TermsVersion>();
  const [termsState, setTermsState] = useState<'loading' | 'none' | 'ok' | 'failed'>('loading');
  const incidents = useRef(new Map<string, Incident>());
  const [count, setCount] = useState(0);
  const [incidentsState, setIncidentsState] = useState<'loading' | 'ok' | 'failed'>('loading');
  const [incidentsError, setIncidentsError] = useState<unknown>();
  const [more, setMore] = useState(false);
  const [selectedId, setSelectedId] = useState<string>();
  const [colourBy, setColourBy] = useState<ColourBy>('type');
  const [version, setVersion] = useState(0); // grows as incidents change, to refresh the list

  const parties = useMemo(() => (terms?.terms.parties ?? []).map((p) => p.code), [terms]);

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
      const colour = colourExpression('type', []);
      map.addSource('contact-line', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      map.addSource('incident-ellipses', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      map.addSource('incident-points', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      map.addSource('selection', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      for (const layer of missionLayers(colour)) map.addLayer(layer, layer.id.startsWith('incident') || layer.id.startsWith('selection') ? undefined : 'country-labels');
      const pick = (e: MapMouseEvent) => {
        const box: [[number, number], [number, number]] = [
          [e.point.x - 5, e.point.y - 5],
          [e.point.x + 5, e.point.y + 5],
        ];
        const hit = map.queryRenderedFeatures(box, { layers: ['incident-points', 'incident-ellipses'] })[0];
        setSelectedId(hit ? String(hit.properties['id']) : undefined);
      };
      map.on('click', pick);
      for (const l of ['incident-points', 'incident-ellipses']) {
        map.on('mouseenter', l, () => (map.getCanvas().style.cursor = 'pointer'));
        map.on('mouseleave', l, () => (map.getCanvas().style.cursor = ''));
      }
      setReady(true);
    });
    loadCountries()
      .then((c) => {
        const set = () => {
          (map.getSource('countries') as GeoJSONSource | undefined)?.setData(c.shapes);
          (map.getSource('country-labels') as GeoJSONSource | undefined)?.setData(c.labels);
        };
        if (map.loaded()) set();
        else map.once('load', set);
      })
      .catch((e: unknown) => note(`${message(e)}; the map shows no borders.`));
    loadPlaces()
      .then((p) => {
        const set = () => (map.getSource('places') as GeoJSONSource | undefined)?.setData(p);
        if (map.loaded()) set();
        else map.once('load', set);
      })
      .catch((e: unknown) => note(`${message(e)}; the map shows no place names.`));
    return () => {
      mapRef.current = undefined;
      map.remove();
    };
  }, [note]);

  // The terms: the contact line and the buffer zone.
  const loadTerms = useCallback(async () => {
    setTermsState('loading');
    try {
      setTerms(await get<TermsVersion>('/api/v1/terms'));
      setTermsState('ok');
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setTermsState('none');
      else {
        setTermsState('failed');
        note(`The terms could not be loaded: ${message(e)}`);
      }
    }
  }, [note]);
  useEffect(() => void loadTerms(), [loadTerms]);

  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    (map.getSource('contact-line') as GeoJSONSource | undefined)?.setData(contactLine(terms));
    const pos = linePositions(terms);
    if (pos.length > 0) {
      const meanLat = pos.reduce((s, p) => s + (p[1] ?? 0), 0) / pos.length;
      map.setPaintProperty('buffer-zone', 'line-width', bufferWidth(terms?.terms.buffer_zone?.half_width_m ?? 0, meanLat));
      const b = new LngLatBounds();
      for (const p of pos) b.extend([p[0] ?? 0, p[1] ?? 0]);
      map.fitBounds(b, { padding: 40, duration: 0 });
    }
  }, [ready, terms]);

  // Incidents: the newest, then every change as it happens.
  const dirty = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const redraw = useCallback(() => {
    if (dirty.current) return;
    dirty.current = setTimeout(() => {
      dirty.current = undefined;
      const map = mapRef.current;
      if (!map || !map.getSource('incident-points')) return;
      const d = incidentData(incidents.current.values());
      (map.getSource('incident-ellipses') as GeoJSONSource).setData(d.ellipses);
      (map.getSource('incident-points') as GeoJSONSource).setData(d.points);
      setCount(d.points.features.length);
      setVersion((v) => v + 1);
    }, 250);
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
      setMore(!!page.next);
      setIncidentsState('ok');
    } catch (e) {
      setIncidentsError(e);
      setIncidentsState('failed');
    }
  }, [upsert]);
  useEffect(() => void loadIncidents(), [loadIncidents]);
  useEffect(() => {
    if (ready) redraw();
  }, [ready, redraw]);

  // The stream is opened at once, so that changes made while the list is
  // read are not missed; an older version never replaces a newer one.
  const live = useLive('/api/v1/incidents/stream', {
    incident: (data) => {
      const i = data as Incident;
      if (i && typeof i.id === 'string' && i.properties) upsert(i);
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

  const selected = selectedId ? incidents.current.get(selectedId) : undefined;
  useEffect(() => {
    const map = mapRef.current;
    if (!ready || !map) return;
    setSelected(map, selectedId);
    (map.getSource('selection') as GeoJSONSource | undefined)?.setData(selectionData(selected));
  }, [ready, selectedId, selected]);

  const flyTo = (i: Incident) => {
    setSelectedId(i.id);
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
        .filter((i) => !i.properties.merged_into)
        .sort((a, b) => (b.properties.start ?? '').localeCompare(a.properties.start ?? ''))
        .slice(0, 30),
    // version grows whenever the incidents change.
    [version],
  );

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
      <aside class="side" aria-label="Incidents">
        {notes.map((n) => (
          <p class="warning" role="alert" key={n}>
            {n}
          </p>
        ))}
        {selected ? (
          <IncidentPanel i={selected} onClose={() => setSelectedId(undefined)} />
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
            <TermsSummary terms={terms} state={termsState} retry={() => void loadTerms()} />
            <h2>Incidents</h2>
            {incidentsState === 'loading' && count === 0 ? (
              <Loading what="Loading incidents…" />
            ) : incidentsState === 'failed' && count === 0 ? (
              <ErrorNote error={incidentsError} what="The incidents could not be loaded" retry={() => void loadIncidents()} />
            ) : count === 0 ? (
              <Empty>No incident that you may see. New ones appear here as fusion finds them.</Empty>
            ) : (
              <p class="muted">
                {count} shown{more ? `: the ${incidentLimit} most recent, and those that came since` : ''}.
              </p>
            )}
            <Legend colourBy={colourBy} setColourBy={setColourBy} parties={parties} />
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

function Legend({ colourBy, setColourBy, parties }: { colourBy: ColourBy; setColourBy: (c: ColourBy) => void; parties: string[] }) {
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
      </fieldset>
      <ul class="legend">
        {colourBy === 'type'
          ? kinds.map((k) => (
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

function IncidentPanel({ i, onClose }: { i: Incident; onClose: () => void }) {
  const p = i.properties;
  const a = p.attribution;
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), [i.id]);
  return (
    <div class="incident" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div class="toolbar">
        <button type="button" ref={closeRef} onClick={onClose}>
          ← All incidents
        </button>
      </div>
      <h2>
        <span class="swatch" style={{ background: kinds.find((k) => k.key === kindOf(i))?.colour ?? noParty }} /> {words(p.class)}
        {p.role && p.role !== 'unknown' ? `, ${words(p.role)}` : ''}
      </h2>
      <dl class="facts">
        <dt>Time</dt>
        <dd>
          {utcSeconds(p.start)}
          {p.end && p.end !== p.start ? ` to ${utcSeconds(p.end)}` : ''}
        </dd>
        <dt>Party</dt>
        <dd>
          {party(a?.party)}
          {a?.probability !== undefined && ` (probability ${percent(a.probability)})`}
          {a?.reason && <div class="muted">{a.reason}</div>}
        </dd>
        {a?.signed_distance_m !== undefined && (
          <>
            <dt>From the line</dt>
            <dd>
              {metres(Math.abs(a.signed_distance_m))} {a.signed_distance_m >= 0 ? 'left' : 'right'} of it
              {a.distance_sigma_m !== undefined && ` (± ${metres(a.distance_sigma_m)})`}
            </dd>
          </>
        )}
        {a?.zones && a.zones.length > 0 && (
          <>
            <dt>Zones</dt>
            <dd>{a.zones.map((z) => words(z)).join('; ')}</dd>
          </>
        )}
        {p.weapon_class && (
          <>
            <dt>Weapon class</dt>
            <dd>{words(p.weapon_class)}</dd>
          </>
        )}
        <dt>Position</dt>
        <dd>
          {p.location?.position ? `${p.location.position[1].toFixed(4)}° N, ${p.location.position[0].toFixed(4)}° E` : '—'}
          {p.location?.ellipse_95 && (
            <div class="muted">
              95 % ellipse {metres(p.location.ellipse_95.semi_major_m)} × {metres(p.location.ellipse_95.semi_minor_m)}, axis at {Math.round(p.location.ellipse_95.azimuth_deg)}°
            </div>
          )}
        </dd>
        {(p.origin || p.impact) && (
          <>
            <dt>Fire</dt>
            <dd>
              {p.origin ? 'origin located' : 'origin not located'}; {p.impact ? 'impact located' : 'impact not located'}
              {p.linked && (
                <div class="muted">
                  linked to <code>{p.linked}</code>
                </div>
              )}
            </dd>
          </>
        )}
        <dt>Casualties</dt>
        <dd>{casualties(p.casualties)}</dd>
        <dt>Confidence</dt>
        <dd>{p.confidence ? `${words(p.confidence.level)}, ${p.confidence.independent_sources ?? '?'} independent source(s)` : '—'}</dd>
        <dt>Evidence</dt>
        <dd>
          {p.evidence?.length ?? 0} piece(s) over {p.observations?.length ?? 0} observation(s)
          {p.evidence && p.evidence.length > 0 && (
            <ul class="evidence">
              {p.evidence.slice(0, 8).map((e) => (
                <li key={e.id}>
                  <code>{e.id}</code> {e.role ? words(e.role) : ''} {e.source ? `· ${e.source}` : ''} {e.grading ? `(${e.grading})` : ''}
                </li>
              ))}
              {p.evidence.length > 8 && <li class="muted">and {p.evidence.length - 8} more</li>}
            </ul>
          )}
        </dd>
        <dt>Releasability</dt>
        <dd>{label(p.releasability)}</dd>
        <dt>Id</dt>
        <dd>
          <code>{i.id}</code> (version {p.version})
        </dd>
      </dl>
    </div>
  );
}
