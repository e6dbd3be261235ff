/**
 * The robots command, `gatehouse tokens add|list|delete|rotate|usage|report-leaked`: robot tokens of
 * a project, through the Access API robots endpoints. Users type `tokens`, the name Sanity's CLI
 * gives it; the code is named for what it manages, robots.
 *
 * A secret is printed once, by `add` or `rotate`; afterwards only its last four characters. `usage`
 * shows what a robot actually did and the smallest role that covers it; `report-leaked` revokes a
 * token found in the open.
 */
import type { Command } from 'commander';
import type { Membership, Robot, RobotUsage, RobotWithToken } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import { describeSource } from '../config-file.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { accessPath, describeResource, type ResourceFlags, resourceOf, withResource } from '../http.js';
import { formatHint, formatTime, printJson, printLines, printTable } from '../output.js';

interface ProjectOption extends ClientOptions {
  project: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `--expires` accepts `<N>d` (N days from now) or an ISO 8601 date or date-time. A date without a
 * time means midnight UTC at its start. Anything unparseable, impossible (2025-02-30) or not in
 * the future is refused before a request is sent.
 */
export function parseExpires(value: string, now: Date): Date {
  const days = /^(\d{1,5})d$/.exec(value);
  if (days) {
    const count = Number(days[1]);
    if (count < 1) throw usageError(`--expires must be at least 1d, got "${value}"`);
    return new Date(now.getTime() + count * DAY_MS);
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  if (!iso) {
    throw usageError(`--expires must be a number of days like 30d or an ISO date like 2030-01-31, got "${value}"`);
  }
  const [, year, month, day, hour, minute, second] = iso;
  const date = new Date(iso[4] !== undefined && iso[7] === undefined ? `${value}Z` : value);
  // Date silently rolls 2025-02-30 over to March: compare the fields to catch impossible dates.
  const check = new Date(
    Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour ?? 0), Number(minute ?? 0), Number(second ?? 0)),
  );
  const fieldsValid =
    check.getUTCFullYear() === Number(year) &&
    check.getUTCMonth() === Number(month) - 1 &&
    check.getUTCDate() === Number(day) &&
    check.getUTCHours() === Number(hour ?? 0) &&
    check.getUTCMinutes() === Number(minute ?? 0) &&
    check.getUTCSeconds() === Number(second ?? 0);
  if (!fieldsValid || Number.isNaN(date.getTime())) throw usageError(`--expires is not a real date: "${value}"`);
  if (date.getTime() <= now.getTime()) throw usageError(`--expires must be in the future, got "${value}"`);
  return date;
}

/** The longest grace period the API allows for the old token after a rotation. */
export const MAX_GRACE_SECONDS = 24 * 60 * 60;

/**
 * `--grace` accepts seconds (`90`, `90s`), minutes (`10m`) or hours (`2h`), from 0 to 24 hours.
 * Anything else is refused before a request is sent.
 */
export function parseGrace(value: string): number {
  const match = /^(\d{1,6})([smh]?)$/.exec(value.trim());
  if (!match) throw usageError(`--grace must be a duration like 90s, 10m or 2h, got "${value}"`);
  const unit = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  const seconds = Number(match[1]) * unit;
  if (seconds > MAX_GRACE_SECONDS) {
    throw usageError(`--grace must be at most 24h (${MAX_GRACE_SECONDS} seconds), got "${value}"`);
  }
  return seconds;
}

