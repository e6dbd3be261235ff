import { Type } from 'typebox';
import { defineRoute, principalOf, userActor } from '../route.js';
import { Id, includeMembersQuery, Nullable, Project } from '../schemas.js';

const Metadata = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { description: 'Free-form metadata (≤ 8 KiB).' });

export const CreateProjectBody = Type.Object(
  {
    displayName: Type.String({ minLength: 1, maxLength: 80 }),
    organizationId: Type.Optional(Id('Create the project inside this organization')),
    metadata: Type.Optional(Metadata),
    subscription: Type.Optional(Type.Object({ planId: Type.Optional(Type.String({ maxLength: 100 })) })),
  },
  { additionalProperties: false },
);

export const projectRoutes = [
  defineRoute({
    method: 'GET',
    path: '/projects',
    summary: 'List the projects you are a member of, oldest first',
    tags: ['Projects'],
    policy: { accepts: ['user', 'robot'], note: 'a robot sees the one project it belongs to' },
    query: Type.Object({
      ...includeMembersQuery(true).properties,
      organizationId: Type.Optional(Id('Only projects of this organization')),
      onlyExplicitMembership: Type.Optional(Type.Boolean()),
    }),
    response: Type.Array(Project),
    handler: (ctx) =>
      ctx.services.projects.list(principalOf(ctx), {
        includeMembers: ctx.query.includeMembers ?? true,
        organizationId: ctx.query.organizationId || undefined,
      }),
  }),
  defineRoute({
    method: 'POST',
    path: '/projects',
    summary: 'Create a project; you become its administrator',
    description:
      'With `organizationId`, the project is created inside that organization, which needs `sanity.organization.projects.attach` on it (404 if you are not a member).',
    tags: ['Projects'],
    policy: { accepts: ['user'], note: 'a project needs a human owner who becomes its administrator' },
    body: CreateProjectBody,
    status: 201,
    response: Project,
    handler: (ctx) => ctx.services.projects.create(userActor(ctx), ctx.body),
  }),
  defineRoute({
    method: 'GET',
    path: '/projects/:projectId',
    summary: 'Get a project',
    tags: ['Projects'],
    policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.read' },
    params: Type.Object({ projectId: Id('Project id') }),
    query: includeMembersQuery(true),
    response: Project,
    handler: (ctx) => ctx.services.projects.get(principalOf(ctx), ctx.params.projectId, ctx.query.includeMembers ?? true),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/projects/:projectId',
    summary: 'Change a project’s name, studio host or metadata (metadata keys are merged), or move it between organizations',
    description:
      'With `organizationId`, the project moves into that organization (needs `sanity.organization.projects.attach` on it), or out of its organization with `null` (needs `sanity.organization.projects.detach` on the one it leaves); a non-member of either gets 404. The project’s own members keep their roles.',
    tags: ['Projects'],
    policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.update' },
    params: Type.Object({ projectId: Id('Project id') }),
    body: Type.Object(
      {
        displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
        studioHost: Type.Optional(Nullable(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }))),
        metadata: Type.Optional(Metadata),
        organizationId: Type.Optional(Nullable(Id('Move the project into this organization; null: out of its organization'))),
      },
      { additionalProperties: false },
    ),
    response: Project,
    handler: (ctx) => ctx.services.projects.update(ctx.actor, ctx.params.projectId, ctx.body),
  }),
];
