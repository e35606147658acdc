// What a user's roles allow, as docs/security.md's table says (the server's
// internal/access holds the same table and is the one that decides: the
// interface only avoids offering what would be refused).
import type { Role, User } from './types';

export type Permission = 'read_records' | 'verify' | 'determine' | 'act_on_obligation' | 'manage_registry' | 'manage_webhooks' | 'manage_sensors';

const grants: Record<Role, Permission[]> = {
  admin: ['read_records', 'manage_registry', 'manage_webhooks', 'manage_sensors'],
  analyst: ['read_records', 'verify'],
  liaison: ['read_records', 'act_on_obligation'],
  authority: ['read_records', 'determine'],
  secretariat: ['read_records', 'manage_registry'],
  viewer: ['read_records'],
  ingest: [],
};

/** can says whether any of the user's roles grants the permission. */
export function can(user: User | undefined, p: Permission): boolean {
  return !!user && user.roles.some((r) => grants[r]?.includes(p));
}

/** canActOn says whether the user may act on an obligation of that guarantor. */
export function canActOn(user: User | undefined, guarantor: string): boolean {
  return can(user, 'act_on_obligation') && user?.nation === guarantor;
}

const roleWords: Record<Role, string> = {
  admin: 'administrator',
  analyst: 'analyst',
  liaison: 'liaison officer',
  authority: 'authority',
  secretariat: 'secretariat',
  viewer: 'viewer',
  ingest: 'machine client',
};

/** describeRoles names the user's roles in words: "analyst, liaison officer". */
export function describeRoles(user: User): string {
  return user.roles.map((r) => roleWords[r] ?? r).join(', ');
}