export function registerRobots(program: Command, ctx: CliContext): void {
  // `tokens` is the name Sanity's CLI gives these commands, and the one its users type.
  const robotsCommand = program.command('robots').alias('tokens').description("manage a project's robots and their tokens");

  withClientOptions(robotsCommand.command('add'))
    .description('create a robot with one role on the project and print its token once')
    .argument('<label>', 'what the token is for, e.g. "CI deploy"')
    .requiredOption('--project <projectId>', 'project the robot belongs to')
    .requiredOption('--role <role>', 'role to grant, e.g. viewer (see `gatehouse roles list`)')
    .option('--expires <when>', 'expiry: <N>d from now, or an ISO date/date-time (default: never)')
    .action(async (label: string, options: ProjectOption & { role: string; expires?: string }) => {
      if (label.trim() === '') throw usageError('the token label must not be empty');
      const expiresAt = options.expires === undefined ? undefined : parseExpires(options.expires, ctx.now());
      const { client } = connect(ctx, options);
      const robot = await client.post<RobotWithToken>(robotsPath(options.project), {
        label,
        memberships: [
          {
            resourceType: 'project',
            resourceId: options.project,
            roleNames: [options.role],
          },
        ],
        ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
      });
      if (options.json) return printJson(ctx, robot);
      printLines(ctx, [
        `Created robot ${robot.id} "${robot.label}" with role ${options.role} on project ${options.project}`,
        `Expires: ${robot.expiresAt ? formatTime(robot.expiresAt) : 'never'}`,
        '',
        "Token (copy it now, it won't be shown again):",
        '',
        `  ${robot.token}`,
        '',
      ]);
    });

  withClientOptions(robotsCommand.command('list'))
    .description("list the project's robot tokens (never their secrets)")
    .requiredOption('--project <projectId>', 'project id')
    .action(async (options: ProjectOption) => {
      const { client } = connect(ctx, options);
      const robots = await client.getAll<Robot>(robotsPath(options.project), {
        limit: 100,
      });
      if (options.json) return printJson(ctx, robots);
      printTable(
        ctx,
        robots,
        [
          { header: 'ID', value: (r) => r.id },
          { header: 'LABEL', value: (r) => r.label },
          {
            header: 'ROLES',
            value: (r) => rolesOf(r.memberships).join(', ') || '-',
          },
          { header: 'TOKEN', value: (r) => formatHint(r.tokenHint) },
          {
            header: 'EXPIRES',
            value: (r) => (r.expiresAt ? formatTime(r.expiresAt) : 'never'),
          },
          {
            header: 'LAST SEEN',
            value: (r) => formatTime(lastSeen(r.memberships)),
          },
        ],
        'No robot tokens. Create one with `gatehouse tokens add <label> --project <id> --role <role>`.',
      );
    });

  withClientOptions(robotsCommand.command('delete'))
    .description('delete a robot; its token stops working on the next request')
    .argument('<robotId>', 'robot id (see `gatehouse tokens list`)')
    .requiredOption('--project <projectId>', 'project id')
    .action(async (robotId: string, options: ProjectOption) => {
      const { client } = connect(ctx, options);
      await client.delete(`${robotsPath(options.project)}/${encodeURIComponent(robotId)}`);
      if (options.json) return printJson(ctx, { deleted: robotId });
      printLines(ctx, [`Deleted robot ${robotId}; its token no longer works.`]);
    });

  withClientOptions(robotsCommand.command('rotate'))
    .description("replace the calling robot's token with a new one, printed once")
    .option('--grace <duration>', 'how long the old token keeps working: 90s, 10m, 2h, at most 24h (default: 0, it stops now)')
    .addHelpText(
      'after',
      `
The token that makes the call (GATEHOUSE_AUTH_TOKEN or the saved one) must be a robot token; it is
the one rotated. The CLI never rewrites the saved token: store the new one yourself, e.g.
  gatehouse login --with-token < new-token-file`,
    )
    .action(async (options: ClientOptions & { grace?: string }) => {
      const grace = options.grace === undefined ? 0 : parseGrace(options.grace);
      const { client, auth } = connect(ctx, options);
      const now = ctx.now();
      const robot = await client.post<RobotWithToken>('/access/robots/me/rotate', {
        gracePeriodSeconds: grace,
      });
      if (options.json) return printJson(ctx, robot);
      const until = new Date(now.getTime() + grace * 1000);
      const lines = [
        `Rotated the token of robot ${robot.id} "${robot.label}"`,
        `New token id: ${robot.tokenId}`,
        grace > 0
          ? `Old token:    keeps working until about ${formatTime(until.toISOString())} (grace ${options.grace})`
          : 'Old token:    no longer works',
        `Expires:      ${robot.expiresAt ? formatTime(robot.expiresAt) : 'never'}`,
        '',
        'New token (shown only now: copy it, it cannot be retrieved later):',
        '',
        `  ${robot.token}`,
        '',
      ];
      if (auth.source.kind !== 'none') {
        // The CLI could rewrite the config file, but a token silently swapped under a user (or a
        // variable it cannot change) is worse than one clear instruction.
        const how = auth.source.kind === 'file' ? ' (`gatehouse login --with-token < file`)' : '';
        const when = grace > 0 ? ' before the grace period ends' : '';
        lines.push(
          `The old token comes from ${describeSource(auth.source)}; the CLI does not change it.`,
          `Replace it with the new token${how}${when}.`,
        );
      }
      printLines(ctx, lines);
    });

  registerUsage(robotsCommand, ctx);
}

