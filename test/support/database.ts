/**
 * One brand-new, empty database per test file, in the dialect of the current vitest project
 * (GATEHOUSE_TEST_DB, set by vitest.config.ts). Nothing here imports from src/: the shape returned
 * is the `database` part of the app's config, so a test passes it straight in.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { TestDialect } from './test-databases.js';

export type { TestDialect } from './test-databases.js';

export type TestDatabaseConfig = { dialect: 'sqlite'; file: string } | { dialect: 'postgres'; url: string };

function readDialect(value: string | undefined): TestDialect {
  // Unset outside the e2e projects (e.g. the unit project): SQLite needs no server, so it is the default.
  if (value === undefined || value === '') return 'sqlite';
  if (value === 'sqlite' || value === 'postgres') return value;
  throw new Error(`GATEHOUSE_TEST_DB=${JSON.stringify(value)}: expected sqlite or postgres`);
}

export const TEST_DIALECT: TestDialect = readDialect(process.env.GATEHOUSE_TEST_DB);

function adminUrl(): string {
  const url = inject('pgAdminUrl');
  if (!url) {
    throw new Error(
      'No PostgreSQL server for this run: the global setup starts one only when GATEHOUSE_TEST_DATABASES includes postgres and the postgres project runs',
    );
  }
  return url;
}

async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new empty database: a file in its own temp directory (SQLite) or `CREATE DATABASE gh_<random>` (PostgreSQL). */
export async function freshDatabaseConfig(): Promise<TestDatabaseConfig> {
  if (TEST_DIALECT === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
    return { dialect: 'sqlite', file: join(dir, 'gatehouse.db') };
  }
  const name = `gh_${randomBytes(8).toString('hex')}`;
  await asAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return { dialect: 'postgres', url: url.toString() };
}

/**
 * Best-effort cleanup of a database from freshDatabaseConfig(); never throws. Close the app's
 * connections first where possible; PostgreSQL's FORCE ends any that are left.
 */
export async function dropDatabase(config: TestDatabaseConfig): Promise<void> {
  try {
    if (config.dialect === 'sqlite') {
      // Only ever the temp directory freshDatabaseConfig made, never wherever else a file may live.
      const dir = dirname(config.file);
      if (dirname(dir) === tmpdir() && basename(dir).startsWith('gatehouse-test-')) rmSync(dir, { recursive: true, force: true });
      return;
    }
    const name = new URL(config.url).pathname.slice(1);
    // The name came from freshDatabaseConfig; refuse anything else rather than quote it into SQL.
    if (!/^gh_[0-9a-f]+$/.test(name)) return;
    await asAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  } catch {
    // The server and the temp directory both vanish at the end of the run anyway.
  }
}
