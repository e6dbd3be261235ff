/**
 * Where the server listens and how it is reached: port, host, public URL, log level, trusted
 * proxies, the database URL and the metrics address.
 */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { Config } from './types.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `host:port` (IPv6 as `[::1]:9464`); empty or unset: no metrics listener. */
export function parseMetricsAddress(value: string | undefined): Config['metrics'] {
  if (value === undefined || value.trim() === '') return null;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new ConfigError(
      `GATEHOUSE_METRICS_ADDRESS must be host:port, e.g. 127.0.0.1:9464 (IPv6: [::1]:9464), got "${value.slice(0, 100)}"`,
    );
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

export function parseTrustProxy(value: string | undefined): Config['trustProxy'] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry))) return entries;
  throw new ConfigError(
    `trust proxy (--trust-proxy / GATEHOUSE_TRUST_PROXY) must be true, false or a comma list of proxy addresses/CIDRs, got "${value}"`,
  );
}

export function parseDatabaseUrl(url: string): Config['database'] {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '')
      throw new ConfigError(
        'database URL (--database-url / GATEHOUSE_DATABASE_URL) "sqlite:" needs a file path, e.g. sqlite:./gatehouse.db',
      );
    if (file === ':memory:') return { dialect: 'sqlite', file };
    return { dialect: 'sqlite', file: isAbsolute(file) ? file : resolve(file) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError('database URL (--database-url / GATEHOUSE_DATABASE_URL) is not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url };
  }
  throw new ConfigError(
    `database URL (--database-url / GATEHOUSE_DATABASE_URL) must start with sqlite: or postgres://, got "${url.split(':')[0]}:…"`,
  );
}
