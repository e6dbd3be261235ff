/** `gatehouse serve`: migrate the database and serve the API until SIGINT or SIGTERM. */
import type { Command } from 'commander';
import { type Config, describeConfig } from '../../config.js';
import { enableCompileCache } from '../compile-cache.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { type ConfigOptions, firstLine, loadOperatorConfig, withConfigOptions } from '../operator.js';

export function registerServe(program: Command, ctx: CliContext): void {
  withConfigOptions(program.command('serve'))
    .description('start the Gatehouse server (applies pending migrations first)')
    .action(async (options: ConfigOptions) => {
      const config = loadOperatorConfig(ctx, options);
      enableCompileCache(config.dataDir);
      // Loaded on demand: API-client commands should not pay for Fastify and the drivers.
      const { startServer } = await import('../../server.js');
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(config);
      } catch (error) {
        throw startError(error, config);
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

/**
 * Why the server did not start, in terms of the flags that fix it: a port already in use or not
 * allowed names --port and GATEHOUSE_PORT; an address that is not this machine's names --host.
 */
export function startError(error: unknown, config: Pick<Config, 'host' | 'port'>): CliError {
  const code = (error as { code?: unknown }).code;
  const where = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const choosePort = '  hint: choose another port with --port <port> or GATEHOUSE_PORT=<port> (0: any free port)';
  if (code === 'EADDRINUSE') {
    return new CliError(`cannot start the server: port ${config.port} on ${config.host} is already in use`, 1, [
      `  ${where} is taken, perhaps by another \`gatehouse serve\` (\`npm start\`) still running.`,
      choosePort,
    ]);
  }
  if (code === 'EACCES') {
    return new CliError(
      `cannot start the server: not allowed to listen on port ${config.port} (ports below 1024 need privileges)`,
      1,
      [choosePort],
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new CliError(`cannot start the server: ${config.host} is not an address of this machine`, 1, [
      '  hint: listen on another interface with --host <address> or GATEHOUSE_HOST (127.0.0.1: this machine only; 0.0.0.0: all)',
    ]);
  }
  return new CliError(`cannot start the server: ${firstLine(error)}`);
}
