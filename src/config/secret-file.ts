/**
 * The server secret of the embedded SQLite default, kept next to its database in
 * `<data dir>/secret` (mode 0600) and created on first start.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateServerSecret } from '../model/tokens.js';
import { ConfigError } from './errors.js';

export function readOrCreateSecret(dataDir: string, create: boolean): string {
  const file = join(dataDir, 'secret');
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (text === '') throw new ConfigError(`${file} is empty: restore it from a backup or delete it`);
    return text;
  }
  if (!create) throw new ConfigError(`no GATEHOUSE_SECRET and no ${file}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = generateServerSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}
