/**
 * The production role table (src/model/roles.ts) against the hand-written golden table
 * (test/support/golden-roles.ts), role by role. A grant added to or dropped from a built-in role in
 * one place and not the other fails here, with the role named and the differing grants listed.
 */
import { describe, expect, it } from 'vitest';
import { PREDEFINED_PERMISSIONS } from '../../src/model/permissions.js';
import { builtInRoles, grantsOf, grantsOfBuiltIns } from '../../src/model/roles.js';
import {
  GOLDEN_PERMISSIONS,
  type GoldenPermission,
  type GoldenResourceType,
  goldenGrants,
  goldenGrantsOfRole,
  goldenRoles,
} from '../support/golden-roles.js';

const TYPES: readonly GoldenResourceType[] = ['project', 'organization'];

/** One line per (permission, action, params), sorted, so a difference reads as a list of lines. */
function lines(permissions: readonly GoldenPermission[]): string[] {
  return permissions.map((p) => `${p.name} ${p.action}${p.params ? ` ${JSON.stringify(p.params)}` : ''}`).sort();
}

describe('the golden permission catalog', () => {
  it('names the same predefined permissions, with the same type, resource and actions', () => {
    const production = Object.fromEntries(
      PREDEFINED_PERMISSIONS.map((p) => [p.name, { resourceType: p.resourceType, type: p.type, actions: [...p.actions] }]),
    );
    const golden = Object.fromEntries(
      Object.entries(GOLDEN_PERMISSIONS).map(([name, p]) => [name, { ...p, actions: [...p.actions] }]),
    );
    expect(production).toEqual(golden);
  });
});

for (const type of TYPES) {
  describe(`built-in ${type} roles`, () => {
    it('are the same roles, in the same order', () => {
      expect(builtInRoles(type).map((r) => r.name)).toEqual(goldenRoles(type).map((r) => r.name));
    });

    for (const golden of goldenRoles(type)) {
      describe(golden.name, () => {
        const production = builtInRoles(type).find((r) => r.name === golden.name);

        it('exists, is built in, with the golden title and principal kinds', () => {
          expect(production, `production has no ${type} role ${golden.name}`).toBeDefined();
          expect({
            title: production?.title,
            resourceType: production?.resourceType,
            isCustom: production?.isCustom,
            appliesToUsers: production?.appliesToUsers,
            appliesToRobots: production?.appliesToRobots,
          }).toEqual({
            title: golden.title,
            resourceType: type,
            isCustom: false,
            appliesToUsers: golden.appliesToUsers,
            appliesToRobots: golden.appliesToRobots,
          });
        });

        it('lists exactly the golden (permission, action, params) entries', () => {
          expect(lines(production?.permissions ?? [])).toEqual(lines(golden.permissions));
        });

        it('grants exactly the golden <type>.<action> strings', () => {
          const expected = [...goldenGrantsOfRole(golden)].sort();
          expect([...grantsOf(production ?? { permissions: [] })].sort()).toEqual(expected);
          expect([...grantsOfBuiltIns(type, [golden.name])].sort()).toEqual(expected);
        });

        it('names only permissions of its own resource type, each with an action the permission has', () => {
          for (const p of golden.permissions) {
            const permission = GOLDEN_PERMISSIONS[p.name];
            expect(permission?.resourceType, p.name).toBe(type);
            expect(permission?.actions, `${p.name} ${p.action}`).toContain(p.action);
          }
        });
      });
    }

    it('the union of several roles is the union of their grants', () => {
      const names = goldenRoles(type).map((r) => r.name);
      expect([...grantsOfBuiltIns(type, names)].sort()).toEqual([...goldenGrants(type, names)].sort());
    });
  });
}

describe('the golden table itself', () => {
  it('refuses a role name it does not know, instead of granting nothing', () => {
    expect(() => goldenGrants('project', ['no-such-role'])).toThrow(/no built-in project role no-such-role/);
    expect(() => goldenGrants('organization', ['viewer'])).toThrow(/organization role viewer/);
  });

  it('a project administrator holds every project grant; an organization administrator every organization grant', () => {
    for (const type of TYPES) {
      const every = Object.values(GOLDEN_PERMISSIONS)
        .filter((p) => p.resourceType === type)
        .flatMap((p) => p.actions.map((a) => `${p.type}.${a}`));
      expect([...goldenGrants(type, ['administrator'])].sort()).toEqual([...new Set(every)].sort());
    }
  });
});