function registerUsage(robotsCommand: Command, ctx: CliContext): void {
  withResource(withClientOptions(robotsCommand.command('usage')))
    .description('the permissions a robot exercised, and the smallest role that would have been enough')
    .argument('<robotId>', 'robot id (see `gatehouse tokens list`)')
    .option('--days <n>', 'the window, in days: 1 to 90 (default 30)')
    .action(async (robotId: string, options: ClientOptions & ResourceFlags & { days?: string }) => {
      const resource = resourceOf(options);
      if (options.days !== undefined && !/^\d{1,2}$/.test(options.days)) {
        throw usageError(`--days must be a whole number from 1 to 90, got "${options.days}"`);
      }
      const { client } = connect(ctx, options);
      const report = await client.get<RobotUsage>(accessPath(resource, 'robots', robotId, 'usage'), {
        query: options.days !== undefined ? { days: options.days } : {},
      });
      if (options.json) return printJson(ctx, report);
      const lines = [
        `Robot ${report.robotId} on ${describeResource(resource)}, last ${report.days} days`,
        `Roles held: ${report.rolesHeld.join(', ') || '-'}`,
        '',
      ];
      printLines(ctx, lines);
      printTable(
        ctx,
        report.permissions,
        [
          { header: 'PERMISSION', value: (p) => p.permission },
          { header: 'ON', value: (p) => `${p.resourceType} ${p.resourceId}` },
          { header: 'REQUESTS', value: (p) => String(p.count) },
          { header: 'LAST USED', value: (p) => formatTime(p.lastUsedAt) },
        ],
        'No permission exercised in this window: the robot may not be needed at all.',
      );
      const smallest = report.smallestRole;
      printLines(ctx, [
        '',
        smallest
          ? `Smallest role that covers this: ${smallest.name}${smallest.isCustom ? ' (custom)' : ''} — ${smallest.title}, ${smallest.grantCount} permissions`
          : 'No built-in or custom role covers exactly this: create a custom role with these permissions.',
        ...(report.unusedPermissions.length > 0
          ? [`Granted but never used (${report.unusedPermissions.length}): ${report.unusedPermissions.join(', ')}`]
          : []),
      ]);
    });

  withClientOptions(robotsCommand.command('report-leaked'))
    .description('report a Gatehouse token found in the open: it is revoked if it still works (the answer never says)')
    .argument('<token>', 'the token that was found (gth_user_…, gth_robot_… or gth_invite_…)')
    .option('--url <url>', 'where it was found, for its owner')
    .action(async (token: string, options: ClientOptions & { url?: string }) => {
      const { client } = connect(ctx, options, { requireToken: false });
      const answer = await client.post<{ received: boolean }>('/tokens/leaked', {
        token,
        ...(options.url !== undefined ? { url: options.url } : {}),
      });
      if (options.json) return printJson(ctx, answer);
      printLines(ctx, ['Reported. If the token still worked, it has been revoked and its owner can see the report.']);
    });
}

function robotsPath(projectId: string): string {
  return `/access/project/${encodeURIComponent(projectId)}/robots`;
}

function rolesOf(memberships: Membership[] | undefined): string[] {
  return [...new Set((memberships ?? []).flatMap((m) => m.roleNames ?? []))];
}

function lastSeen(memberships: Membership[] | undefined): string | undefined {
  const times = (memberships ?? []).map((m) => m.lastSeenAt).filter((t): t is string => typeof t === 'string');
  return times.sort().at(-1);
}
