import { Type } from 'typebox';
import { problems } from '../../model/errors.js';
import { ID_REGEX } from '../../model/ids.js';
import { MAX_USER_IDS } from '../../services/users.js';
import { defineRoute, principalOf } from '../route.js';
import { CurrentUser, SanityUser } from '../schemas.js';

export const userRoutes = [
  defineRoute({
    method: 'GET',
    path: '/users/me',
    summary: 'Who the token belongs to (`{}` without a token)',
    description:
      'In a project context (path, `<projectId>.api.` host or `X-Sanity-Project-ID`), `roles` are your roles on that project. Robots have `provider: "sanity-token"`.',
    tags: ['Users'],
    policy: { accepts: ['anonymous', 'user', 'robot'], note: 'anonymous callers get {} so clients can tell they are logged out' },
    response: CurrentUser,
    handler: (ctx) => ctx.services.users.me(ctx.principal, ctx.projectId),
  }),
  defineRoute({
    method: 'GET',
    path: '/users/:userIds',
    summary: 'Get users and robots by id: an object for one id, an array for several (comma-separated)',
    description:
      'Only members who share a project or organization with you are visible (and you yourself). A robot answers with its label as `displayName` and `isRobot: true`, so the ids of a project’s `members[]` all resolve here.',
    tags: ['Users'],
    policy: { accepts: ['user', 'robot'] },
    params: Type.Object({
      userIds: Type.String({ minLength: 1, maxLength: 66 * MAX_USER_IDS, description: 'One id, or several separated by commas' }),
    }),
    response: Type.Union([SanityUser, Type.Array(SanityUser)]),
    handler: (ctx) => {
      const ids = ctx.params.userIds.split(',');
      if (ids.length > MAX_USER_IDS) {
        throw problems.invalidInput(`at most ${MAX_USER_IDS} user ids per request, got ${ids.length}`, 'userIds');
      }
      const bad = ids.find((id) => !ID_REGEX.test(id));
      if (bad !== undefined) throw problems.invalidInput(`"${bad.slice(0, 70)}" is not a valid user id`, 'userIds');
      return ctx.services.users.byIds(principalOf(ctx), ids, ctx.projectId);
    },
  }),
];
