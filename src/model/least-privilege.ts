/**
 * The smallest role that covers what a robot actually did: the heart of the permissions-used
 * report (services/usage.ts). Pure.
 */

export interface CandidateRole {
  name: string;
  title: string;
  isCustom: boolean;
  /** `<type>.<action>` grants on the role's own resource. */
  grants: ReadonlySet<string>;
  /** For an organization role: the grants it implies on the organization's projects. */
  projectGrants?: ReadonlySet<string>;
}

export interface Exercised {
  /** Permissions used on the robot's own resource. */
  own: ReadonlySet<string>;
  /** For an organization robot: permissions used on the organization's projects. */
  projects: ReadonlySet<string>;
}

function covers(role: CandidateRole, used: Exercised): boolean {
  for (const grant of used.own) if (!role.grants.has(grant)) return false;
  for (const grant of used.projects) if (!role.projectGrants?.has(grant)) return false;
  return true;
}

function size(role: CandidateRole): number {
  return role.grants.size + (role.projectGrants?.size ?? 0);
}

/**
 * Of the roles that cover everything used, the one granting least: fewest grants, a built-in role
 * before a custom one of the same size, then by name. Null when no role covers it all.
 */
export function smallestCoveringRole(candidates: readonly CandidateRole[], used: Exercised): CandidateRole | null {
  let best: CandidateRole | null = null;
  for (const role of candidates) {
    if (!covers(role, used)) continue;
    if (
      best === null ||
      size(role) < size(best) ||
      (size(role) === size(best) &&
        (Number(role.isCustom) < Number(best.isCustom) || (role.isCustom === best.isCustom && role.name < best.name)))
    ) {
      best = role;
    }
  }
  return best;
}
