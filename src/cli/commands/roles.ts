/**
 * `gatehouse roles list|get|create|update|delete`: the roles of a project or organization, built-in
 * and custom, through the Access API roles endpoints.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Role, RolePermission } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { accessPath, describeResource, type ResourceFlags, resourceOf, withResource } from '../http.js';
import { formatFields, printJson, printLines, printTable, text, yesNo } from '../output.js';

/** A permission as POST and PUT take it: `params` may be left out. */
type PermissionInput = Omit<RolePermission, 'params'> & Partial<Pick<RolePermission, 'params'>>;

/** What POST and PUT take; `name` only on POST (PUT names the role in its path). */
type RoleBody = Partial<Pick<Role, 'name' | 'title' | 'description' | 'appliesToUsers' | 'appliesToRobots'>> & {
  permissions?: PermissionInput[];
};

type Options = ClientOptions & ResourceFlags;

interface RoleFlags extends Options {
  name?: string;
  title?: string;
  description?: string;
  users?: boolean;
  robots?: boolean;
  permission?: string[];
  file?: string;
}

export function registerRoles(program: Command, ctx: CliContext): void {
  const roles = program.command('roles').description('list, inspect and manage the roles of a project or organization');

  withRoleScope(roles.command('list'))
    .description('list the roles of a project or organization and whether they apply to users and robots')
    .action(async (options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const list = await client.getAll<Role>(accessPath(resource, 'roles'));
      if (options.json) return printJson(ctx, list);
      printTable(
        ctx,
        list,
        [
          { header: 'NAME', value: (r) => r.name },
          { header: 'TITLE', value: (r) => text(r.title) },
          { header: 'USERS', value: (r) => yesNo(r.appliesToUsers) },
          { header: 'ROBOTS', value: (r) => yesNo(r.appliesToRobots) },
          { header: 'CUSTOM', value: (r) => yesNo(r.isCustom) },
          { header: 'DESCRIPTION', value: (r) => text(r.description) },
        ],
        'No roles.',
      );
    });

  withRoleScope(roles.command('get'))
    .description('show one role and the permissions it grants')
    .argument('<name>', 'role name, e.g. editor (see `gatehouse roles list`)')
    .action(async (name: string, options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const role = await client.get<Role>(accessPath(resource, 'roles', name));
      if (options.json) return printJson(ctx, role);
      printRole(ctx, role);
    });

  withRoleFlags(withRoleScope(roles.command('create')))
    .description('create a custom role from flags or a JSON file')
    .option('--name <name>', 'role name: lowercase letters, digits, - and _ (or "name" in --file)')
    .addHelpText(
      'after',
      `
Example:
  gatehouse roles create --project <id> --name translator --title Translator \\
    --users --no-robots --permission sanity-project:read --permission sanity-document-filter-drafts:update`,
    )
    .action(async (options: RoleFlags) => {
      const resource = resourceOf(options);
      const base = options.file === undefined ? {} : await readRoleFile(ctx, options.file);
      const body = overlay(base, options);
      if (options.name !== undefined) body.name = options.name;
      if (typeof body.name !== 'string' || body.name.trim() === '') {
        throw usageError('a new role needs a name: --name <name> (or "name" in --file)');
      }
      const { client } = connect(ctx, options);
      const role = await client.post<Role>(accessPath(resource, 'roles'), body);
      if (options.json) return printJson(ctx, role);
      printLines(ctx, [`Created role ${role.name} on ${describeResource(resource)}`, '']);
      printRole(ctx, role);
    });

  withRoleFlags(withRoleScope(roles.command('update')))
    .description('change a custom role: the flags given replace those fields, the others are kept')
    .argument('<name>', 'custom role name')
    .addHelpText(
      'after',
      `
The API replaces a role as a whole, so the CLI reads the role first and changes only the fields you
give. --permission replaces the whole permission list. --file gives the full new role instead
(flags still apply on top of it).`,
    )
    .action(async (name: string, options: RoleFlags) => {
      const resource = resourceOf(options);
      const fromFile = options.file === undefined ? undefined : await readRoleFile(ctx, options.file);
      const { client } = connect(ctx, options);
      const path = accessPath(resource, 'roles', name);
      const base = fromFile ?? replaceable(await client.get<Role>(path));
      const { name: _ignored, ...body } = overlay(base, options);
      const role = await client.put<Role>(path, body);
      if (options.json) return printJson(ctx, role);
      printLines(ctx, [`Updated role ${role.name} on ${describeResource(resource)}`, '']);
      printRole(ctx, role);
    });

  withRoleScope(roles.command('delete'))
    .description('delete a custom role; members lose the access it granted')
    .argument('<name>', 'custom role name')
    .action(async (name: string, options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      await client.delete(accessPath(resource, 'roles', name));
      if (options.json) return printJson(ctx, { deleted: name });
      printLines(ctx, [`Deleted role ${name} from ${describeResource(resource)}`]);
    });
}

