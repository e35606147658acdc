// The API client: every request goes to this origin's /api/v1, with the
// session cookie, and an unsafe one carries the session's CSRF token.
// Errors become ApiError with a sentence a person can act on.

export class ApiError extends Error {
  readonly status: number;
  /** body is the answer's JSON, when it was JSON: a refusal may say more there than its error line (the items refused, field by field). */
  readonly body: unknown;
  constructor(status: number, message: string, body?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

let csrfToken = '';
let onSignedOut: (() => void) | undefined;

/** setCsrfToken keeps the token that unsafe requests echo in X-CSRF-Token. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? '';
}

/** onSessionEnded registers what to do when the server says the session is gone. */
export function onSessionEnded(f: () => void): void {
  onSignedOut = f;
}

const safe = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The requests in flight, so that signing out can cancel them before the session ends. */
const inflight = new Set<AbortController>();

/** abortAll cancels every request in flight: each rejects with an AbortError. */
export function abortAll(): void {
  for (const c of inflight) c.abort();
  inflight.clear();
}

/** request calls the API and returns its JSON answer (undefined for 204). */
export async function request<T>(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!safe.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const ctl = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
  inflight.add(ctl);
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server cannot be reached. Check the network connection, then try again.');
  } finally {
    inflight.delete(ctl);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const said = typeof data === 'object' && data !== null && typeof (data as { error?: unknown }).error === 'string' ? (data as { error: string }).error : '';
    if (res.status === 401 && !opts.quiet401) onSignedOut?.();
    throw new ApiError(res.status, describe(res, said), data);
  }
  if (data === undefined) throw new ApiError(res.status, `The server answered ${method} ${path} with something that is not JSON.`);
  return data as T;
}

function describe(res: Response, said: string): string {
  const why = said ? capitalise(said) : '';
  switch (true) {
    case res.status === 401:
      return why || 'You are not signed in, or your session has ended. Sign in again.';
    case res.status === 403:
      return why ? `Not allowed: ${why}` : 'Your account is not allowed to do this.';
    case res.status === 404:
      return why || 'Not found: it does not exist, or it is not released to you.';
    case res.status === 409:
      return why ? `Refused: ${why}` : 'Refused: the record changed meanwhile. Reload and decide again.';
    case res.status === 429: {
      const after = res.headers.get('Retry-After');
      const text = why || 'Too many requests.';
      return after && !/try again/i.test(text) ? `${text} Try again in ${after} s.` : text;
    }
    case res.status >= 500:
      return `The server failed (${res.status})${why ? `: ${why}` : ''}. Try again; if it persists, tell the administrator.`;
    default:
      return why || `The request failed (${res.status} ${res.statusText}).`;
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** message says what an error was, in words, whatever was thrown. */
export function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal ? { signal } : {});

/**
 * readPages reads a paged list (features, and next while more follow) from
 * path, which has its query already, following next for at most pages
 * pages. more says whether the list went on beyond them.
 */
export async function readPages<F>(path: string, pages: number, signal?: AbortSignal): Promise<{ features: F[]; more: boolean }> {
  const features: F[] = [];
  let next: string | undefined;
  let n = 0;
  do {
    const page: { features: F[]; next?: string } = await get(next ? `${path}&cursor=${encodeURIComponent(next)}` : path, signal);
    features.push(...page.features);
    next = page.next;
  } while (next && ++n < pages);
  return { features, more: next !== undefined && next !== '' };
}

/** Raw is an answer read as bytes, with its headers: for records whose exact bytes matter (the log's leaves). */
export interface Raw {
  bytes: Uint8Array;
  headers: Headers;
}

/** getRaw reads an answer as bytes; errors are described as request's are. */
export async function getRaw(path: string, accept = '*/*'): Promise<Raw> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { Accept: accept }, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check the network connection, then try again.');
  }
  if (!res.ok) throw await failure(res);
  return { bytes: new Uint8Array(await res.arrayBuffer()), headers: res.headers };
}

/** getText reads a text answer (the log's checkpoint, a signed note). */
export async function getText(path: string): Promise<string> {
  const r = await getRaw(path, 'text/plain, */*');
  return new TextDecoder().decode(r.bytes);
}

/** postText sends a body as it is (CSV, YAML) and returns the JSON answer. */
export async function postText<T>(path: string, body: string, contentType: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', 'Content-Type': contentType };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method: 'POST', headers, body, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check the network connection, then try again.');
  }
  if (!res.ok) throw await failure(res);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, `The server answered POST ${path} with something that is not JSON.`);
  }
}

/** failure turns a refused answer into an ApiError, as request does. */
async function failure(res: Response): Promise<ApiError> {
  let said = '';
  try {
    const data = JSON.parse(await res.text()) as { error?: unknown };
    if (typeof data.error === 'string') said = data.error;
  } catch {
    // not JSON: the status says it
  }
  if (res.status === 401) onSignedOut?.();
  return new ApiError(res.status, describe(res, said));
}
export const post = <T>(path: string, body: unknown) => request<T>('POST', path, body);

/** newId makes a random id for an action, so that a retry is not acted on twice. */
export function newId(prefix: string): string {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b); // available outside secure contexts too, unlike randomUUID
  return `${prefix}-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}
