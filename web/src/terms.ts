// The terms in force, read once and shared by the views that name their
// clauses, parties and weapon classes.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from './api';
import type { TermsVersion } from './types';

let cached: Promise<TermsVersion | null> | undefined;

/** loadTerms reads the terms in force; null when none are. A failure is not kept, so that the next call tries again. */
export function loadTerms(fresh = false): Promise<TermsVersion | null> {
  if (!cached || fresh) {
    cached = get<TermsVersion>('/api/v1/terms').catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return null;
      cached = undefined;
      throw e;
    });
  }
  return cached;
}

/** useTerms is the terms in force, undefined while they load or when they could not be read. */
export function useTerms(): TermsVersion | null | undefined {
  const [t, setT] = useState<TermsVersion | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    loadTerms()
      .then((v) => live && setT(v))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return t;
}

/** clauseOf is the clause of the terms with that id, if there is one. */
export function clauseOf(t: TermsVersion | null | undefined, id: string | undefined) {
  return id ? t?.terms.clauses?.find((c) => c.id === id) : undefined;
}

/** partyName names a party by its code and, when the terms name it otherwise, its name: "Party A (west/north)". */
export function partyName(t: TermsVersion | null | undefined, code: string | null | undefined): string {
  if (!code) return 'not attributable';
  const p = t?.terms.parties?.find((x) => x.code === code);
  if (!p || p.name === `Party ${code}`) return `Party ${code}`;
  return `Party ${code} (${p.name.replace(/^Party \S+\s*/, '').replace(/^\((.*)\)$/, '$1') || p.name})`;
}

/** weaponName is a weapon class's name in the terms, or its code in words. */
export function weaponName(t: TermsVersion | null | undefined, code: string | undefined): string {
  if (!code) return '—';
  return t?.terms.weapon_classes?.find((w) => w.code === code)?.name ?? code.replace(/_/g, ' ');
}