function withRoleScope(command: Command): Command {
  return withResource(withClientOptions(command));
}

function withRoleFlags(command: Command): Command {
  return command
    .option('--title <title>', 'the name people see')
    .option('--description <text>', 'what the role is for')
    .option('--users', 'the role can be granted to users')
    .option('--no-users', 'the role cannot be granted to users')
    .option('--robots', 'the role can be granted to robots')
    .option('--no-robots', 'the role cannot be granted to robots')
    .option(
      '--permission <name:action>',
      'a permission the role grants, e.g. sanity-project:read (repeatable; see `gatehouse permissions list`)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--file <path>', 'read the role as JSON from this file (`-`: standard input)');
}

/** The fields of `base` with every flag that was given laid over them. */
function overlay(base: RoleBody, flags: RoleFlags): RoleBody {
  const body: RoleBody = { ...base };
  if (flags.title !== undefined) body.title = flags.title;
  if (flags.description !== undefined) body.description = flags.description;
  if (flags.users !== undefined) body.appliesToUsers = flags.users;
  if (flags.robots !== undefined) body.appliesToRobots = flags.robots;
  if (flags.permission !== undefined) body.permissions = flags.permission.map(parsePermission);
  return body;
}

/** A role as the API returns it, reduced to what PUT accepts. */
function replaceable(role: Role): RoleBody {
  const body: RoleBody = {};
  if (typeof role.title === 'string') body.title = role.title;
  if (typeof role.description === 'string') body.description = role.description;
  if (typeof role.appliesToUsers === 'boolean') body.appliesToUsers = role.appliesToUsers;
  if (typeof role.appliesToRobots === 'boolean') body.appliesToRobots = role.appliesToRobots;
  body.permissions = (role.permissions ?? []).map(({ name, action, params }) =>
    params && Object.keys(params).length > 0 ? { name, action, params } : { name, action },
  );
  return body;
}

/** `sanity-project:read` → `{ name: 'sanity-project', action: 'read' }`. */
export function parsePermission(spec: string): PermissionInput {
  const at = spec.lastIndexOf(':');
  const name = spec.slice(0, at).trim();
  const action = spec.slice(at + 1).trim();
  if (at < 0 || name === '' || action === '') {
    throw usageError(`--permission must be <name>:<action>, e.g. sanity-project:read, got "${spec}"`);
  }
  return { name, action };
}

async function readRoleFile(ctx: CliContext, path: string): Promise<RoleBody> {
  let raw: string;
  try {
    raw = path === '-' ? await ctx.readStdin() : readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read --file ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw usageError(`--file ${path} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw usageError(`--file ${path} must hold a JSON object (a role)`);
  }
  return parsed as RoleBody;
}

function printRole(ctx: CliContext, role: Role): void {
  ctx.stdout(
    formatFields([
      ['Name', role.name],
      ['Title', text(role.title)],
      ['Description', text(role.description)],
      ['Custom', yesNo(role.isCustom)],
      ['Users', yesNo(role.appliesToUsers)],
      ['Robots', yesNo(role.appliesToRobots)],
      ['Resource', role.resourceType ? `${role.resourceType} ${text(role.resourceId)}` : '-'],
    ]),
  );
  const permissions = role.permissions ?? [];
  if (permissions.length === 0) {
    printLines(ctx, ['', 'No permissions.']);
    return;
  }
  ctx.stdout('\n');
  printTable(
    ctx,
    permissions,
    [
      { header: 'PERMISSION', value: (p) => p.name },
      { header: 'ACTION', value: (p) => p.action },
      {
        header: 'PARAMS',
        value: (p) => (p.params && Object.keys(p.params).length > 0 ? JSON.stringify(p.params) : '-'),
      },
    ],
    '',
  );
}
