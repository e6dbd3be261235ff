/** `gatehouse users list`: the human members of a project, through the Access API. */
import type { Command } from 'commander';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { formatTime, printJson, printTable, text } from '../output.js';

interface AccessUser {
  sanityUserId: string;
  profile?: {
    id?: string;
    displayName?: string;
    email?: string;
    provider?: string;
    createdAt?: string;
  };
  memberships?: Array<{
    roleNames?: string[];
    addedAt?: string;
    lastSeenAt?: string | null;
  }>;
}

export function registerUsers(program: Command, ctx: CliContext): void {
  const users = program.command('users').description('see who has access to a project');

  withClientOptions(users.command('list'))
    .description('list the users who are members of a project, with their roles')
    .requiredOption('--project <projectId>', 'project id')
    .action(async (options: ClientOptions & { project: string }) => {
      const { client } = connect(ctx, options);
      const list = await client.getAll<AccessUser>(`/access/project/${encodeURIComponent(options.project)}/users`, {
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
}
