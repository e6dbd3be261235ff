import { Type } from 'typebox';
import { defineRoute, principalOf, userActor } from '../route.js';
import { Id, includeMembersQuery, Nullable, Organization, StringEnum } from '../schemas.js';

const OrganizationParams = Type.Object({ organizationId: Id('Organization id (`o…`)') });
const Slug = Type.String({
  pattern: '^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$',
  description: '1–20 lowercase letters, digits, dashes',
});

export const organizationRoutes = [
  defineRoute({
    method: 'GET',
    path: '/organizations',
    summary: 'List the organizations you are a member of',
    description:
      'Members are not listed here; `includeMembers` is accepted for compatibility. Get one organization for its members.',
    tags: ['Organizations'],
    policy: { accepts: ['user', 'robot'] },
    query: includeMembersQuery(false),
    response: Type.Array(Organization),
    handler: (ctx) => ctx.services.organizations.list(principalOf(ctx)),
  }),
  defineRoute({
    method: 'POST',
    path: '/organizations',
    summary: 'Create an organization; you become its administrator',
    tags: ['Organizations'],
    policy: { accepts: ['user'], note: 'an organization needs a human owner who becomes its administrator' },
    body: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 100 }),
        slug: Type.Optional(Nullable(Slug)),
        defaultRoleName: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' })),
      },
      { additionalProperties: false },
    ),
    status: 201,
    response: Organization,
    handler: (ctx) => ctx.services.organizations.create(userActor(ctx), ctx.body),
  }),
  defineRoute({
    method: 'GET',
    path: '/organizations/:organizationId',
    summary: 'Get an organization',
    tags: ['Organizations'],
    policy: { accepts: ['user', 'robot'], resource: 'organization', permission: 'sanity.organization.read' },
    params: OrganizationParams,
    query: includeMembersQuery(false),
    response: Organization,
    handler: (ctx) =>
      ctx.services.organizations.get(principalOf(ctx), ctx.params.organizationId, ctx.query.includeMembers ?? false),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/organizations/:organizationId',
    summary: 'Rename an organization or change its slug, default role or whether it takes access requests',
    tags: ['Organizations'],
    policy: { accepts: ['user', 'robot'], resource: 'organization', permission: 'sanity.organization.update' },
    params: OrganizationParams,
    body: Type.Object(
      {
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        slug: Type.Optional(Nullable(Slug)),
        defaultRoleName: Type.Optional(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' })),
        requestAccessStatus: Type.Optional(
          StringEnum(['allowed', 'disabled'] as const, {
            description: '`disabled`: nobody may ask for access to the organization or its projects (403 `requests_disabled`).',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    response: Organization,
    handler: (ctx) => ctx.services.organizations.update(ctx.actor, ctx.params.organizationId, ctx.body),
  }),
];
