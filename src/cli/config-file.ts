/**
 * The CLI's own settings file and where the bearer token comes from.
 *
 *   $XDG_CONFIG_HOME/gatehouse/config.json   (or ~/.config/gatehouse/config.json)
 *   { "authToken": "gth_user_…", "authType": "token" }
 *
 * The file holds a credential, so it is private to its owner: the directory is created 0700 and the
 * file is written 0600 through a temporary file and a rename, so a reader never sees half a file
 * and the secret never sits in a file with wider permissions, whatever the umask.
 *
 * Precedence, as in the Sanity CLI: the GATEHOUSE_AUTH_TOKEN variable, then the file.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { CliError } from './errors.js';

export const TOKEN_ENV = 'GATEHOUSE_AUTH_TOKEN';

export interface ConfigFile {
  authToken?: string;
  authType?: string;
  [key: string]: unknown;
}

export function configFilePath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'gatehouse', 'config.json');
}

export function readConfigFile(path: string): ConfigFile {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new CliError(`${path} is not valid JSON: fix it or delete it`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`${path} must hold a JSON object: fix it or delete it`);
  }
  return parsed as ConfigFile;
}

export function writeConfigFile(path: string, config: ConfigFile): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temp = join(dir, `.config.json.${process.pid}.tmp`);
  try {
    writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, {
      mode: 0o600,
      flag: 'w',
    });
    chmodSync(temp, 0o600);
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

export type TokenSource = { kind: 'env'; name: string } | { kind: 'file'; path: string } | { kind: 'none' };

export interface ResolvedToken {
  token: string | undefined;
  source: TokenSource;
}

export function resolveToken(env: NodeJS.ProcessEnv): ResolvedToken {
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv) return { token: fromEnv, source: { kind: 'env', name: TOKEN_ENV } };
  const path = configFilePath(env);
  const stored = readConfigFile(path).authToken;
  if (typeof stored === 'string' && stored.trim() !== '') {
    return { token: stored.trim(), source: { kind: 'file', path } };
  }
  return { token: undefined, source: { kind: 'none' } };
}

export function describeSource(source: TokenSource): string {
  switch (source.kind) {
    case 'env':
      return `environment variable ${source.name}`;
    case 'file':
      return source.path;
    case 'none':
      return 'none';
  }
}
