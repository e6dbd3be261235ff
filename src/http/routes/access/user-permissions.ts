import { Type } from 'typebox';
import { DEFAULT_LIMIT } from '../../../model/pagination.js';
import { accessOf, defineRoute, resourceOf } from '../../route.js';
import { PageOf, PageQuery, ResourceParams } from '../../schemas.js';

export const MAX_CHECKED_PERMISSIONS = 100;

export const EffectivePermission = Type.Object({
  name: Type.String({ description: 'Permission name, e.g. `sanity-project-members`' }),
  type: Type.String({ description: 'Permission type, e.g. `sanity.project.members`' }),
  action: Type.String({ description: 'Action, e.g. `read`; `/check` asks for `<type>.<action>`' }),
  params: Type.Record(Type.String(), Type.Unknown()),
});

export const CheckQuery = Type.Object({
  permissions: Type.Array(
    Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._-]+$', description: '`<type>.<action>`' }),
    {
      minItems: 1,
      maxItems: MAX_CHECKED_PERMISSIONS,
      description: `Permissions to check, as \`<type>.<action>\` (e.g. \`sanity.project.members.read\`), 1–${MAX_CHECKED_PERMISSIONS} of them.`,
    },
  ),
});

/** No permission required: any member may ask what it may do itself; a non-member gets the standard 404. */
const ANY_MEMBER = { accepts: ['user', 'robot'], resource: 'path' } as const;

export const accessUserPermissionRoutes = [
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/user-permissions/me',
    summary: 'List your own effective permissions on a project or organization',
    description:
      'From every role you hold there, including roles implied by your organization roles (an organization administrator administers its projects). Deduplicated, in a stable order.',
    tags: ['Access: permissions'],
    policy: ANY_MEMBER,
    params: ResourceParams,
    query: PageQuery,
    response: PageOf(EffectivePermission),
    handler: (ctx) =>
      ctx.services.access.effectivePermissions(
        resourceOf(ctx),
        accessOf(ctx),
        ctx.query.nextCursor,
        ctx.query.limit ?? DEFAULT_LIMIT,
      ),
  }),
  defineRoute({
    method: 'GET',
    path: '/access/:resourceType/:resourceId/user-permissions/me/check',
    summary: 'Check whether you hold some permissions on a project or organization',
    description:
      'Answers `{"data": {"<type>.<action>": true|false}}` for each `permissions` value. Params of a permission are ignored; an action that does not exist is simply false.',
    tags: ['Access: permissions'],
    policy: ANY_MEMBER,
    params: ResourceParams,
    query: CheckQuery,
    response: Type.Object({ data: Type.Record(Type.String(), Type.Boolean()) }),
    handler: (ctx) => ctx.services.access.check(accessOf(ctx), ctx.query.permissions),
  }),
];
