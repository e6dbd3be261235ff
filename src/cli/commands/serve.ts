/** `gatehouse serve`: migrate the database and serve the API until SIGINT or SIGTERM. */
import type { Command } from 'commander';
import { describeConfig } from '../../config.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { type ConfigOptions, firstLine, loadOperatorConfig, withConfigOptions } from '../operator.js';

export function registerServe(program: Command, ctx: CliContext): void {
  withConfigOptions(program.command('serve'))
    .description('start the Gatehouse server (applies pending migrations first)')
    .action(async (options: ConfigOptions) => {
      const config = loadOperatorConfig(ctx, options);
      // Loaded on demand: API-client commands should not pay for Fastify and the drivers.
      const { startServer } = await import('../../server.js');
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(config);
      } catch (error) {
        throw new CliError(`cannot start the server: ${firstLine(error)}`);
      }
      const summary = describeConfig(config);
      ctx.stderr(
        `Gatehouse listening on ${server.url}\n` +
          `  database: ${String(summary.database)}\n` +
          `  API docs: ${server.url}/docs\n` +
          `  console:  ${server.url}/console/\n`,
      );

      // The first signal closes gracefully; the handler is registered once, so a second one
      // gets the default behaviour and ends the process at once.
      ctx.onSignal((signal) => {
        ctx.stderr(`${signal} received, closing…\n`);
        server.close().then(
          () => {},
          (error: unknown) => {
            ctx.stderr(`gatehouse: error while closing: ${firstLine(error)}\n`);
            process.exitCode = 1;
          },
        );
      });
    });
}
