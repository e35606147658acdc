// What each role may do (roles.ts), against docs/security.md's table of
// permissions, read column by column.
import { describe, expect, test } from 'vitest';
import { can, canActOn, describeRoles, type Permission } from './roles';
import type { Role, User } from './types';

const user = (roles: Role[], nation = 'FRA'): User => ({ name: 'u', nation, clearance: 'SECRET', roles });

const permissions: Permission[] = ['read_records', 'verify', 'determine', 'act_on_obligation', 'manage_registry', 'manage_webhooks', 'manage_sensors'];

// docs/security.md: read records; verify candidate violations; determine an
// activation; act on their nation's obligations; keep the registry; manage
// webhooks; manage sensors.
const table: { role: Role; may: Permission[] }[] = [
  { role: 'admin', may: ['read_records', 'manage_registry', 'manage_webhooks', 'manage_sensors'] },
  { role: 'analyst', may: ['read_records', 'verify'] },
  { role: 'liaison', may: ['read_records', 'act_on_obligation'] },
  { role: 'authority', may: ['read_records', 'determine'] },
  { role: 'secretariat', may: ['read_records', 'manage_registry'] },
  { role: 'viewer', may: ['read_records'] },
  { role: 'ingest', may: [] },
];

describe('can', () => {
  test.each(table.flatMap(({ role, may }) => permissions.map((p) => ({ role, p, allowed: may.includes(p) }))))('$role: $p is $allowed', ({ role, p, allowed }) => {
    expect(can(user([role]), p)).toBe(allowed);
  });

  test.each(permissions)('nobody signed in may not %s', (p) => {
    expect(can(undefined, p)).toBe(false);
    expect(can(user([]), p)).toBe(false);
  });

  test.each([
    { roles: ['analyst', 'authority'] as Role[], p: 'verify' as Permission, allowed: true },
    { roles: ['analyst', 'authority'] as Role[], p: 'determine' as Permission, allowed: true },
    { roles: ['analyst', 'authority'] as Role[], p: 'act_on_obligation' as Permission, allowed: false },
    { roles: ['ingest', 'viewer'] as Role[], p: 'read_records' as Permission, allowed: true },
    { roles: ['admin', 'ingest'] as Role[], p: 'verify' as Permission, allowed: false },
  ])('roles $roles together: $p is $allowed', ({ roles, p, allowed }) => {
    expect(can(user(roles), p)).toBe(allowed);
  });
});

describe('canActOn', () => {
  test.each([
    { roles: ['liaison'] as Role[], nation: 'FRA', guarantor: 'FRA', allowed: true },
    { roles: ['liaison'] as Role[], nation: 'FRA', guarantor: 'GBR', allowed: false },
    { roles: ['authority'] as Role[], nation: 'FRA', guarantor: 'FRA', allowed: false },
    { roles: ['admin'] as Role[], nation: 'FRA', guarantor: 'FRA', allowed: false },
    { roles: ['viewer', 'liaison'] as Role[], nation: 'GBR', guarantor: 'GBR', allowed: true },
  ])('$roles of $nation on an obligation of $guarantor: $allowed', ({ roles, nation, guarantor, allowed }) => {
    expect(canActOn(user(roles, nation), guarantor)).toBe(allowed);
  });

  test('nobody signed in acts on nothing', () => {
    expect(canActOn(undefined, 'FRA')).toBe(false);
  });
});

test.each([
  { roles: ['admin'] as Role[], want: 'administrator' },
  { roles: ['liaison'] as Role[], want: 'liaison officer' },
  { roles: ['ingest'] as Role[], want: 'machine client' },
  { roles: ['analyst', 'authority', 'secretariat', 'viewer'] as Role[], want: 'analyst, authority, secretariat, viewer' },
  { roles: [] as Role[], want: '' },
])('describeRoles $roles is "$want"', ({ roles, want }) => {
  expect(describeRoles(user(roles))).toBe(want);
});
