// Live updates over server-sent events. The browser's EventSource sends the
// session cookie (same origin) and reconnects by itself with Last-Event-ID,
// so that nothing is missed; when the server refuses the stream (the session
// ended), EventSource gives up, and this opens a new one after a pause.
import { useEffect, useState } from 'preact/hooks';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface LiveOptions {
  /** events maps event names to handlers of their parsed data. */
  events: Record<string, (data: unknown, lastId: string) => void>;
  onState?: (s: LiveState) => void;
}

export function subscribe(url: string, opts: LiveOptions): () => void {
  let es: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let lastId = '';
  const open = () => {
    if (closed) return;
    opts.onState?.(es ? 'reconnecting' : 'connecting');
    const u = lastId ? `${url}${url.includes('?') ? '&' : '?'}after=${encodeURIComponent(lastId)}` : url;
    const src = new EventSource(u, { withCredentials: true });
    es = src;
    src.onopen = () => opts.onState?.('live');
    src.onerror = () => {
      if (src.readyState === EventSource.CLOSED) {
        // Refused (e.g. 401) or the server went away for good: try later.
        opts.onState?.('stopped');
        retry = setTimeout(open, 10_000);
      } else {
        opts.onState?.('reconnecting');
      }
    };
    for (const [name, handle] of Object.entries(opts.events)) {
      src.addEventListener(name, (ev) => {
        const m = ev as MessageEvent<string>;
        if (m.lastEventId) lastId = m.lastEventId;
        let data: unknown;
        try {
          data = JSON.parse(m.data);
        } catch {
          return; // not JSON: nothing this client can use
        }
        handle(data, m.lastEventId);
      });
    }
  };
  open();
  return () => {
    closed = true;
    if (retry) clearTimeout(retry);
    es?.close();
  };
}

/** useLive subscribes for the lifetime of a component and reports the stream's state. */
export function useLive(url: string | undefined, events: LiveOptions['events']): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    if (!url) return;
    return subscribe(url, { events, onState: setState });
    // events is expected to be stable (handlers that read refs).
  }, [url]);
  return state;
}

export function liveWords(s: LiveState): string {
  switch (s) {
    case 'live':
      return 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'stopped':
      return 'Live updates stopped; retrying';
  }
}
