/** One set of migrations for both dialects, applied at start-up and by `gatehouse migrate`. */
import { type Kysely, type Migration, type MigrationResultSet, Migrator, PostgresAdapter, sql } from 'kysely';
import { byCodePoint } from '../model/order.js';
import * as initial from './migrations/0001_initial.js';
import * as access from './migrations/0002_access.js';
import * as identity from './migrations/0003_identity.js';
import * as collaboration from './migrations/0004_collaboration.js';
import * as performance from './migrations/0005_performance.js';
import * as hardening from './migrations/0006_hardening.js';
import * as memberIds from './migrations/0007_member_ids.js';
import * as console_ from './migrations/0008_console.js';
import * as auditHeadLink from './migrations/0009_audit_head_link.js';
import type { Database } from './schema.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_access': access,
  '0003_identity': identity,
  '0004_collaboration': collaboration,
  '0005_performance': performance,
  '0006_hardening': hardening,
  '0007_member_ids': memberIds,
  '0008_console': console_,
  '0009_audit_head_link': auditHeadLink,
};

const NAMES = Object.keys(MIGRATIONS).sort();
const TABLE = 'gatehouse_migrations';

/** An error's message, for "cannot migrate the database: …". */
function causeOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether the database has run exactly this build's migrations. Kysely's migrator first looks its
 * tables up in the catalog, which on PostgreSQL is about 30 ms of every start; a database that is
 * up to date (every start but the first after an upgrade) skips that. The table's existence is
 * asked first, so a new database's first start leaves no error in PostgreSQL's log. Any other
 * answer is left to the migrator.
 */
async function upToDate(db: Kysely<Database>): Promise<boolean> {
  const exists =
    db.getExecutor().adapter instanceof PostgresAdapter
      ? sql<{ found: boolean }>`select to_regclass(${TABLE}) is not null as found`
      : sql<{ found: number }>`select count(*) as found from sqlite_master where type = 'table' and name = ${TABLE}`;
  try {
    if (!(await exists.execute(db)).rows[0]?.found) return false;
    const { rows } = await sql<{ n: number | string; latest: string | null }>`
      select count(*) as n, max(name) as latest from ${sql.table(TABLE)}`.execute(db);
    return Number(rows[0]?.n) === NAMES.length && rows[0]?.latest === NAMES[NAMES.length - 1];
  } catch (error) {
    // The first question to the database: an unreachable one is reported as the migrator would.
    throw new Error(`cannot migrate the database: ${causeOf(error)}`);
  }
}

/** Kysely's migrator over this build's migrations (tests use it to stop at an older one). */
export function migratorOf(db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: TABLE,
    migrationLockTableName: 'gatehouse_migrations_lock',
    // The names sort by their fixed-width number. Kysely's default, `localeCompare`, would load
    // ICU's collator on every start for that (about 10 ms).
    nameComparator: byCodePoint,
  });
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  if (await upToDate(db)) return { results: [] };
  const result = await migratorOf(db).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = causeOf(result.error);
    // No failed migration means the migrator never got to run one: usually the database is unreachable.
    throw new Error(failed ? `migration ${failed.migrationName} failed: ${cause}` : `cannot migrate the database: ${cause}`);
  }
  return result;
}
