/**
 * `gatehouse invites send|list|revoke|accept`: invitations to a project or organization, through
 * the Access API. `accept` takes the token (or the whole link) from the e-mail.
 */
import type { Command } from 'commander';
import type { AccessUser, Invite, InviteWithResource } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { accessPath, describeResource, type ResourceFlags, resourceOf, withResource } from '../http.js';
import { formatTime, printJson, printLines, printTable, text } from '../output.js';

type Options = ClientOptions & ResourceFlags;

const STATUSES = ['pending', 'accepted', 'revoked'];
const TOKEN = /gth_invite_[0-9A-Za-z]{49}/;

export function registerInvites(program: Command, ctx: CliContext): void {
  const invites = program
    .command('invites')
    .description('invite people to a project or organization by e-mail, and accept invitations');
  const scoped = (command: Command) => withResource(withClientOptions(command));

  scoped(invites.command('send'))
    .description('e-mail an invitation with one role (it works once, and expires)')
    .argument('<email>', 'who to invite')
    .requiredOption('--role <role>', 'the role the invitee gets, e.g. editor (see `gatehouse roles list`)')
    .action(async (email: string, options: Options & { role: string }) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const invite = await client.post<Invite>(accessPath(resource, 'invites'), { email, role: options.role });
      if (options.json) return printJson(ctx, invite);
      printLines(ctx, [
        `Invited ${invite.email} to ${describeResource(resource)} as ${invite.role} (invite ${invite.id}, expires ${formatTime(invite.expiresAt)})`,
      ]);
    });

  scoped(invites.command('list'))
    .description('list the invitations of a project or organization')
    .option('--status <status...>', `which ones: ${STATUSES.join(', ')} (default pending)`)
    .action(async (options: Options & { status?: string[] }) => {
      const resource = resourceOf(options);
      for (const status of options.status ?? []) {
        if (!STATUSES.includes(status)) throw usageError(`--status must be one of ${STATUSES.join(', ')}, got "${status}"`);
      }
      const { client } = connect(ctx, options);
      const list = await client.getAll<Invite>(accessPath(resource, 'invites'), {
        limit: 100,
        ...(options.status ? { status: options.status } : {}),
      });
      if (options.json) return printJson(ctx, list);
      printTable(
        ctx,
        list,
        [
          { header: 'ID', value: (i) => i.id },
          { header: 'EMAIL', value: (i) => i.email },
          { header: 'ROLE', value: (i) => i.role },
          { header: 'STATUS', value: (i) => i.status },
          { header: 'CREATED', value: (i) => formatTime(i.createdAt) },
          { header: 'EXPIRES', value: (i) => formatTime(i.expiresAt) },
          { header: 'ACCEPTED BY', value: (i) => text(i.acceptedByUserId) },
        ],
        'No invitations.',
      );
    });

  scoped(invites.command('revoke'))
    .description('revoke a pending invitation: its link stops working')
    .argument('<inviteId>', 'invite id (see `gatehouse invites list`)')
    .action(async (inviteId: string, options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      await client.delete(accessPath(resource, 'invites', inviteId));
      if (options.json) return printJson(ctx, { id: inviteId, status: 'revoked' });
      printLines(ctx, [`Revoked invite ${inviteId} on ${describeResource(resource)}`]);
    });

  withClientOptions(invites.command('accept'))
    .description('accept an invitation sent to your e-mail address: you become a member with its role')
    .argument('<token>', 'the invite token, or the whole link from the e-mail')
    .action(async (tokenOrLink: string, options: ClientOptions) => {
      const token = TOKEN.exec(tokenOrLink)?.[0];
      if (!token) throw usageError('give the invite token (gth_invite_…) or the link from the e-mail');
      const { client } = connect(ctx, options);
      const invite = await client.get<InviteWithResource>(`/invites/${token}`);
      const resource = { type: invite.resourceType as 'project' | 'organization', id: invite.resourceId };
      const user = await client.post<AccessUser>(accessPath(resource, 'invites', 'token', token, 'accept'), undefined);
      if (options.json) return printJson(ctx, user);
      const roles = (user.memberships ?? [])
        .filter((m) => m.resourceType === resource.type && m.resourceId === resource.id)
        .flatMap((m) => m.roleNames ?? []);
      printLines(ctx, [
        `Joined ${describeResource(resource)}${invite.resourceDisplayName ? ` (${invite.resourceDisplayName})` : ''} as ${invite.role}`,
        `Roles now: ${roles.join(', ') || '-'}`,
      ]);
    });
}
