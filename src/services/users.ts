/**
 * `/users/me` and `/users/{ids}`: who the caller is, and the members it shares resources with.
 *
 * A robot is a member like a person, under one id (`r…`): the id in a project's `members[]`, the
 * `id` here, and `/users/me` for its own token. So `/users/{ids}` answers for robots too, with the
 * robot's label as `displayName` and `isRobot: true` (docs/concepts.md, "Ids").
 */
import { problems } from '../model/errors.js';
import { andThen, type MaybePromise } from '../model/maybe-promise.js';
import type { Principal } from '../model/principals.js';
import { findRobots } from '../store/robots.js';
import { findUser, findUsers, visiblePrincipals } from '../store/users.js';
import type { AuthService } from './auth.js';
import type { Deps } from './context.js';
import { builtInSummary, type RoleSummary, roleSummaries } from './role-catalog.js';
import { robotUserView, sanityUserView } from './views.js';

export const MAX_USER_IDS = 100;

/** `/users/me`: Sanity's shape of the caller, with its roles in the project context. */
export interface MeView {
  id: string;
  name: string;
  email: string;
  profileImage: string | null;
  provider: string;
  role: string;
  roles: RoleSummary[];
}

export class UserService {
  constructor(
    private readonly deps: Deps,
    private readonly auth: AuthService,
  ) {}

  /**
   * The caller; with a project context, its roles on that project (none if not a member). Both
   * come from the authorization cache: the roles are those of the caller's access there. Answered
   * at once when the caller's access is in memory and its roles are built-in.
   */
  me(principal: Principal | null, projectId: string | null): MaybePromise<MeView | Record<string, never>> {
    if (!principal) return {};
    // A robot without an explicit context speaks for the project it belongs to.
    const context =
      projectId === null && principal.kind === 'robot' && principal.resourceType === 'project' ? principal.resourceId : projectId;
    if (context === null) return this.meView(principal, []);
    const access = this.auth.accessOf(principal, { type: 'project', id: context }, false, false);
    return andThen(access, (held) => {
      const roleNames = held?.roleNames ?? [];
      // Built-in titles come from the model; only a custom role's title needs a read.
      const builtIn = roleNames.map((name) => builtInSummary('project', name));
      if (builtIn.every((summary) => summary !== undefined)) return this.meView(principal, builtIn);
      return roleSummaries(this.deps.db, 'project', [context]).then((summaries) =>
        this.meView(
          principal,
          roleNames.map((name) => summaries(context, name)),
        ),
      );
    });
  }

  private meView(principal: Principal, roles: RoleSummary[]): MaybePromise<MeView> {
    const role = roles[0]?.name ?? '';
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
    return findUser(this.deps.db, principal.id).then((user) => {
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
    });
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
