/**
 * `gatehouse permissions list|get|create|delete`: the permissions roles are built from, predefined
 * and custom, on a project or organization.
 */
import type { Command } from 'commander';
import type { Permission } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { accessPath, describeResource, type ResourceFlags, resourceOf, withResource } from '../http.js';
import { formatFields, printJson, printLines, printTable, text, yesNo } from '../output.js';

type Options = ClientOptions & ResourceFlags;

interface CreateFlags extends Options {
  name: string;
  type: string;
  title?: string;
  description?: string;
  filter?: string;
  dataset?: string;
}

export function registerPermissions(program: Command, ctx: CliContext): void {
  const permissions = program
    .command('permissions')
    .description('list, inspect and manage the permissions of a project or organization');

  withScope(permissions.command('list'))
    .description('list the permissions roles can grant: predefined ones and custom ones')
    .action(async (options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const list = await client.getAll<Permission>(accessPath(resource, 'permissions'));
      if (options.json) return printJson(ctx, list);
      printTable(
        ctx,
        list,
        [
          { header: 'NAME', value: (p) => p.name },
          { header: 'TYPE', value: (p) => p.type },
          { header: 'ACTIONS', value: (p) => (p.actions ?? []).join(', ') || '-' },
          { header: 'CUSTOM', value: (p) => yesNo(p.isCustom) },
          { header: 'TITLE', value: (p) => text(p.title) },
        ],
        'No permissions.',
      );
    });

  withScope(permissions.command('get'))
    .description('show one permission, its actions and its configuration')
    .argument('<name>', 'permission name, e.g. sanity-project-members')
    .action(async (name: string, options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const permission = await client.get<Permission>(accessPath(resource, 'permissions', name));
      if (options.json) return printJson(ctx, permission);
      printPermission(ctx, permission);
    });

  withScope(permissions.command('create'))
    .description('create a custom permission, e.g. a document filter to use in custom roles')
    .requiredOption('--name <name>', 'permission name: lowercase letters, digits, - and _')
    .requiredOption('--type <type>', 'permission type, e.g. sanity.document.filter (see `permissions list`)')
    .option('--title <title>', 'the name people see')
    .option('--description <text>', 'what the permission covers')
    .option('--filter <groq>', 'GROQ filter of the documents it covers (config.filter)')
    .option('--dataset <name>', 'dataset it is limited to (config.dataset)')
    .addHelpText(
      'after',
      `
Example:
  gatehouse permissions create --project <id> --name articles --type sanity.document.filter \\
    --title Articles --filter '_type == "article"' --dataset production`,
    )
    .action(async (options: CreateFlags) => {
      const resource = resourceOf(options);
      if (options.name.trim() === '') throw usageError('--name must not be empty');
      const config: Record<string, string> = {};
      if (options.filter !== undefined) config.filter = options.filter;
      if (options.dataset !== undefined) config.dataset = options.dataset;
      const { client } = connect(ctx, options);
      const permission = await client.post<Permission>(accessPath(resource, 'permissions'), {
        name: options.name,
        type: options.type,
        ...(options.title !== undefined ? { title: options.title } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(Object.keys(config).length > 0 ? { config } : {}),
      });
      if (options.json) return printJson(ctx, permission);
      printLines(ctx, [`Created permission ${permission.name} on ${describeResource(resource)}`, '']);
      printPermission(ctx, permission);
    });

  withScope(permissions.command('delete'))
    .description('delete a custom permission')
    .argument('<name>', 'custom permission name')
    .action(async (name: string, options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      await client.delete(accessPath(resource, 'permissions', name));
      if (options.json) return printJson(ctx, { deleted: name });
      printLines(ctx, [`Deleted permission ${name} from ${describeResource(resource)}`]);
    });
}

function withScope(command: Command): Command {
  return withResource(withClientOptions(command));
}

function printPermission(ctx: CliContext, permission: Permission): void {
  const config = permission.config ?? {};
  ctx.stdout(
    formatFields([
      ['Name', permission.name],
      ['Type', permission.type],
      ['Title', text(permission.title)],
      ['Description', text(permission.description)],
      ['Custom', yesNo(permission.isCustom)],
      ['Actions', (permission.actions ?? []).join(', ') || '-'],
      ['Resource', permission.resourceType ? `${permission.resourceType} ${text(permission.resourceId)}` : '-'],
      ...Object.entries(config).map(([key, value]): [string, string] => [
        `Config ${key}`,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    ]),
  );
}
