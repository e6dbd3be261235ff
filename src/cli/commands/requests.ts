/**
 * `gatehouse requests list|create|accept|decline|mine`: access requests, through the Access API
 * requests endpoints. People ask with `create`; the members managers of the resource answer with
 * `accept` or `decline`.
 */
import type { Command } from 'commander';
import type { AccessRequest, AccessRequestWithRequester } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { accessPath, describeResource, type ResourceFlags, resourceOf, withResource } from '../http.js';
import { formatFields, formatTime, printJson, printLines, printTable, text } from '../output.js';

type Options = ClientOptions & ResourceFlags;

function withScope(command: Command): Command {
  return withResource(withClientOptions(command));
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function printRequests(ctx: CliContext, list: AccessRequest[]): void {
  printTable(
    ctx,
    list,
    [
      { header: 'ID', value: (r) => r.id },
      { header: 'STATUS', value: (r) => r.status },
      { header: 'RESOURCE', value: (r) => `${r.resourceType} ${r.resourceId}` },
      { header: 'USER', value: (r) => r.requestedByUserId },
      { header: 'TYPE', value: (r) => r.type },
      { header: 'ROLE', value: (r) => text(r.requestedRole) },
      { header: 'CREATED', value: (r) => formatTime(r.createdAt) },
      { header: 'NOTE', value: (r) => text(r.note) },
    ],
    'No access requests.',
  );
}

function printRequest(ctx: CliContext, r: AccessRequest): void {
  printLines(ctx, [
    formatFields([
      ['id', r.id],
      ['status', r.status],
      ['resource', `${r.resourceType} ${r.resourceId}`],
      ['requested by', r.requestedByUserId],
      ['type', r.type],
      ['requested role', text(r.requestedRole)],
      ['note', text(r.note)],
      ['created', formatTime(r.createdAt)],
      ['updated', formatTime(r.updatedAt)],
      ['updated by', text(r.updatedByUserId)],
    ]),
  ]);
}

export function registerRequests(program: Command, ctx: CliContext): void {
  const requests = program
    .command('requests')
    .description('ask for access to a project or organization, and answer the requests of yours');

  withScope(requests.command('list'))
    .description('list the access requests of a project or organization, newest first')
    .option('--include-children', 'on an organization: also the requests for its projects')
    .action(async (options: Options & { includeChildren?: boolean }) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const list = await client.get<AccessRequestWithRequester[]>(accessPath(resource, 'requests'), {
        query: { includeChildren: options.includeChildren ? 'true' : undefined },
      });
      if (options.json) return printJson(ctx, list);
      printRequests(ctx, list);
    });

  withClientOptions(requests.command('mine'))
    .description('list your own access requests, newest first')
    .action(async (options: ClientOptions) => {
      const { client } = connect(ctx, options);
      const list = (await client.get<AccessRequest[] | null>('/access/requests/me')) ?? [];
      if (options.json) return printJson(ctx, list);
      printRequests(ctx, list);
    });

  withScope(requests.command('create'))
    .description('ask for access to a project or organization (or, with --type role, for another role)')
    .option('--note <text>', 'why you ask, at most 150 characters')
    .option('--role <name>', 'the role you would like (a suggestion to the approver)')
    .option('--type <type>', 'access (join, the default) or role (another role as a member)')
    .action(async (options: Options & { note?: string; role?: string; type?: string }) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const body: Record<string, string> = {};
      if (options.note !== undefined) body.note = options.note;
      if (options.role !== undefined) body.requestedRole = options.role;
      if (options.type !== undefined) body.type = options.type;
      const created = await client.post<AccessRequest>(accessPath(resource, 'requests'), body);
      if (options.json) return printJson(ctx, created);
      printLines(ctx, [`Asked for access to ${describeResource(resource)}`, '']);
      printRequest(ctx, created);
    });

  withScope(requests.command('accept'))
    .description('accept an access request: the person joins, or gets the roles')
    .argument('<requestId>', 'the request id (see `gatehouse requests list`)')
    .option('--role <name>', 'a role to give (repeat for more); default: the requested role, else the default role', collect)
    .action(async (requestId: string, options: Options & { role?: string[] }) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const body = options.role?.length ? { roleNames: options.role } : {};
      const accepted = await client.put<AccessRequest>(accessPath(resource, 'requests', requestId, 'accept'), body);
      if (options.json) return printJson(ctx, accepted);
      printLines(ctx, [`Accepted request ${accepted.id} of ${accepted.requestedByUserId} on ${describeResource(resource)}`]);
    });

  withScope(requests.command('decline'))
    .description('decline an access request (the person may not ask again for 14 days)')
    .argument('<requestId>', 'the request id (see `gatehouse requests list`)')
    .action(async (requestId: string, options: Options) => {
      const resource = resourceOf(options);
      const { client } = connect(ctx, options);
      const declined = await client.put<AccessRequest>(accessPath(resource, 'requests', requestId, 'decline'), undefined);
      if (options.json) return printJson(ctx, declined);
      printLines(ctx, [`Declined request ${declined.id} of ${declined.requestedByUserId} on ${describeResource(resource)}`]);
    });
}
