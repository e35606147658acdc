// The router's paths and navigation (router.ts). The History API is stood in
// for by a small fake: the logic under test is which call is made, not the
// browser's.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { candidatePath, incidentPath, navigate, onLink, views } from './router';

describe('paths', () => {
  test.each([
    'inc-ae-sim-1-085658',
    'cand-1.split-2.1',
    'a/b?c=d&e#f',
    'space and ünïcode',
    '..',
    '',
  ])('%j goes in the query string and comes back as it was', (id) => {
    for (const [path, make] of [
      ['/incident', incidentPath],
      ['/candidate', candidatePath],
    ] as const) {
      const url = new URL(make(id), 'http://h');
      expect(url.pathname).toBe(path);
      expect(url.searchParams.get('id')).toBe(id);
      expect([...url.searchParams.keys()]).toEqual(['id']);
    }
  });

  test('an id with a dot stays out of the path', () => {
    expect(incidentPath('x.split-1.2')).toBe('/incident?id=x.split-1.2');
    expect(candidatePath('a&b')).toBe('/candidate?id=a%26b');
  });

  test('every view is a path of one word', () => {
    for (const v of views) expect(v).toMatch(/^[a-z]+$/);
    expect(new Set(views).size).toBe(views.length);
  });
});

describe('navigate and onLink', () => {
  const calls: string[] = [];
  beforeEach(() => {
    calls.length = 0;
    const loc = { pathname: '/queue', search: '' };
    vi.stubGlobal('location', loc);
    vi.stubGlobal('history', {
      pushState: (_: unknown, __: string, to: string) => calls.push(`push ${to}`),
      replaceState: (_: unknown, __: string, to: string) => calls.push(`replace ${to}`),
    });
    vi.stubGlobal(
      'PopStateEvent',
      class {
        constructor(readonly type: string) {}
      },
    );
    vi.stubGlobal('dispatchEvent', (e: { type: string }) => calls.push(`event ${e.type}`));
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  test.each([
    { to: '/map', replace: false, want: ['push /map', 'event popstate'] },
    { to: '/map', replace: true, want: ['replace /map', 'event popstate'] },
    { to: '/queue?id=1', replace: false, want: ['push /queue?id=1', 'event popstate'] },
    // Already there: nothing.
    { to: '/queue', replace: false, want: [] },
    { to: '/queue', replace: true, want: [] },
  ])('to $to (replace: $replace)', ({ to, replace, want }) => {
    navigate(to, replace);
    expect(calls).toEqual(want);
  });

  const click = { ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, button: 0 };
  test.each([
    { name: 'a plain click', event: click, moves: true },
    { name: 'ctrl-click', event: { ...click, ctrlKey: true }, moves: false },
    { name: 'cmd-click', event: { ...click, metaKey: true }, moves: false },
    { name: 'shift-click', event: { ...click, shiftKey: true }, moves: false },
    { name: 'alt-click', event: { ...click, altKey: true }, moves: false },
    { name: 'a middle click', event: { ...click, button: 1 }, moves: false },
  ])('$name on a link moves within the page: $moves', ({ event, moves }) => {
    let prevented = false;
    onLink('/guarantees')({ ...event, preventDefault: () => (prevented = true) } as unknown as MouseEvent);
    expect(prevented).toBe(moves);
    expect(calls).toEqual(moves ? ['push /guarantees', 'event popstate'] : []);
  });
});
