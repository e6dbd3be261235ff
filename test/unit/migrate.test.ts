/**
 * `migrateToLatest` (store/migrate.ts) on in-memory SQLite stores: a fresh database gets every
 * migration; an up-to-date one is recognised from the migration table alone and left as it is; an
 * older one gets what it lacks; a database that ran a migration this build does not know is refused,
 * and one that cannot be reached (a PostgreSQL address nobody answers) is reported as such.
 */
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest, migratorOf } from '../../src/store/migrate.js';

let store: Store | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
});

function fresh(): Store {
  store = openStore({ dialect: 'sqlite', file: ':memory:' });
  return store;
}

async function ran(s: Store): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from gatehouse_migrations order by name`.execute(s.db);
  return rows.map((r) => r.name);
}

async function allNames(): Promise<string[]> {
  const s = openStore({ dialect: 'sqlite', file: ':memory:' });
  try {
    return (await migratorOf(s.db).getMigrations()).map((m) => m.name);
  } finally {
    await s.close();
  }
}

async function tableExists(s: Store, name: string): Promise<boolean> {
  const { rows } = await sql`select 1 from sqlite_master where type = 'table' and name = ${name}`.execute(s.db);
  return rows.length === 1;
}

it('applies every migration to a fresh database, and nothing to an up-to-date one', async () => {
  const names = await allNames();
  expect(names.length).toBeGreaterThanOrEqual(9);
  const s = fresh();
  const first = await migrateToLatest(s.db);
  expect((first.results ?? []).map((r) => [r.migrationName, r.status])).toEqual(names.map((n) => [n, 'Success']));
  expect(await ran(s)).toEqual(names);
  // Up to date: answered from the migration table alone. Kysely's migrator would have created its
  // lock table again.
  await sql`drop table gatehouse_migrations_lock`.execute(s.db);
  expect(await migrateToLatest(s.db)).toEqual({ results: [] });
  expect(await ran(s)).toEqual(names);
  expect(await tableExists(s, 'gatehouse_migrations_lock')).toBe(false);
});

it('gives an older database the migration it lacks', async () => {
  const names = await allNames();
  const s = fresh();
  expect((await migratorOf(s.db).migrateTo(names[names.length - 2] as string)).error).toBeUndefined();
  const result = await migrateToLatest(s.db);
  expect((result.results ?? []).map((r) => [r.migrationName, r.status])).toEqual([[names[names.length - 1], 'Success']]);
  expect(await ran(s)).toEqual(names);
});

it('refuses a database that ran a migration this build does not know', async () => {
  const s = fresh();
  await migrateToLatest(s.db);
  const now = new Date().toISOString();
  await sql`insert into gatehouse_migrations (name, timestamp) values ('9999_from_the_future', ${now})`.execute(s.db);
  await expect(migrateToLatest(s.db)).rejects.toThrow(/cannot migrate the database: .*9999_from_the_future/);
});

it('reports a PostgreSQL server it cannot reach as the database it cannot migrate', async () => {
  store = openStore({ dialect: 'postgres', url: 'postgres://gatehouse@127.0.0.1:1/nowhere' });
  await expect(migrateToLatest(store.db)).rejects.toThrow(/^cannot migrate the database: .*ECONNREFUSED/);
});
