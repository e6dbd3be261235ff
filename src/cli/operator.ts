/**
 * Shared plumbing of the operator commands (`serve`, `migrate`, `admin …`): the configuration
 * flags and turning configuration and database failures into one printable line.
 *
 * These are the only commands that open the database themselves; everything else in the CLI is a
 * client of the HTTP API.
 */
import type { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { Problem } from '../model/errors.js';
import type { Store } from '../store/db.js';

export type { Store };

import type { CliContext } from './context.js';
import { ApiError, CliError, usageError } from './errors.js';

export interface ConfigOptions {
  dataDir?: string;
  databaseUrl?: string;
  port?: string;
  host?: string;
  publicUrl?: string;
  logLevel?: string;
  trustProxy?: string;
}

/**
 * `--data-dir` and `--database-url`: all that commands working on the database (`migrate`,
 * `admin …`, `audit verify`) read. The token secret comes from the data directory or
 * GATEHOUSE_SECRET, never a flag (see loadOperatorConfig).
 */
export function withDatabaseOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (env: GATEHOUSE_DATA_DIR, default: ./.gatehouse)')
    .option(
      '--database-url <url>',
      'sqlite:<file> or postgres://… (env: GATEHOUSE_DATABASE_URL, default: sqlite:<data dir>/gatehouse.db)',
    );
}

/** Every configuration flag: the database ones and those of the HTTP server (`serve`). */
export function withConfigOptions(command: Command): Command {
  return withDatabaseOptions(command)
    .option('--port <port>', 'port to listen on (env: GATEHOUSE_PORT, default: 3333; 0: any free port)')
    .option('--host <host>', 'interface to listen on (env: GATEHOUSE_HOST, default: 127.0.0.1)')
    .option('--public-url <url>', 'URL clients reach the server at (env: GATEHOUSE_PUBLIC_URL)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env: GATEHOUSE_LOG_LEVEL, default: info)')
    .option(
      '--trust-proxy <value>',
      'believe X-Forwarded-For from: true, false, or proxy addresses/CIDRs (env: GATEHOUSE_TRUST_PROXY, default: false)',
    );
}

/**
 * Flags override GATEHOUSE_* variables. The token pepper is deliberately not a flag: a secret on a
 * command line is visible to every user of the machine through `ps`.
 */
export function loadOperatorConfig(ctx: CliContext, options: ConfigOptions): Config {
  try {
    return loadConfig(
      {
        dataDir: options.dataDir,
        databaseUrl: options.databaseUrl,
        port: options.port,
        host: options.host,
        publicUrl: options.publicUrl,
        logLevel: options.logLevel,
        trustProxy: options.trustProxy,
      },
      ctx.env,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message);
    throw error;
  }
}

/** The first line of an error's message: database drivers sometimes add more. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** Runs one operator use case on the configured database, turning refusals into CLI errors. */
export async function onDatabase<T>(
  ctx: CliContext,
  options: ConfigOptions,
  what: string,
  work: (store: Store, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadOperatorConfig(ctx, options);
  const { openStore } = await import('../store/db.js');
  const store = openStore(config.database);
  try {
    return await work(store, config);
  } catch (error) {
    throw asCliError(error, what);
  } finally {
    await store.close();
  }
}

/** A service refusal (duplicate email, unknown user, bad input) reads like the server's own error would. */
function asCliError(error: unknown, what: string): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof Problem) {
    const body = error.toBody();
    const details = [`  status: ${body.statusCode} ${body.error}`, `  reason: ${body.reason.code}`];
    if (typeof body.reason.hint === 'string') details.push(`  hint: ${body.reason.hint}`);
    return new ApiError(body.statusCode, body, body.message, details);
  }
  return new CliError(`cannot ${what}: ${firstLine(error)}`);
}

/**
 * What operator commands run on the database, each loaded on first use, so commands that talk to a
 * server over HTTP never load the store or the services. Commands reach them only through here
 * (the import rules in biome.json).
 */
export const operatorModules = {
  bootstrap: () => import('../services/bootstrap.js'),
  audit: () => import('../services/audit.js'),
  ssoDomains: () => import('../services/login/sso-accounts.js'),
  store: () => import('../store/db.js'),
  migrations: () => import('../store/migrate.js'),
};
