/**
 * `gatehouse users list` and `users roles add|remove|set`: the human members of a project or
 * organization and their roles, through the Access API.
 */

import type { Command } from 'commander';
import type { ResourceRef } from '../../model/policy.js';
import type { AccessUser } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { accessPath, describeResource, type ResourceFlags, resourceOf, withResource } from '../http.js';
import { formatTime, printJson, printLines, printTable, text } from '../output.js';

export function registerUsers(program: Command, ctx: CliContext): void {
  const users = program.command('users').description('see who has access to a project or organization, and change their roles');

  withResource(withClientOptions(users.command('list')))
    .description('list the users who are members of a project or organization, with their roles')
    .action(async (options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const list = await client.getAll<AccessUser>(accessPath(resource, 'users'), {
        limit: 100,
      });
      if (options.json) return printJson(ctx, list);
      printTable(
        ctx,
        list,
        [
          { header: 'ID', value: (u) => u.sanityUserId },
          { header: 'NAME', value: (u) => text(u.profile?.displayName) },
          { header: 'EMAIL', value: (u) => text(u.profile?.email) },
          {
            header: 'ROLES',
            value: (u) => [...new Set((u.memberships ?? []).flatMap((m) => m.roleNames ?? []))].join(', ') || '-',
          },
          {
            header: 'ADDED',
            value: (u) => formatTime(u.memberships?.[0]?.addedAt),
          },
          {
            header: 'LAST SEEN',
            value: (u) =>
              formatTime(
                (u.memberships ?? [])
                  .map((m) => m.lastSeenAt)
                  .filter((t): t is string => typeof t === 'string')
                  .sort()
                  .at(-1),
              ),
          },
        ],
        'No users.',
      );
    });

  registerUserRoles(users, ctx);
}

type Options = ClientOptions & ResourceFlags;

function registerUserRoles(users: Command, ctx: CliContext): void {
  const roles = users
    .command('roles')
    .description("change a member's roles on a project or organization (see `gatehouse roles list`)");
  const scoped = (command: Command) => withResource(withClientOptions(command));

  scoped(roles.command('add'))
    .description('grant one more role to a user (the user keeps their other roles)')
    .argument('<userId>', 'user id (see `gatehouse users list`)')
    .argument('<role>', 'role name, e.g. editor')
    .action(async (userId: string, role: string, options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const user = await client.put<AccessUser>(accessPath(resource, 'users', userId, 'roles', role), undefined);
      if (options.json) return printJson(ctx, user);
      printLines(ctx, [`Granted role ${role} to user ${userId} on ${describeResource(resource)}`, rolesLine(user, resource)]);
    });

  scoped(roles.command('remove'))
    .description('take one role away from a user (the user keeps their other roles)')
    .argument('<userId>', 'user id')
    .argument('<role>', 'role name')
    .action(async (userId: string, role: string, options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      await client.delete(accessPath(resource, 'users', userId, 'roles', role));
      if (options.json) return printJson(ctx, { userId, removed: role });
      printLines(ctx, [`Removed role ${role} from user ${userId} on ${describeResource(resource)}`]);
    });

  scoped(roles.command('set'))
    .description("replace all of a user's roles with the ones given")
    .argument('<userId>', 'user id')
    .argument('<role...>', 'every role the user should hold')
    .action(async (userId: string, roleNames: string[], options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const user = await client.put<AccessUser>(accessPath(resource, 'users', userId, 'roles'), { roleNames });
      if (options.json) return printJson(ctx, user);
      printLines(ctx, [`Set the roles of user ${userId} on ${describeResource(resource)}`, rolesLine(user, resource)]);
    });
}

/** `Roles now: a, b` for the membership on `resource`. */
function rolesLine(user: AccessUser, resource: ResourceRef): string {
  const names = (user.memberships ?? [])
    .filter((m) => m.resourceType === resource.type && m.resourceId === resource.id)
    .flatMap((m) => m.roleNames ?? []);
  return `Roles now: ${names.join(', ') || '-'}`;
}
