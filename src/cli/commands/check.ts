/**
 * `gatehouse check <permission...>`: does my token hold these permissions on a project or
 * organization? Exit code 0 when it holds all of them, 1 otherwise, so scripts can gate on it.
 */

import type { Command } from 'commander';
import { catalogGrants, PREDEFINED_PERMISSIONS } from '../../model/permissions.js';
import type { ResourceRef } from '../../model/policy.js';
import { closest } from '../../model/suggest.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_USAGE } from '../errors.js';
import { accessPath, type ResourceFlags, resourceOf, withResource } from '../http.js';
import { printJson, printTable, silentFailure } from '../output.js';

interface CheckResult {
  data: Record<string, boolean>;
}

export function registerCheck(program: Command, ctx: CliContext): void {
  withResource(withClientOptions(program.command('check')))
    .description('check whether your token holds permissions on a project or organization (exit 1 if any is missing)')
    .argument('<permission...>', 'permissions as <type>.<action>, e.g. sanity.project.members.read')
    .addHelpText(
      'after',
      `
Example:
  gatehouse check sanity.project.read sanity.project.tokens.create --project uc3abxgv

Exit codes: 0 every permission is held, 1 at least one is not (or the check failed), 2 bad arguments.`,
    )
    .action(async (permissions: string[], options: ClientOptions & ResourceFlags) => {
      const resource = resourceOf(options);
      checkPermissionNames(permissions, resource);
      const { client } = connect(ctx, options);
      const result = await client.get<CheckResult>(accessPath(resource, 'user-permissions', 'me', 'check'), {
        query: { permissions },
      });
      if (!result || typeof result.data !== 'object' || result.data === null) {
        throw new CliError('GET /user-permissions/me/check: the server\'s answer has no "data" object');
      }
      const rows = permissions.map((name) => ({ name, allowed: result.data[name] === true }));
      if (options.json) printJson(ctx, result);
      else
        printTable(
          ctx,
          rows,
          [
            { header: 'PERMISSION', value: (r) => r.name },
            { header: 'ALLOWED', value: (r) => (r.allowed ? 'yes' : 'no') },
          ],
          '',
        );
      if (rows.some((r) => !r.allowed)) throw silentFailure();
    });
}

/**
 * Refuses, before anything is sent, a permission that is not one of the catalog's `<type>.<action>`
 * strings for the resource's type (the server would only answer "no", which reads as "you lack
 * it"): exit 2, naming each one with the closest real permission. The catalog is the one this CLI
 * ships with, the same as its server's (docs/reference/roles.md).
 */
export function checkPermissionNames(permissions: readonly string[], resource: ResourceRef): void {
  const known = catalogGrants(resource.type);
  const other = resource.type === 'project' ? 'organization' : 'project';
  const otherKnown = catalogGrants(other);
  const problems: string[] = [];
  for (const permission of new Set(permissions)) {
    if (known.has(permission)) continue;
    if (otherKnown.has(permission)) {
      problems.push(`${permission} is a permission of ${other}s, not of ${resource.type}s: check it with --${other} <id>`);
      continue;
    }
    const suggestion = fromRoleSyntax(permission, resource.type) ?? closest(permission, known);
    problems.push(`"${permission}" is not a permission${suggestion ? `; did you mean ${suggestion}?` : ''}`);
  }
  if (problems.length === 0) return;
  const example = resource.type === 'project' ? 'sanity.project.members.read' : 'sanity.organization.members.read';
  const hint = `  hint: permissions are written <type>.<action>, e.g. ${example}; docs/reference/roles.md lists them all`;
  if (problems.length === 1) throw new CliError(problems[0] as string, EXIT_USAGE, [hint]);
  throw new CliError(`${problems.length} of the names are not ${resource.type} permissions`, EXIT_USAGE, [
    ...problems.map((problem) => `  ${problem}`),
    hint,
  ]);
}

/** `sanity-project-members:read` (how roles name a permission) → `sanity.project.members.read`. */
function fromRoleSyntax(permission: string, resourceType: ResourceRef['type']): string | undefined {
  const match = /^([a-z0-9-]+)[:.]([A-Za-z]+)$/.exec(permission);
  if (!match) return undefined;
  const named = PREDEFINED_PERMISSIONS.find((p) => p.name === match[1] && p.resourceType === resourceType);
  return named?.actions.includes(match[2] as string) ? `${named.type}.${match[2]}` : undefined;
}
