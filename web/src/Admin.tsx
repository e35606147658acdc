// The administration view: the webhooks (list, add, disable, each one's
// delivery log) for those who may manage them, and the sensor registry (read
// by every reader, added to by those who may manage sensors). Users and API
// tokens are not managed here: they are made on the command line, on the
// database file (docs/decisions.md).
import { Fragment } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, get, post, request } from './api';
import {
  type Attempt,
  adminSections,
  checkSensor,
  checkWebhook,
  clockSources,
  defaultLevels,
  emptySensorForm,
  eventsWords,
  eventSubject,
  eventTypes,
  latestOfDelivery,
  newSecret,
  outcome,
  plainHttp,
  isSensorsResult,
  refusedWords,
  type Sensor,
  type SensorForm,
  type SensorsResult,
  sensorTypes,
  statusWords,
  type Webhook,
} from './admin';
import { Empty, ErrorNote, Loading, useRead } from './components';
import { label, metres, position, utcSeconds } from './format';
import { describeRoles } from './roles';
import type { User } from './types';

/** Admin is the administration view: what the user's roles allow of the webhooks and the sensors. */
export function Admin({ user }: { user: User }) {
  const s = adminSections(user);
  return (
    <div class="page admin">
      <h1>Administration</h1>
      {!s.nav && (
        <p class="warning" role="note">
          Your account ({describeRoles(user)}) may not manage webhooks or sensors: administration is for administrators. The sensor registry is shown below for
          reading only.
        </p>
      )}
      <p class="notice">
        Users and API tokens are managed on the server, on the database file, with <code>guarantor user …</code> and <code>guarantor token …</code>, not in the
        browser (docs/decisions.md, "Users are managed from the command line").
      </p>
      {s.webhooks && <Webhooks />}
      {s.sensors && <Sensors canAdd={s.addSensor} />}
    </div>
  );
}

// ---- Webhooks

