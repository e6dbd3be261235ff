/**
 * The smallest role that covers what a robot did (model/least-privilege.ts), on random roles: it
 * covers every permission used, and no role that covers them is smaller.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CandidateRole, smallestCoveringRole } from '../../src/model/least-privilege.js';

describe('the smallest covering role (model/least-privilege.ts)', () => {
  const grants = ['a.read', 'a.write', 'b.read', 'b.write', 'c.read'];
  const role = fc.record({
    name: fc.stringMatching(/^[a-z]{1,6}$/),
    title: fc.constant('t'),
    isCustom: fc.boolean(),
    grants: fc.subarray(grants).map((g) => new Set(g)),
  });

  it('covers everything used, and no covering role is smaller', () => {
    fc.assert(
      fc.property(fc.array(role, { maxLength: 8 }), fc.subarray(grants), (candidates: CandidateRole[], used) => {
        const exercised = { own: new Set(used), projects: new Set<string>() };
        const best = smallestCoveringRole(candidates, exercised);
        const covering = candidates.filter((c) => used.every((g) => c.grants.has(g)));
        if (covering.length === 0) {
          expect(best).toBeNull();
          return;
        }
        expect(best).not.toBeNull();
        for (const g of used) expect(best?.grants.has(g)).toBe(true);
        for (const c of covering) expect(c.grants.size).toBeGreaterThanOrEqual(best?.grants.size ?? 0);
        // Ties go to a built-in role.
        const smallest = Math.min(...covering.map((c) => c.grants.size));
        if (covering.some((c) => c.grants.size === smallest && !c.isCustom)) expect(best?.isCustom).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
