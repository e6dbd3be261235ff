/**
 * `gatehouse audit list|export|verify`: the audit log.
 *
 * `list` and `export` read the activity API like any script (`GET /activity`,
 * `GET /activity/export/csv`), so they show what the caller may audit. `verify` is an operator
 * command: it opens the configured database, recomputes the hash chain in sequence order and
 * reports the first break (exit 1), or that the chain is intact (exit 0). See docs/audit.md.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ActivityPage } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions, withJson } from '../client-options.js';
import type { CliContext } from '../context.js';
import { ApiError, CliError } from '../errors.js';
import { type ConfigOptions, firstLine, loadOperatorConfig, operatorModules, withDatabaseOptions } from '../operator.js';
import { formatTime, printJson, printLines, printTable, text } from '../output.js';

interface FilterOptions extends ClientOptions {
  actor?: string[];
  user?: string[];
  project?: string[];
  organization?: string[];
  action?: string[];
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
  output?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function withFilters(command: Command): Command {
  return command
    .option('--actor <id>', 'events done by this user or robot (`null`: by the system); repeatable', collect)
    .option('--user <id>', 'events whose target is this user; repeatable', collect)
    .option('--project <id>', 'events of this project; repeatable', collect)
    .option('--organization <id>', 'events of this organization; repeatable', collect)
    .option('--action <action>', 'events of this action (e.g. robot.create); repeatable', collect)
    .option('--since <time>', 'events at or after this RFC 3339 time')
    .option('--until <time>', 'events before this RFC 3339 time')
    .option('--limit <n>', 'at most this many events');
}

function queryOf(options: FilterOptions): Record<string, string | string[] | undefined> {
  return {
    actorId: options.actor,
    userId: options.user,
    projectId: options.project,
    organizationId: options.organization,
    action: options.action,
    startTime: options.since,
    endTime: options.until,
    limit: options.limit,
    nextCursor: options.cursor,
  };
}

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('read, export and verify the audit log');

  withFilters(withClientOptions(audit.command('list')))
    .description('list audit events you may audit, newest first (one page; --cursor for the next)')
    .option('--cursor <cursor>', 'the next-page cursor printed by the previous call')
    .action(async (options: FilterOptions) => {
      const { client } = connect(ctx, options);
      const page = await client.get<ActivityPage>('/activity', {
        query: queryOf(options),
      });
      if (options.json) return printJson(ctx, page);
      printTable(
        ctx,
        page.data,
        [
          { header: 'SEQ', value: (e) => String(e.sequence) },
          { header: 'TIME', value: (e) => formatTime(e.timestamp) },
          { header: 'ACTION', value: (e) => e.action },
          { header: 'ACTOR', value: (e) => (e.actorId ? `${e.actorType} ${e.actorId}` : e.actorType) },
          {
            header: 'RESOURCE',
            value: (e) =>
              text(e.projectId ? `project ${e.projectId}` : e.organizationId ? `organization ${e.organizationId}` : null),
          },
          { header: 'TARGET', value: (e) => text(e.target ? `${e.target.type} ${e.target.id}` : null) },
        ],
        'No events.',
      );
      if (page.nextCursor) printLines(ctx, ['', `More: ${continuation(options, page.nextCursor)}`]);
    });

  withFilters(withClientOptions(audit.command('export')))
    .description('export audit events you may audit as CSV (to stdout, or --output)')
    .option('--output <file>', 'write the CSV to this file')
    .action(async (options: FilterOptions) => {
      const { client, auth } = connect(ctx, options);
      const url = client.url('/activity/export/csv', queryOf(options));
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: 'text/csv', 'user-agent': 'gatehouse-cli', authorization: `Bearer ${auth.token}` },
          redirect: 'manual',
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        throw new CliError(`cannot reach ${client.apiHost}: ${firstLine(error)}`);
      }
      const body = await response.text();
      if (response.status !== 200) throw exportError(response.status, body);
      if (options.output) {
        writeFileSync(options.output, body, { mode: 0o600 });
        const rows = Math.max(0, body.split('\r\n').filter(Boolean).length - 1);
        printLines(ctx, [`Wrote ${rows} event${rows === 1 ? '' : 's'} to ${options.output}`]);
        return;
      }
      ctx.stdout(body);
    });

  withJson(withDatabaseOptions(audit.command('verify')))
    .description('recompute the audit log’s hash chain on the database; exit 1 at the first break')
    .action(async (options: ConfigOptions & { json?: boolean }) => {
      const config = loadOperatorConfig(ctx, options);
      const { openStore } = await operatorModules.store();
      const { verifyAuditLog } = await operatorModules.audit();
      const store = openStore(config.database);
      let result: Awaited<ReturnType<typeof verifyAuditLog>>;
      try {
        result = await verifyAuditLog(store.db);
      } catch (error) {
        throw new CliError(`cannot verify the audit log: ${firstLine(error)}`);
      } finally {
        await store.close();
      }
      if (options.json) {
        printJson(ctx, { intact: result.break === null, ...result });
        if (result.break) throw new CliError('', 1);
        return;
      }
      const unchained =
        result.unchained > 0
          ? ` (${result.unchained} older event${result.unchained === 1 ? '' : 's'} written before the chain existed, not verifiable)`
          : '';
      if (!result.break) {
        printLines(ctx, [`${result.verified} events, chain intact${unchained}`]);
        return;
      }
      const b = result.break;
      throw new CliError(
        `audit log chain broken at sequence ${b.sequence}${b.eventId ? `, event ${b.eventId}` : ''}: ${b.kind.replaceAll('_', ' ')}`,
        1,
        [
          `  detail: ${b.detail}`,
          `  expected: ${b.expected}`,
          `  found: ${b.actual ?? '(nothing)'}`,
          `  verified before the break: ${result.verified} events${unchained}`,
        ],
      );
    });
}

/**
 * The command that lists the next page of the same listing: every filter given, repeated as given,
 * and the new cursor in place of the old one. Values are quoted for a POSIX shell when they need it.
 */
export function continuation(options: FilterOptions, cursor: string): string {
  const args = ['gatehouse', 'audit', 'list'];
  const repeat = (flag: string, values: string[] | undefined) => {
    for (const value of values ?? []) args.push(flag, shellWord(value));
  };
  repeat('--actor', options.actor);
  repeat('--user', options.user);
  repeat('--project', options.project);
  repeat('--organization', options.organization);
  repeat('--action', options.action);
  if (options.since !== undefined) args.push('--since', shellWord(options.since));
  if (options.until !== undefined) args.push('--until', shellWord(options.until));
  if (options.limit !== undefined) args.push('--limit', shellWord(options.limit));
  if (options.apiHost !== undefined) args.push('--api-host', shellWord(options.apiHost));
  args.push('--cursor', shellWord(cursor));
  return args.join(' ');
}

/** A word as a POSIX shell reads it back: as is when it is plain, else in single quotes. */
export function shellWord(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function exportError(status: number, raw: string): ApiError {
  let body: { message?: unknown; error?: unknown; reason?: { code?: unknown; hint?: unknown } } | undefined;
  try {
    body = JSON.parse(raw);
  } catch {
    body = undefined;
  }
  const details = [`  status: ${status}${typeof body?.error === 'string' ? ` ${body.error}` : ''}`];
  if (typeof body?.reason?.code === 'string') details.push(`  reason: ${body.reason.code}`);
  if (typeof body?.reason?.hint === 'string') details.push(`  hint: ${body.reason.hint}`);
  const message = typeof body?.message === 'string' ? body.message : `GET /activity/export/csv failed (${status})`;
  return new ApiError(status, body ?? raw, message, details);
}
