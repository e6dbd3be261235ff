/**
 * `/users/me` and `/users/{ids}`: who the caller is, and the members it shares resources with.
 *
 * A robot is a member like a person, under one id (`r…`): the id in a project's `members[]`, the
 * `id` here, and `/users/me` for its own token. So `/users/{ids}` answers for robots too, with the
 * robot's label as `displayName` and `isRobot: true` (docs/concepts.md, "Ids").
 */
import { problems } from '../model/errors.js';
import type { Principal } from '../model/principals.js';
import { builtInRole } from '../model/roles.js';
import { findRobots } from '../store/robots.js';
import { findUser, findUsers, visiblePrincipals } from '../store/users.js';
import type { AuthService } from './auth.js';
import type { Deps } from './context.js';
import { roleSummaries } from './role-catalog.js';
import { robotUserView, sanityUserView } from './views.js';

export const MAX_USER_IDS = 100;

export class UserService {
  constructor(
    private readonly deps: Deps,
    private readonly auth: AuthService,
  ) {}

  /**
   * The caller; with a project context, its roles on that project (none if not a member). Both
   * come from the authorization cache: the roles are those of the caller's access there.
   */
  async me(principal: Principal | null, projectId: string | null) {
    if (!principal) return {};
    // A robot without an explicit context speaks for the project it belongs to.
    if (projectId === null && principal.kind === 'robot' && principal.resourceType === 'project') {
      projectId = principal.resourceId;
    }
    const access = projectId ? await this.auth.accessOf(principal, { type: 'project', id: projectId }, false, false) : null;
    const roleNames = access?.roleNames ?? [];
    // Built-in titles come from the model; only a custom role's title needs a read.
    const custom = projectId !== null && roleNames.some((name) => !builtInRole('project', name));
    const summaries = await roleSummaries(this.deps.db, 'project', custom && projectId ? [projectId] : []);
    const roles = projectId ? roleNames.map((name) => summaries(projectId, name)) : [];
    const role = roleNames[0] ?? '';
    if (principal.kind === 'robot') {
      return { id: principal.id, name: principal.label, email: '', profileImage: null, provider: 'sanity-token', role, roles };
    }
    const profile = this.auth.userProfile(principal);
    if (profile) {
      return {
        id: principal.id,
        name: principal.displayName,
        email: principal.email,
        profileImage: profile.imageUrl,
        provider: profile.provider,
        role,
        roles,
      };
    }
    const user = await findUser(this.deps.db, principal.id);
    if (!user) throw problems.notFound('User not found');
    return {
      id: user.id,
      name: user.display_name,
      email: user.email,
      profileImage: user.image_url,
      provider: user.provider,
      role,
      roles,
    };
  }

  /**
   * One id → an object (404 if not visible); several → an array of the visible ones, in the order
   * asked. People and robots alike: those who share a project or organization with the caller, and
   * the caller itself.
   */
  async byIds(principal: Principal, ids: string[], projectId: string | null) {
    const unique = [...new Set(ids)];
    const visible = await visiblePrincipals(this.deps.db, principal.id, unique);
    if (unique.includes(principal.id)) visible.set(principal.id, principal.kind === 'robot' ? 'robot' : 'user');
    const of = (kind: 'user' | 'robot') => [...visible].filter(([, k]) => k === kind).map(([id]) => id);
    const [users, robots] = await Promise.all([findUsers(this.deps.db, of('user')), findRobots(this.deps.db, of('robot'))]);
    const byId = new Map<string, ReturnType<typeof sanityUserView> | ReturnType<typeof robotUserView>>([
      ...users.map((u) => [u.id, sanityUserView(u, projectId, principal.id)] as const),
      ...robots.map((r) => [r.id, robotUserView(r, projectId, principal.id)] as const),
    ]);
    if (ids.length === 1) {
      const one = byId.get(ids[0] as string);
      if (!one)
        throw problems.notFound(`User not found: ${ids[0]}`, {
          hint: 'No such user or robot, or you share no project or organization with them.',
        });
      return one;
    }
    return unique.flatMap((id) => {
      const view = byId.get(id);
      return view ? [view] : [];
    });
  }
}
