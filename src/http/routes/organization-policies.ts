/** Organization policies: the rules an organization sets for the robots of itself and its projects. */
import { Type } from 'typebox';
import { defineRoute } from '../route.js';
import { Id, Nullable, Timestamp } from '../schemas.js';

const OrganizationParams = Type.Object({ organizationId: Id('Organization id (`o…`)') });

export const OrganizationPolicies = Type.Object({
  organizationId: Type.String(),
  robotTokenMaxLifetimeDays: Nullable(
    Type.Integer({
      description:
        'Longest a robot token of the organization or of its projects may live, in days from its creation or last change of expiry; null: no limit.',
    }),
  ),
  robotsMayManageMembers: Type.Boolean({
    description: 'Whether robots may manage members, roles, permissions and robots of the organization and its projects.',
  }),
  ssoTokenLifetimeDays: Nullable(
    Type.Integer({
      description:
        'Lifetime of personal tokens from logins through the organization’s own identity providers, in days; null: the server’s default (GATEHOUSE_SSO_TOKEN_LIFETIME_DAYS).',
    }),
  ),
  updatedAt: Timestamp,
});

const path = '/organizations/:organizationId/policies';

export const UpdateOrganizationPoliciesBody = Type.Object(
  {
    robotTokenMaxLifetimeDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 3650 }))),
    robotsMayManageMembers: Type.Optional(Type.Boolean()),
    ssoTokenLifetimeDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 365 }))),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const organizationPolicyRoutes = [
  defineRoute({
    method: 'GET',
    path,
    summary: 'Get the policies an organization sets for robots and SSO logins',
    tags: ['Organizations'],
    policy: { accepts: ['user', 'robot'], resource: 'organization', permission: 'sanity.organization.read' },
    params: OrganizationParams,
    response: OrganizationPolicies,
    handler: (ctx) => ctx.services.policies.get(ctx.params.organizationId),
  }),
  defineRoute({
    method: 'PATCH',
    path,
    summary: 'Change the policies an organization sets for robots and SSO logins',
    description:
      'A new `robotTokenMaxLifetimeDays` applies to robots created, or whose expiry is changed, from now on: existing robots keep their expiry. `robotsMayManageMembers: false` takes effect on the next request. A new `ssoTokenLifetimeDays` applies to logins from now on.',
    tags: ['Organizations'],
    policy: {
      accepts: ['user'],
      resource: 'organization',
      permission: 'sanity.organization.update',
      managesAccess: true,
      note: 'robots cannot change the rules that govern robots',
    },
    params: OrganizationParams,
    body: UpdateOrganizationPoliciesBody,
    response: OrganizationPolicies,
    handler: (ctx) => ctx.services.policies.update(ctx.actor, ctx.params.organizationId, ctx.body),
  }),
];
