/**
 * A throwaway PostgreSQL server for one test run (and for `npm run bench -- --db postgres`): a fresh
 * data directory, `initdb`, then `pg_ctl start`, as the `postgres` user when running as root.
 *
 * It lives in a fresh temp directory, listens on 127.0.0.1 only (socket in the same directory) and
 * trades durability for speed: fsync, synchronous_commit and full_page_writes are off, because the
 * data dies with the run anyway.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

export interface TestPostgres {
  /** Superuser URL of the `postgres` database, e.g. postgres://postgres@127.0.0.1:41234/postgres */
  url: string;
  /** Stops the server and removes its directory. Safe to call more than once. */
  stop(): Promise<void>;
}

interface RunResult {
  code: number;
  output: string;
}

/** Runs a command to completion with stdin closed; never rejects, the exit code tells. */
function run(command: string, args: string[], timeoutMs = 600_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const output = `${stdout}${stderr}${error && typeof error.code !== 'number' ? `\n${error.message}` : ''}`;
        resolve({ code, output });
      },
    );
    child.stdin?.end();
  });
}

function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function readTail(file: string): string {
  try {
    return tail(readFileSync(file, 'utf8'));
  } catch {
    return '(no log)';
  }
}

const isRoot = process.getuid?.() === 0;

function versionOf(dir: string): number[] {
  return dir.split('.').map((part) => Number.parseInt(part, 10) || 0);
}

function compareVersions(a: string, b: string): number {
  const [va, vb] = [versionOf(a), versionOf(b)];
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const d = (va[i] ?? 0) - (vb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, else a PATH directory holding both. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((version) => existsSync(join(root, version, 'bin', 'initdb')) && existsSync(join(root, version, 'bin', 'pg_ctl')))
      .sort(compareVersions);
    const newest = versions.at(-1);
    if (newest) return join(root, newest, 'bin');
  }
  // Elsewhere (Homebrew, other distributions) the server binaries are usually on PATH.
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return undefined;
}

let aptUpdated = false;

/** Installs the Debian `postgresql` package; only possible as root on a system with apt-get. */
async function installPostgres(): Promise<void> {
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin or on PATH');
  }
  if (!aptUpdated) {
    const update = await run('apt-get', ['update']);
    if (update.code !== 0) throw new Error(`apt-get update failed:\n${tail(update.output)}`);
    aptUpdated = true;
  }
  const install = await run('apt-get', ['install', '-y', 'postgresql']);
  if (install.code !== 0) throw new Error(`apt-get install -y postgresql failed:\n${tail(install.output)}`);
}

/** uid and gid of the `postgres` system user, creating the user first when it is missing. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const lookup = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return uid.code === 0 && gid.code === 0 ? { uid: Number(uid.output.trim()), gid: Number(gid.output.trim()) } : undefined;
  };
  const found = await lookup();
  if (found) return found;
  const add = await run('useradd', ['--system', '--no-create-home', '--user-group', 'postgres']);
  if (add.code !== 0) throw new Error(`useradd postgres failed:\n${tail(add.output)}`);
  const created = await lookup();
  if (!created) throw new Error('the postgres user was created but cannot be looked up');
  return created;
}

/** The temp directory, unless the postgres user cannot enter it (TMPDIR under /root, say): then /tmp. */
function reachableTmpdir(): string {
  const base = tmpdir();
  for (let dir = base; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return '/tmp';
    if (dir === dirname(dir)) return base;
  }
}

/** A TCP port that was free a moment ago (bind to port 0, read it, release it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

export async function startPostgres(): Promise<TestPostgres> {
  let bin = findPostgresBin();
  if (!bin) {
    await installPostgres();
    bin = findPostgresBin();
    if (!bin) throw new Error('apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb appeared');
  }
  const initdb = join(bin, 'initdb');
  const pgCtl = join(bin, 'pg_ctl');

  // initdb refuses to run as root, so as root everything runs as the postgres system user.
  const owner = isRoot ? await postgresUser() : undefined;
  const asOwner = (command: string, args: string[]): [string, string[]] =>
    owner ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

  const dir = mkdtempSync(join(owner ? reachableTmpdir() : tmpdir(), 'pgtest.'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const serverLog = join(dir, 'server.log');

  let stopped = false;
  const stopSync = () => {
    // Also the last resort when the process exits without teardown: never leave a postmaster behind.
    if (stopped) return;
    stopped = true;
    if (existsSync(join(data, 'postmaster.pid')))
      spawnSync(...asOwner(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']), { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);

  const fail = (message: string): never => {
    stopSync();
    process.removeListener('exit', stopSync);
    throw new Error(`${message}\n(PostgreSQL binaries: ${bin})`);
  };

  const init = await run(
    ...asOwner(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']),
  );
  if (init.code !== 0) fail(`initdb failed:\n${tail(init.output)}`);

  // The port was free when picked, but another process may take it first: then pick another one.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    rmSync(serverLog, { force: true });
    const options = [
      '-h 127.0.0.1',
      `-p ${port}`,
      `-k '${dir}'`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    const start = await run(...asOwner(pgCtl, ['-D', data, '-l', serverLog, '-w', '-t', '60', '-o', options, 'start']), 90_000);
    if (start.code === 0) break;
    const log = readTail(serverLog);
    const portTaken = /could not bind|address already in use/i.test(log);
    if (!portTaken || attempt >= 3)
      fail(`PostgreSQL did not start (pg_ctl start):\n${tail(start.output, 5)}\n--- server log (tail) ---\n${log}`);
  }

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stopSync);
      const result = await run(...asOwner(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']), 60_000);
      rmSync(dir, { recursive: true, force: true });
      if (result.code !== 0) throw new Error(`pg_ctl stop failed:\n${tail(result.output)}`);
    },
  };
}
