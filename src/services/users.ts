/** `/users/me` and `/users/{ids}`: who the caller is, and the people it shares resources with. */
import { problems } from '../model/errors.js';
import type { Principal } from '../model/principals.js';
import { findUser, findUsers, visibleUserIds } from '../store/users.js';
import type { AuthService } from './auth.js';
import type { Deps } from './context.js';
import { roleSummary, sanityUserView } from './views.js';

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
    const roles = roleNames.map((name) => roleSummary('project', name));
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

  /** One id → an object (404 if not visible); several → an array of the visible ones. */
  async byIds(principal: Principal, ids: string[], projectId: string | null) {
    const unique = [...new Set(ids)];
    const visible = await visibleUserIds(this.deps.db, principal.id, unique);
    if (principal.kind === 'user' && unique.includes(principal.id)) visible.add(principal.id);
    const rows = await findUsers(this.deps.db, [...visible]);
    const byId = new Map(rows.map((u) => [u.id, sanityUserView(u, projectId, principal.id)]));
    if (ids.length === 1) {
      const one = byId.get(ids[0] as string);
      if (!one)
        throw problems.notFound(`User not found: ${ids[0]}`, {
          hint: 'No such user, or you share no project or organization with them.',
        });
      return one;
    }
    return unique.flatMap((id) => {
      const view = byId.get(id);
      return view ? [view] : [];
    });
  }
}
