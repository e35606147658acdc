// What the views that list candidate violations share: their states in
// words, the queue's order, and the violation types and parties a filter
// offers, read from what the interface knows and from the terms.
import { partyName } from './terms';
import type { Candidate, CandidateProps, CandidateState, Severity, TermsVersion } from './types';

/** The states that need a decision: what the queue shows unless told otherwise. */
export const queueStates: CandidateState[] = ['open', 'more_information', 'second_review'];

export const stateWords: Record<CandidateState, string> = {
  open: 'open',
  more_information: 'more information asked',
  second_review: 'second review',
  verified: 'verified',
  rejected: 'rejected',
  merged: 'merged',
  split: 'split',
};

/** Every state of the workflow, in the order of the analysts' work. */
export const states = Object.keys(stateWords) as CandidateState[];

/** severityRank orders severities as the queue does: the gravest first. */
export const severityRank: Record<Severity, number> = { major: 0, serious: 1, minor: 2 };

/** Every severity, the gravest first. */
export const severities = (Object.keys(severityRank) as Severity[]).sort((a, b) => severityRank[a] - severityRank[b]);

/** byQueueOrder orders candidates as the queue does: gravest, then oldest, then by id. */
export function byQueueOrder(a: Candidate, b: Candidate): number {
  const s = (severityRank[a.properties.severity] ?? 3) - (severityRank[b.properties.severity] ?? 3);
  if (s !== 0) return s;
  const t = a.properties.time.localeCompare(b.properties.time);
  return t !== 0 ? t : a.id.localeCompare(b.id);
}

/** statusWords says where a candidate stands: its state, or that the rules withdrew it. */
export function statusWords(p: Pick<CandidateProps, 'state' | 'withdrawn'>): string {
  const st = stateWords[p.state] ?? p.state;
  return p.withdrawn ? `withdrawn (it was ${st}): the rules no longer find it` : st;
}

/** What each built-in rule finds (docs/verification.md). */
export const ruleWords: Record<string, string> = {
  fire_across_line: 'fire whose origin is on one side of the contact line and whose impact is on the other side or in the buffer zone',
  fire_same_side: 'fire located at both ends, on one side of the line',
  fire_unresolved: 'fire whose origin or impact is not located: whether it crossed is unknown, but fire is fire',
  weapon_in_withdrawal_zone: "a weapon of a class of the terms within that class's withdrawal distance of the line",
  presence_in_buffer_zone: 'equipment seen within the buffer zone',
  airspace_crossing: 'a drone or aircraft track that crossed the contact line',
};

/**
 * violationTypes are the types a candidate may have: the built-in rules',
 * those the terms' clauses forbid, and those of the terms' own rules, with
 * any others given (the types of candidates seen, the one in the address),
 * sorted.
 */
export function violationTypes(terms: TermsVersion | null | undefined, others: Iterable<string> = []): string[] {
  const all = new Set<string>(Object.keys(ruleWords));
  for (const c of terms?.terms.clauses ?? []) for (const t of c.forbids ?? []) all.add(t);
  for (const r of terms?.terms.rules ?? []) all.add(r.type);
  for (const t of others) if (t) all.add(t);
  return [...all].sort();
}

/**
 * partyChoices are the parties a candidate may name: those of the terms,
 * with any others given, each with its name, and "none" (not
 * attributable) last.
 */
export function partyChoices(terms: TermsVersion | null | undefined, others: Iterable<string> = []): { value: string; words: string }[] {
  const codes = new Set<string>((terms?.terms.parties ?? []).map((p) => p.code));
  for (const c of others) if (c && c !== 'none') codes.add(c);
  return [...[...codes].sort().map((c) => ({ value: c, words: partyName(terms, c) })), { value: 'none', words: 'not attributable' }];
}
