// The terms' names for clauses, parties and weapon classes, and how the terms
// are read once and kept (terms.ts). The API client is replaced by a fake
// whose answers each case chooses.
import { beforeEach, describe, expect, test, vi } from 'vitest';
import { ApiError, get } from './api';
import { clauseOf, loadTerms, partyName, weaponName } from './terms';
import type { TermsVersion } from './types';

vi.mock('./api', () => {
  class ApiError extends Error {
    constructor(
      readonly status: number,
      message: string,
    ) {
      super(message);
    }
  }
  return { ApiError, get: vi.fn() };
});

const terms: TermsVersion = {
  seq: 3,
  loaded_at: '2026-11-21T00:00:00Z',
  in_force: true,
  terms: {
    id: 'sim',
    version: '1',
    parties: [
      { code: 'A', name: 'Party A (west/north)' },
      { code: 'B', name: 'Northland' },
      { code: 'C', name: 'Party C' },
      { code: 'D', name: '(the islands)' },
    ],
    weapon_classes: [{ code: 'heavy_mlrs', name: 'Heavy MLRS and tactical missile systems', withdrawal_m: 140_000 }],
    clauses: [
      { id: 'C1', title: 'Ceasefire' },
      { id: 'art-2.1', title: 'Withdrawal', forbids: ['weapon_in_withdrawal_zone'] },
    ],
  },
};

describe('names from the terms', () => {
  test.each([
    { code: 'A', want: 'Party A (west/north)' },
    { code: 'B', want: 'Party B (Northland)' },
    { code: 'C', want: 'Party C' },
    { code: 'D', want: 'Party D (the islands)' },
    { code: 'Z', want: 'Party Z' },
    { code: null, want: 'not attributable' },
    { code: '', want: 'not attributable' },
  ])('partyName($code) is "$want"', ({ code, want }) => {
    expect(partyName(terms, code)).toBe(want);
  });

  test.each([null, undefined])('without terms (%s), a party is its code', (t) => {
    expect(partyName(t, 'A')).toBe('Party A');
    expect(partyName(t, null)).toBe('not attributable');
  });

  test.each([
    { t: terms, code: 'heavy_mlrs', want: 'Heavy MLRS and tactical missile systems' },
    { t: terms, code: 'artillery_100mm', want: 'artillery 100mm' },
    { t: null, code: 'heavy_mlrs', want: 'heavy mlrs' },
    { t: terms, code: undefined, want: '—' },
  ])('weaponName($code) is "$want"', ({ t, code, want }) => {
    expect(weaponName(t, code)).toBe(want);
  });

  test.each([
    { t: terms, id: 'art-2.1', want: 'Withdrawal' },
    { t: terms, id: 'C1', want: 'Ceasefire' },
    { t: terms, id: 'C9', want: undefined },
    { t: terms, id: undefined, want: undefined },
    { t: undefined, id: 'C1', want: undefined },
  ])('clauseOf($id) is titled $want', ({ t, id, want }) => {
    expect(clauseOf(t, id)?.title).toBe(want);
  });
});

describe('loadTerms', () => {
  const fake = vi.mocked(get);
  beforeEach(() => {
    fake.mockReset();
  });

  // Each step: whether it asks afresh, what the server answers if asked, and what comes out.
  type Step = { fresh: boolean; answer?: TermsVersion | Error; want: TermsVersion | null | 'refused' };
  test.each<{ name: string; steps: Step[]; asked: number }>([
    {
      name: 'read once, then kept',
      steps: [
        { fresh: true, answer: terms, want: terms },
        { fresh: false, want: terms },
        { fresh: false, want: terms },
      ],
      asked: 1,
    },
    {
      name: 'read again when asked afresh',
      steps: [
        { fresh: true, answer: terms, want: terms },
        { fresh: true, answer: { ...terms, seq: 4 }, want: { ...terms, seq: 4 } },
      ],
      asked: 2,
    },
    {
      name: 'none in force (404) is null, and kept',
      steps: [
        { fresh: true, answer: new ApiError(404, 'no terms'), want: null },
        { fresh: false, want: null },
      ],
      asked: 1,
    },
    {
      name: 'a failure is not kept: the next call tries again',
      steps: [
        { fresh: true, answer: new ApiError(503, 'unavailable'), want: 'refused' },
        { fresh: false, answer: terms, want: terms },
        { fresh: false, want: terms },
      ],
      asked: 2,
    },
    {
      name: 'a network failure is not kept either',
      steps: [
        { fresh: true, answer: new Error('offline'), want: 'refused' },
        { fresh: false, answer: new ApiError(404, 'no terms'), want: null },
      ],
      asked: 2,
    },
  ])('$name', async ({ steps, asked }) => {
    for (const { fresh, answer, want } of steps) {
      if (answer instanceof Error) fake.mockRejectedValueOnce(answer);
      else if (answer) fake.mockResolvedValueOnce(answer);
      const got = loadTerms(fresh);
      if (want === 'refused') await expect(got).rejects.toBeInstanceOf(Error);
      else expect(await got).toEqual(want);
    }
    expect(fake).toHaveBeenCalledTimes(asked);
    for (const call of fake.mock.calls) expect(call[0]).toBe('/api/v1/terms');
  });
});
