// A small router over the History API: the server answers index.html for
// every path that is not the API's and has no file extension, so that
// /queue or /map can be reloaded. Record ids (which may hold dots) go in
// the query string, never in the path: /incident?id=…, /candidate?id=….
import { useEffect, useState } from 'preact/hooks';

export type View = 'map' | 'queue' | 'guarantees' | 'commitments' | 'report' | 'incident' | 'candidate' | 'admin';
export const views: View[] = ['map', 'queue', 'guarantees', 'commitments', 'report', 'incident', 'candidate', 'admin'];

export interface Route {
  view: View | undefined;
  params: URLSearchParams;
}

function current(): Route {
  const p = location.pathname.replace(/^\/+|\/+$/g, '');
  return { view: (views as string[]).includes(p) ? (p as View) : undefined, params: new URLSearchParams(location.search) };
}

/** navigate goes to a path of the interface ("/map", "/incident?id=…"); replace keeps the history as it is. */
export function navigate(to: string, replace = false): void {
  if (`${location.pathname}${location.search}` === to) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** onLink makes a link move within the page, unless the reader asked for a new tab or window. */
export function onLink(to: string) {
  return (e: MouseEvent) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
}

/** incidentPath is the path of an incident's page, its id in the query string. */
export function incidentPath(id: string): string {
  return `/incident?id=${encodeURIComponent(id)}`;
}

/** candidatePath is the path of a candidate's page, its id in the query string. */
export function candidatePath(id: string): string {
  return `/candidate?id=${encodeURIComponent(id)}`;
}

/** useRoute is the current route, kept up to date as the history moves. */
export function useRoute(): Route {
  const [r, setR] = useState<Route>(current());
  useEffect(() => {
    const on = () => setR(current());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return r;
}
