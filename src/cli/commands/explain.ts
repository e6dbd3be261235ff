/**
 * `gatehouse explain <METHOD> <path>`: would this call be allowed for me, and if not, why and what
 * would fix it. Exit code 0 when allowed, 1 when denied, so scripts can branch on it.
 */
import type { Command } from 'commander';
import type { Explanation } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { formatFields, printJson, printLines, silentFailure, text } from '../output.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function registerExplain(program: Command, ctx: CliContext): void {
  withClientOptions(program.command('explain'))
    .description('explain whether your token may make an API call, and what would fix a denial (exit 1 when denied)')
    .argument('<method>', 'HTTP method: GET, POST, PUT, PATCH, DELETE')
    .argument('<path>', 'API path, with or without the /vYYYY-MM-DD prefix, e.g. /projects/<id>')
    .addHelpText(
      'after',
      `
Nothing is changed: the server only evaluates its access rules for the call.

Examples:
  gatehouse explain GET /projects/uc3abxgv
  gatehouse explain DELETE /v2025-01-09/access/project/uc3abxgv/robots/raqfsud3w5wf

Exit codes: 0 allowed, 1 denied (or the explanation failed), 2 bad arguments.`,
    )
    .action(async (method: string, path: string, options: ClientOptions) => {
      const verb = method.toUpperCase();
      if (!METHODS.includes(verb)) throw usageError(`<method> must be one of ${METHODS.join(', ')}, got "${method}"`);
      if (!path.startsWith('/')) throw usageError(`<path> must start with /, got "${path}"`);
      // Anonymous callers may ask too: "what would an unauthenticated call get?"
      const { client } = connect(ctx, options, { requireToken: false });
      const answer = await client.get<Explanation>('/access/explain', { query: { method: verb, path } });
      if (options.json) printJson(ctx, answer);
      else printExplanation(ctx, answer);
      if (!answer.allowed) throw silentFailure();
    });
}

function printExplanation(ctx: CliContext, answer: Explanation): void {
  printLines(ctx, [answer.allowed ? 'ALLOWED' : `DENIED (${answer.status}): ${answer.message}`, '']);
  const route = answer.route;
  const caller = answer.caller;
  const roles = caller.roles.length > 0 ? caller.roles.join(', ') : '-';
  const implied = caller.impliedRoles.length > 0 ? ` (implied: ${caller.impliedRoles.join(', ')})` : '';
  const fields: Array<[string, string]> = [
    ['Route', route ? `${route.method} ${route.path}` : 'no such route'],
    ...(route
      ? ([
          ['Accepts', route.accepts.join(', ') || '-'],
          ['Permission', text(route.permission)],
          ...(route.managesAccess ? [['Manages access', 'yes'] as [string, string]] : []),
          ...(route.note ? [['Note', route.note] as [string, string]] : []),
        ] as Array<[string, string]>)
      : []),
    ['Resource', answer.resource ? `${answer.resource.type} ${answer.resource.id}` : '-'],
    ['Caller', caller.id ? `${caller.kind} ${caller.id}` : caller.kind],
    ['Roles', `${roles}${implied}`],
  ];
  if (!answer.allowed) {
    const code = answer.reason && typeof answer.reason.code === 'string' ? answer.reason.code : undefined;
    if (code) fields.push(['Reason', code]);
  }
  ctx.stdout(formatFields(fields));
  if (answer.fix) printLines(ctx, ['', `fix: ${answer.fix}`]);
}
