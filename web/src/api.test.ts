// The API client's paging (readPages) and its errors, against a stand-in
// fetch that serves pages as the server does.
import { afterEach, expect, test, vi } from 'vitest';
import { ApiError, readPages } from './api';

/** serve answers GET path?...&cursor=N with page N of items, size at a time. */
function serve(items: number[], size: number, asked: string[]) {
  vi.stubGlobal('fetch', async (path: string) => {
    asked.push(path);
    const cursor = Number(new URL(path, 'http://x').searchParams.get('cursor') ?? '0');
    const features = items.slice(cursor, cursor + size);
    const next = cursor + size < items.length ? String(cursor + size) : undefined;
    return new Response(JSON.stringify({ type: 'FeatureCollection', features, numberReturned: features.length, ...(next ? { next } : {}) }), { status: 200 });
  });
}

afterEach(() => vi.unstubAllGlobals());

test.each([
  { name: 'no item', items: 0, size: 3, pages: 5, want: 0, more: false, requests: 1 },
  { name: 'one page', items: 3, size: 3, pages: 5, want: 3, more: false, requests: 1 },
  { name: 'every page', items: 10, size: 3, pages: 5, want: 10, more: false, requests: 4 },
  { name: 'stopped at the most pages', items: 10, size: 3, pages: 2, want: 6, more: true, requests: 2 },
  { name: 'exactly the most pages', items: 6, size: 3, pages: 2, want: 6, more: false, requests: 2 },
])('readPages: $name', async ({ items, size, pages, want, more, requests }) => {
  const asked: string[] = [];
  const all = Array.from({ length: items }, (_, i) => i);
  serve(all, size, asked);
  const got = await readPages<number>('/api/v1/restrictions?limit=3', pages);
  expect(got.features).toEqual(all.slice(0, want));
  expect(got.more).toBe(more);
  expect(asked).toHaveLength(requests);
  expect(asked[0]).toBe('/api/v1/restrictions?limit=3');
  if (requests > 1) expect(asked[1]).toBe(`/api/v1/restrictions?limit=3&cursor=${size}`);
});

test('readPages: a refused page is an ApiError with the server’s words and body', async () => {
  vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: 'limit: must be a whole number' }), { status: 400 }));
  const err = await readPages('/api/v1/restrictions?limit=x', 2).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).status).toBe(400);
  expect((err as ApiError).message).toMatch(/limit: must be a whole number/i);
  expect((err as ApiError).body).toEqual({ error: 'limit: must be a whole number' });
});
