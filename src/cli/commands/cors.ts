/**
 * `gatehouse cors add|list|delete|explain`: the origins allowed to call a project from a browser
 * (Projects API `/projects/{id}/cors`). `explain` asks the server which entry matches an origin,
 * or why none does.
 */
import type { Command } from 'commander';
import type { CorsExplanation, CorsOrigin } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { formatTime, printJson, printLines, printTable, yesNo } from '../output.js';

interface ProjectOption extends ClientOptions {
  project: string;
}

function corsPath(projectId: string): string {
  return `/projects/${encodeURIComponent(projectId)}/cors`;
}

export function registerCors(program: Command, ctx: CliContext): void {
  const cors = program.command('cors').description('manage the origins allowed to call a project from a browser');

  withClientOptions(cors.command('add'))
    .description('allow an origin, e.g. https://studio.example.com or http://localhost:3000')
    .argument('<origin>', 'protocol://host[:port]; * may stand for part of the host or the port')
    .requiredOption('--project <projectId>', 'project id')
    .option('--credentials', 'let pages from this origin send a token or cookies (Studio needs this)')
    .action(async (origin: string, options: ProjectOption & { credentials?: boolean }) => {
      const { client } = connect(ctx, options);
      const { status, body: created } = await client.send<CorsOrigin>('POST', corsPath(options.project), {
        body: { origin, allowCredentials: options.credentials === true },
      });
      if (options.json) return printJson(ctx, created);
      const credentials = created.allowCredentials ? 'with credentials' : 'without credentials';
      // 200 rather than 201: the origin was already allowed with these settings.
      const lines =
        status === 200
          ? [
              `${created.origin} was already allowed on project ${options.project} (id ${created.id}), ${credentials}: nothing changed.`,
            ]
          : [`Allowed ${created.origin} on project ${options.project} (id ${created.id}), ${credentials}`];
      if (created.origin.includes('*')) {
        lines.push('Note: this is a wildcard entry; every origin it matches may call the project.');
      }
      printLines(ctx, lines);
    });

  withClientOptions(cors.command('list'))
    .description("list the project's allowed origins")
    .requiredOption('--project <projectId>', 'project id')
    .action(async (options: ProjectOption) => {
      const { client } = connect(ctx, options);
      const origins = await client.get<CorsOrigin[]>(corsPath(options.project));
      if (options.json) return printJson(ctx, origins);
      printTable(
        ctx,
        origins,
        [
          { header: 'ID', value: (o) => String(o.id) },
          { header: 'ORIGIN', value: (o) => o.origin },
          { header: 'CREDENTIALS', value: (o) => yesNo(o.allowCredentials) },
          { header: 'CREATED', value: (o) => formatTime(o.createdAt) },
        ],
        'No origins allowed: browsers cannot call this project. Add one with `gatehouse cors add <origin> --project <id>`.',
      );
    });

  withClientOptions(cors.command('delete'))
    .description('stop allowing an origin')
    .argument('<originId>', 'numeric id (see `gatehouse cors list`)')
    .requiredOption('--project <projectId>', 'project id')
    .action(async (originId: string, options: ProjectOption) => {
      if (!/^[1-9]\d{0,9}$/.test(originId))
        throw usageError(`the origin id is a number (see \`gatehouse cors list\`), got "${originId}"`);
      const { client } = connect(ctx, options);
      await client.delete(`${corsPath(options.project)}/${originId}`);
      if (options.json) return printJson(ctx, { deleted: Number(originId) });
      printLines(ctx, [`Deleted CORS origin ${originId} from project ${options.project}.`]);
    });

  withClientOptions(cors.command('explain'))
    .description('say whether an origin may call the project: which entry matches, or why none does')
    .argument('<origin>', 'the origin of the page, e.g. https://studio.example.com')
    .requiredOption('--project <projectId>', 'project id')
    .action(async (origin: string, options: ProjectOption) => {
      const { client } = connect(ctx, options);
      const answer = await client.get<CorsExplanation>(`${corsPath(options.project)}/explain`, { query: { origin } });
      if (options.json) return printJson(ctx, answer);
      const lines = [answer.summary];
      if (answer.entries.length > 0) {
        lines.push('', 'Entries:');
        for (const entry of answer.entries) {
          const mark = answer.matched?.id === entry.id ? '=>' : entry.matches ? ' +' : ' -';
          lines.push(`${mark} ${entry.id} ${entry.origin}${entry.allowCredentials ? ' (credentials)' : ''}: ${entry.reason}`);
        }
      }
      if (!answer.allowed && answer.normalized) {
        lines.push('', `To allow it: gatehouse cors add ${answer.normalized} --project ${options.project} [--credentials]`);
      }
      printLines(ctx, lines);
    });
}
