/** `gatehouse roles list`: the roles that can be granted on a project. */
import type { Command } from 'commander';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { printJson, printTable, text } from '../output.js';

interface Role {
  name: string;
  title?: string;
  description?: string;
  appliesToUsers?: boolean;
  appliesToRobots?: boolean;
  isCustom?: boolean;
}

export function registerRoles(program: Command, ctx: CliContext): void {
  const roles = program.command('roles').description('see the roles of a project');

  withClientOptions(roles.command('list'))
    .description('list the roles of a project and whether they apply to users and robots')
    .requiredOption('--project <projectId>', 'project id')
    .action(async (options: ClientOptions & { project: string }) => {
      const { client } = connect(ctx, options);
      const list = await client.getAll<Role>(`/access/project/${encodeURIComponent(options.project)}/roles`);
      if (options.json) return printJson(ctx, list);
      const yes = (value: boolean | undefined) => (value ? 'yes' : 'no');
      printTable(
        ctx,
        list,
        [
          { header: 'NAME', value: (r) => r.name },
          { header: 'TITLE', value: (r) => text(r.title) },
          { header: 'USERS', value: (r) => yes(r.appliesToUsers) },
          { header: 'ROBOTS', value: (r) => yes(r.appliesToRobots) },
          { header: 'CUSTOM', value: (r) => yes(r.isCustom) },
          { header: 'DESCRIPTION', value: (r) => text(r.description) },
        ],
        'No roles.',
      );
    });
}
