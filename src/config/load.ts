/**
 * `loadConfig`: flags override environment variables, which override defaults; each area is parsed
 * by its own file in src/config/. `describeConfig` is the summary safe to log.
 */
import { join, resolve } from 'node:path';
import { parseServerSecrets, type ServerKey } from '../model/tokens.js';
import { ConfigError } from './errors.js';
import { loadIdentityConfig } from './identity.js';
import { loadMailConfig } from './mail.js';
import { rateLimitStore } from './rate-limits.js';
import { readOrCreateSecret } from './secret-file.js';
import { LOG_LEVELS, parseDatabaseUrl, parseMetricsAddress, parseTrustProxy } from './server.js';
import type { Config, ConfigFlags, IdentityConfig } from './types.js';

export function loadConfig(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
  { createSecret = true }: { createSecret?: boolean } = {},
): Config {
  const pick = (flag: string | number | undefined, name: string): string | undefined => {
    const value = flag ?? env[name];
    return value === undefined || value === '' ? undefined : String(value);
  };

  const dataDir = resolve(pick(flags.dataDir, 'GATEHOUSE_DATA_DIR') ?? './.gatehouse');

  const portText = pick(flags.port, 'GATEHOUSE_PORT') ?? '3333';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 0 || port > 65535) {
    throw new ConfigError(`port (--port / GATEHOUSE_PORT) must be an integer from 0 to 65535, got "${portText}"`);
  }

  const host = pick(flags.host, 'GATEHOUSE_HOST') ?? '127.0.0.1';

  const databaseUrl = pick(flags.databaseUrl, 'GATEHOUSE_DATABASE_URL') ?? `sqlite:${join(dataDir, 'gatehouse.db')}`;
  const database = parseDatabaseUrl(databaseUrl);

  const configuredPublicUrl = pick(flags.publicUrl, 'GATEHOUSE_PUBLIC_URL');
  const publicUrl = configuredPublicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let parsedPublic: URL;
  try {
    parsedPublic = new URL(publicUrl);
  } catch {
    throw new ConfigError(`public URL (--public-url / GATEHOUSE_PUBLIC_URL) must be an absolute http(s) URL, got "${publicUrl}"`);
  }
  if (parsedPublic.protocol !== 'http:' && parsedPublic.protocol !== 'https:') {
    throw new ConfigError(`public URL (--public-url / GATEHOUSE_PUBLIC_URL) must use http or https, got "${publicUrl}"`);
  }

  const logLevel = pick(flags.logLevel, 'GATEHOUSE_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `log level (--log-level / GATEHOUSE_LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`,
    );
  }

  const trustProxy = parseTrustProxy(pick(flags.trustProxy, 'GATEHOUSE_TRUST_PROXY'));

  const secretText = pick(flags.secret, 'GATEHOUSE_SECRET');
  let keys: ServerKey[];
  if (secretText !== undefined) {
    try {
      keys = parseServerSecrets(secretText);
    } catch (error) {
      throw new ConfigError(`GATEHOUSE_SECRET ${(error as Error).message}`);
    }
  } else if (database.dialect === 'sqlite') {
    // The embedded default keeps its pepper next to its database: the two are backed up together,
    // and a copy of the database alone still holds no usable token.
    keys = parseServerSecrets(readOrCreateSecret(dataDir, createSecret));
  } else {
    throw new ConfigError(
      'GATEHOUSE_SECRET is required with PostgreSQL: every node must digest tokens with the same secret (generate one with `openssl rand -base64 32`)',
    );
  }

  const loadedIdentity = loadIdentityConfig(env);
  const store = rateLimitStore(env, database.dialect);
  const identity = {
    ...loadedIdentity,
    rateLimits: { ...loadedIdentity.rateLimits, store },
    mail: loadMailConfig(env, dataDir),
  } as IdentityConfig;
  const metrics = parseMetricsAddress(env.GATEHOUSE_METRICS_ADDRESS);

  return {
    identity,
    dataDir,
    databaseUrl,
    database,
    port,
    host,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    publicUrlConfigured: configuredPublicUrl !== undefined,
    keys,
    logLevel,
    trustProxy,
    metrics,
  };
}

/** A summary safe to log: no secrets, no database password. */
export function describeConfig(config: Config): Record<string, unknown> {
  const db =
    config.database.dialect === 'sqlite'
      ? `sqlite:${config.database.file}`
      : config.database.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return {
    dataDir: config.dataDir,
    database: db,
    listen: `${config.host}:${config.port}`,
    publicUrl: config.publicUrl,
    metrics: config.metrics ? `${config.metrics.host}:${config.metrics.port}` : 'off',
    keyIds: config.keys.map((k) => k.id),
    mail: config.identity.mail.smtpUrl
      ? config.identity.mail.smtpUrl.replace(/\/\/[^@/]*@/, '//***@')
      : `outbox ${config.identity.mail.outboxDir}`,
  };
}
