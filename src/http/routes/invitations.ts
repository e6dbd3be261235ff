/**
 * Legacy invitations (Sanity's `/invitations/project/{id}` API), a façade over the Access API's
 * invites.
 */
import { Type } from 'typebox';
import { accessOf, defineRoute } from '../route.js';
import { Id, Nullable, RoleSummary, Timestamp } from '../schemas.js';
import { CreateInviteBody, Invite } from './access/invites.js';

const ProjectParams = Type.Object({ projectId: Id('Project id') });

const LegacyInvitation = Type.Object({
  id: Type.String(),
  email: Type.String(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  isAccepted: Type.Boolean(),
  isRevoked: Type.Boolean(),
  acceptedByUserId: Nullable(Type.String()),
  roles: Type.Array(RoleSummary),
});

export const legacyInvitationRoutes = [
  defineRoute({
    method: 'GET',
    path: '/invitations/project/:projectId',
    summary: 'List a project’s invitations (legacy; prefer /access/project/{id}/invites)',
    description: 'Every invitation, pending or not (at most 500, oldest first). Pending: neither accepted nor revoked.',
    tags: ['Projects: invitations (legacy)'],
    policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.members.read' },
    params: ProjectParams,
    response: Type.Array(LegacyInvitation),
    handler: (ctx) => ctx.services.invites.legacyList(ctx.params.projectId),
  }),
  defineRoute({
    method: 'POST',
    path: '/invitations/project/:projectId',
    summary: 'Invite a person to a project (legacy; prefer /access/project/{id}/invites)',
    tags: ['Projects: invitations (legacy)'],
    policy: { accepts: ['user', 'robot'], resource: 'project', permission: 'sanity.project.members.invite', managesAccess: true },
    params: ProjectParams,
    body: CreateInviteBody,
    status: 201,
    response: Invite,
    handler: (ctx) =>
      ctx.services.invites.create(ctx.actor, { type: 'project', id: ctx.params.projectId }, accessOf(ctx), ctx.body),
  }),
];
