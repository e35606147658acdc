// A small router over the History API: the server answers index.html for
// every path that is not the API's, so that /queue or /map can be reloaded.
import { useEffect, useState } from 'preact/hooks';

export type View = 'map' | 'queue' | 'guarantees';
export const views: View[] = ['map', 'queue', 'guarantees'];

function current(): View | undefined {
  const p = location.pathname.replace(/^\/+|\/+$/g, '');
  return (views as string[]).includes(p) ? (p as View) : undefined;
}

export function navigate(v: View): void {
  if (current() === v) return;
  history.pushState(null, '', `/${v}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): View | undefined {
  const [v, setV] = useState<View | undefined>(current());
  useEffect(() => {
    const on = () => setV(current());
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return v;
}