function Webhooks() {
  const { data: hooks, error, reload: load } = useRead<Webhook[]>('/api/v1/webhooks');
  const [confirming, setConfirming] = useState<number>();
  const [disableError, setDisableError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<number>();
  const [done, setDone] = useState<string>();


  const disable = async (h: Webhook) => {
    setBusy(true);
    setDisableError(undefined);
    try {
      await request('DELETE', `/api/v1/webhooks/${h.id}`);
      setConfirming(undefined);
      setDone(`Disabled: ${h.url}. No further deliveries are sent to it.`);
      await load();
    } catch (e) {
      setDisableError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="admin-section" aria-labelledby="webhooks-h">
      <h2 id="webhooks-h">Webhooks{hooks ? ` (${hooks.length})` : ''}</h2>
      <p class="hint">
        Each event of the guarantees is posted to every webhook that wants it, signed with the webhook's secret (docs/guarantees.md, "Notifications"); a failed
        delivery is retried with backoff, up to 10 attempts.
      </p>
      {done && (
        <p class="done" role="status">
          {done}
        </p>
      )}
      {!hooks && error === undefined ? (
        <Loading what="Loading the webhooks…" />
      ) : !hooks ? (
        <ErrorNote error={error} what="The webhooks could not be loaded" retry={() => void load()} />
      ) : (
        <>
          {error !== undefined && <ErrorNote error={error} what="The webhooks could not be read again; the list is what was read before" />}
          {hooks.length === 0 ? (
            <Empty>No webhook is registered: add one below.</Empty>
          ) : (
            <div class="table-scroll">
              <table class="webhooks">
                <thead>
                  <tr>
                    <th class="num">Id</th>
                    <th>URL</th>
                    <th>Events</th>
                    <th>State</th>
                    <th>
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {hooks.map((h) => (
                    <Fragment key={h.id}>
                      <tr class={h.disabled ? 'closed' : ''}>
                        <td class="num">{h.id}</td>
                        <td class="wrap">
                          <code>{h.url}</code>
                        </td>
                        <td class="wrap">{eventsWords(h.events)}</td>
                        <td>{h.disabled ? 'disabled' : 'active'}</td>
                        <td>
                          <div class="row-actions">
                            <button type="button" class="link" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? undefined : h.id)}>
                              Delivery log
                            </button>
                            {!h.disabled && confirming !== h.id && (
                              <button
                                type="button"
                                class="danger"
                                onClick={() => {
                                  setConfirming(h.id);
                                  setDisableError(undefined);
                                  setDone(undefined);
                                }}
                              >
                                Disable…
                              </button>
                            )}
                          </div>
                        </td>
                      </tr>
                      {confirming === h.id && (
                        <tr class="form-row">
                          <td colSpan={5}>
                            <div class="reason-form" role="group" aria-label={`Disable the webhook to ${h.url}`}>
                              <p>
                                Disable the webhook to <code>{h.url}</code>? No further deliveries are sent to it. It stays listed, disabled, with its delivery
                                log; it cannot be enabled again (add it anew).
                              </p>
                              {disableError !== undefined && <ErrorNote error={disableError} what="Not disabled" />}
                              <div class="buttons">
                                <button type="button" class="danger" disabled={busy} onClick={() => void disable(h)}>
                                  {busy ? 'Disabling…' : 'Disable'}
                                </button>
                                <button type="button" disabled={busy} onClick={() => setConfirming(undefined)}>
                                  Cancel
                                </button>
                              </div>
                            </div>
                          </td>
                        </tr>
                      )}
                      {open === h.id && (
                        <tr class="history-row">
                          <td colSpan={5}>
                            <DeliveryLog hook={h} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <AddWebhook
        onAdded={() => {
          setDone(undefined);
          void load();
        }}
      />
    </section>
  );
}

/** DeliveryLog reads a webhook's last attempts when it is opened, newest first. */
function DeliveryLog({ hook }: { hook: Webhook }) {
  const [log, setLog] = useState<Attempt[]>();
  const [error, setError] = useState<unknown>();
  const load = useCallback(
    async (signal?: AbortSignal) => {
      setError(undefined);
      try {
        setLog(await get<Attempt[]>(`/api/v1/webhooks/${hook.id}/deliveries?limit=100`, signal));
      } catch (e) {
        if (!(e instanceof DOMException && e.name === 'AbortError')) setError(e);
      }
    },
    [hook.id],
  );
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load]);

  if (error !== undefined) return <ErrorNote error={error} what="The delivery log could not be loaded" retry={() => void load()} />;
  if (!log) return <Loading what="Loading the delivery log…" />;
  if (log.length === 0) return <Empty>No delivery yet: an event is delivered as it happens.</Empty>;
  const latest = latestOfDelivery(log);
  return (
    <div class="delivery-log">
      <div class="toolbar">
        <span class="muted">
          The last {log.length} attempt{log.length === 1 ? '' : 's'}, newest first
        </span>
        <button type="button" class="link" onClick={() => void load()}>
          Reload
        </button>
      </div>
      <table>
        <caption class="sr-only">Delivery log of {hook.url}</caption>
        <thead>
          <tr>
            <th>Time</th>
            <th>Event</th>
            <th class="num">Attempt</th>
            <th class="num">Answer</th>
            <th class="num">Took</th>
            <th>Outcome</th>
          </tr>
        </thead>
        <tbody>
          {log.map((a, i) => (
            <tr key={`${a.delivery}-${a.attempt}`} class={a.delivered ? '' : a.gave_up ? 'gave-up' : 'failed'}>
              <td>{utcSeconds(a.at)}</td>
              <td>
                {a.event_type}
                <div>
                  <code class="muted">{eventSubject(a)}</code>
                </div>
              </td>
              <td class="num">{a.attempt}</td>
              <td class="num">{statusWords(a)}</td>
              <td class="num">{a.duration_s.toFixed(2)} s</td>
              <td class="wrap">
                {outcome(a, latest[i] ?? false)}
                {a.error && <div class="muted">{a.error}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** AddWebhook registers a webhook, then shows its secret once, for the receiver. */
function AddWebhook({ onAdded }: { onAdded: () => void }) {
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState(newSecret);
  const [events, setEvents] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<{ hook: Webhook; secret: string }>();
  const [copied, setCopied] = useState<string>();

  const send = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const body = { url: url.trim(), secret, events: eventTypes.filter((t) => events.includes(t)) };
    const problems = checkWebhook(body);
    if (problems.length > 0) {
      setError(new Error(problems.join(' ')));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const hook = await post<Webhook>('/api/v1/webhooks', body);
      setCreated({ hook, secret });
      setCopied(undefined);
      setUrl('');
      setSecret(newSecret());
      setEvents([]);
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied.');
    } catch {
      setCopied('The browser would not copy it: select the secret and copy it by hand.');
    }
  };

  return (
    <div class="admin-form">
      {created && (
        <div class="secret-once" role="status">
          <p>
            <strong>
              Webhook {created.hook.id} added for <code>{created.hook.url}</code>.
            </strong>{' '}
            Its secret is below. <strong>Copy it now to the receiver: it will not be shown again</strong> (the server keeps it to sign deliveries but never returns
            it).
          </p>
          <label for="created-secret">Secret</label>
          <div class="buttons">
            <input id="created-secret" class="mono secret" readOnly value={created.secret} onFocus={(e) => (e.target as HTMLInputElement).select()} />
            <button type="button" onClick={() => void copy(created.secret)}>
              Copy
            </button>
            <button type="button" class="primary" onClick={() => setCreated(undefined)}>
              I have copied it
            </button>
          </div>
          {copied && <p class="hint">{copied}</p>}
        </div>
      )}
      <form onSubmit={send} noValidate aria-labelledby="add-webhook-h">
        <h3 id="add-webhook-h">Add a webhook</h3>
        <label for="webhook-url">URL</label>
        <input
          id="webhook-url"
          type="url"
          inputMode="url"
          placeholder="the receiver’s https address"
          value={url}
          disabled={busy}
          onInput={(e) => {
            setUrl((e.target as HTMLInputElement).value);
            setError(undefined);
          }}
        />
        {plainHttp(url) && <p class="warning">An http:// URL sends the deliveries unencrypted: use https:// except on a closed network.</p>}
        <label for="webhook-secret">Secret</label>
        <div class="buttons">
          <input
            id="webhook-secret"
            class="mono secret"
            value={secret}
            disabled={busy}
            spellcheck={false}
            autoComplete="off"
            onInput={(e) => {
              setSecret((e.target as HTMLInputElement).value);
              setError(undefined);
            }}
          />
          <button type="button" disabled={busy} onClick={() => setSecret(newSecret())}>
            New random secret
          </button>
        </div>
        <p class="hint">
          At least 16 characters, shared with the receiver, which checks each delivery's <code>Guarantor-Signature</code> (HMAC-SHA256 of the body). A random one
          is offered; paste the receiver's own instead if it has one.
        </p>
        <fieldset class="events">
          <legend>Events</legend>
          {eventTypes.map((t) => (
            <label key={t} class="check">
              <input
                type="checkbox"
                checked={events.includes(t)}
                disabled={busy}
                onChange={(e) => {
                  const on = (e.target as HTMLInputElement).checked;
                  setEvents((ev) => (on ? [...ev, t] : ev.filter((x) => x !== t)));
                }}
              />{' '}
              <code>{t}</code>
            </label>
          ))}
          <p class="hint">None ticked: every event.</p>
        </fieldset>
        {error !== undefined && <ErrorNote error={error} what="Not added" />}
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add the webhook'}
          </button>
        </div>
      </form>
    </div>
  );
}

// ---- Sensors

function Sensors({ canAdd }: { canAdd: boolean }) {
  const { data: sensors, error, reload: load } = useRead<Sensor[]>('/api/v1/sensors');

  return (
    <section class="admin-section" aria-labelledby="sensors-h">
      <h2 id="sensors-h">Sensors{sensors ? ` (${sensors.length})` : ''}</h2>
      <p class="hint">The registry that acoustic detections are located from (docs/api.md, "Sensors"); only the sensors released to you are listed.</p>
      {!sensors && error === undefined ? (
        <Loading what="Loading the sensors…" />
      ) : !sensors ? (
        <ErrorNote error={error} what="The sensors could not be loaded" retry={() => void load()} />
      ) : (
        <>
          {error !== undefined && <ErrorNote error={error} what="The sensors could not be read again; the list is what was read before" />}
          {sensors.length === 0 ? (
            <Empty>No sensor is registered, or none is released to you.</Empty>
          ) : (
            <div class="table-scroll">
              <table class="sensors">
                <thead>
                  <tr>
                    <th>Id</th>
                    <th>Type</th>
                    <th>Position</th>
                    <th class="num">Altitude</th>
                    <th class="num">Position uncertainty</th>
                    <th>Clock</th>
                    <th>Releasability</th>
                  </tr>
                </thead>
                <tbody>
                  {sensors.map((s) => (
                    <tr key={s.id}>
                      <td>
                        <code>{s.id}</code>
                      </td>
                      <td>{s.type}</td>
                      <td>{position(s.position)}</td>
                      <td class="num">{metres(s.altitude_m)}</td>
                      <td class="num">{metres(s.position_uncertainty_m)}</td>
                      <td>
                        {s.clock.source} ± {s.clock.uncertainty_s} s
                      </td>
                      <td>{label(s.releasability)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      {canAdd && <AddSensor known={sensors?.map((s) => s.id) ?? []} onAdded={() => void load()} />}
    </section>
  );
}

function AddSensor({ known, onAdded }: { known: string[]; onAdded: () => void }) {
  const [f, setF] = useState<SensorForm>(emptySensorForm);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const set = (k: keyof SensorForm) => (e: Event) => {
    const v = (e.target as HTMLInputElement | HTMLSelectElement).value;
    setF((old) => ({ ...old, [k]: v }));
    setError(undefined);
    setDone(undefined);
  };
  const replaces = known.includes(f.id.trim());

  const send = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setDone(undefined);
    const { sensor, problems } = checkSensor(f);
    if (!sensor) {
      setError(new Error(problems.join(' ')));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const r = await post<SensorsResult>('/api/v1/sensors', [sensor]);
      if (r.accepted < 1) throw new Error(`The server refused the sensor: ${refusedWords(r) || 'it gave no reason'}.`);
      setDone(`Sensor ${sensor.id} ${replaces ? 'replaced' : 'registered'}.`);
      setF(emptySensorForm);
      onAdded();
    } catch (err) {
      // A refusal (422) carries its reasons field by field in its body.
      const said = err instanceof ApiError && err.status === 422 && isSensorsResult(err.body) ? refusedWords(err.body) : '';
      setError(said ? new Error(`The server refused the sensor: ${said}.`) : err);
    } finally {
      setBusy(false);
    }
  };

  const field = (k: keyof SensorForm, name: string, hint?: string) => (
    <div class="field">
      <label for={`sensor-${k}`}>{name}</label>
      <input id={`sensor-${k}`} value={f[k]} disabled={busy} onInput={set(k)} spellcheck={false} />
      {hint && <span class="hint">{hint}</span>}
    </div>
  );

  return (
    <form class="admin-form" onSubmit={send} noValidate aria-labelledby="add-sensor-h">
      <h3 id="add-sensor-h">Register a sensor</h3>
      <div class="field-grid">
        {field('id', 'Id', 'e.g. AS-017; the id its detections name')}
        <div class="field">
          <label for="sensor-type">Type</label>
          <select id="sensor-type" value={f.type} disabled={busy} onChange={set('type')}>
            {sensorTypes.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        {field('lon', 'Longitude (°E)', '-180 to 180')}
        {field('lat', 'Latitude (°N)', '-90 to 90')}
        {field('altitude', 'Altitude (m)', 'above the ellipsoid; blank for 0')}
        {field('uncertainty', 'Position uncertainty (m)', 'one sigma, radial; 0 to 10,000')}
        <div class="field">
          <label for="sensor-clockSource">Clock</label>
          <select id="sensor-clockSource" value={f.clockSource} disabled={busy} onChange={set('clockSource')}>
            {clockSources.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        {field('clockUncertainty', 'Clock uncertainty (s)', 'one sigma; 0 to 60')}
        <div class="field">
          <label for="sensor-classification">Classification</label>
          <input id="sensor-classification" list="sensor-levels" value={f.classification} disabled={busy} onInput={set('classification')} />
          <datalist id="sensor-levels">
            {defaultLevels.map((l) => (
              <option key={l} value={l} />
            ))}
          </datalist>
        </div>
        {field('relTo', 'Released to', 'nations, e.g. FRA, GBR; empty for PUBLIC')}
      </div>
      {replaces && (
        <p class="warning">
          A sensor <code>{f.id.trim()}</code> is registered: this replaces it.
        </p>
      )}
      {error !== undefined && <ErrorNote error={error} what="Not registered" />}
      {done && (
        <p class="done" role="status">
          {done}
        </p>
      )}
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Sending…' : replaces ? `Replace sensor ${f.id.trim()}` : 'Register the sensor'}
        </button>
      </div>
    </form>
  );
}
