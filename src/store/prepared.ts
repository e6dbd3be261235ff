/**
 * Queries on the hot paths, compiled once. Building and compiling a Kysely query costs more than
 * SQLite takes to run a primary-key lookup or a small insert, so a fixed-shape query is compiled
 * the first time with placeholder arguments; later calls only bind the new values to the same SQL
 * text (whose prepared statement the SQLite store also reuses). Only for queries whose shape never
 * depends on the arguments: no optional clauses, no `in (…)` lists.
 *
 * A compiled query depends only on the dialect, so it is kept per dialect adapter, which a
 * database shares with its transactions: the same compiled query serves both.
 */
import type { Compilable, CompiledQuery, Insertable, Kysely } from 'kysely';
import { writeSoon } from './changes.js';
import type { Database, Executor } from './schema.js';

const PLACEHOLDER = '\u0000gatehouse-argument:';

type Slot = number | { constant: unknown };

interface Compiled<R> {
  query: CompiledQuery<R>;
  slots: Slot[];
}

function compile<R>(query: CompiledQuery<R>): Compiled<R> {
  const slots = query.parameters.map(
    (value): Slot =>
      typeof value === 'string' && value.startsWith(PLACEHOLDER) ? Number(value.slice(PLACEHOLDER.length)) : { constant: value },
  );
  return { query, slots };
}

/** The cache key of a database or transaction: its dialect adapter (shared by a database and its transactions). */
function dialectOf(db: Executor): object {
  return db.getExecutor().adapter;
}

function bind<R>(entry: Compiled<R>, args: readonly unknown[]): CompiledQuery<R> {
  const parameters = entry.slots.map((slot) => (typeof slot === 'number' ? args[slot] : slot.constant));
  return { ...entry.query, parameters };
}

/**
 * A query compiled once, bound to each call's arguments but not run: for statements queued to the
 * end of a transaction (`atTransactionEnd`, store/changes.ts).
 */
export function boundOnce<A extends unknown[], R>(
  build: (db: Kysely<Database>, ...args: A) => Compilable<R>,
): (db: Executor, ...args: A) => CompiledQuery<R> {
  const compiled = new WeakMap<object, Compiled<R>>();
  return (db, ...args) => {
    const key = dialectOf(db);
    let entry = compiled.get(key);
    if (!entry) {
      const placeholders = args.map((_, index) => `${PLACEHOLDER}${index}`) as A;
      entry = compile(build(db as Kysely<Database>, ...placeholders).compile());
      compiled.set(key, entry);
    }
    return bind(entry, args);
  };
}

export function compiledOnce<A extends unknown[], R>(
  build: (db: Kysely<Database>, ...args: A) => Compilable<R>,
): (db: Executor, ...args: A) => Promise<R[]> {
  const bound = boundOnce(build);
  return async (db, ...args) => (await db.executeQuery<R>(bound(db, ...args))).rows;
}

/**
 * An insert of one row into `table`, compiled once per shape: the first row with a given set of
 * columns compiles the statement, and every later row with the same columns only binds its values.
 * A row with other columns (an optional one left out, say) gets a statement of its own, so nothing
 * is ever dropped or defaulted differently from Kysely's own insert.
 *
 * With `{ soon: true }` the insert is pipelined in a PostgreSQL transaction (`writeSoon`,
 * store/changes.ts): only for rows whose insert no caller catches a failure of.
 */
export function insertOnce<T extends keyof Database & string>(
  table: T,
  { soon = false }: { soon?: boolean } = {},
): (db: Executor, row: Insertable<Database[T]>) => Promise<void> {
  const compiled = new WeakMap<object, Map<string, { columns: string[]; entry: Compiled<unknown> }>>();
  return async (db, row) => {
    const key = dialectOf(db);
    let shapes = compiled.get(key);
    if (!shapes) {
      shapes = new Map();
      compiled.set(key, shapes);
    }
    const values = row as Record<string, unknown>;
    const columns = Object.keys(values).filter((column) => values[column] !== undefined);
    const shape = columns.join(',');
    let found = shapes.get(shape);
    if (!found) {
      // Each column's value is a placeholder string until the query is run with the row's own values.
      const placeholders: Record<string, unknown> = Object.fromEntries(
        columns.map((column, index) => [column, `${PLACEHOLDER}${index}`]),
      );
      found = {
        columns,
        entry: compile(
          (db as Kysely<Database>)
            .insertInto(table)
            .values(placeholders as Insertable<Database[T]>)
            .compile(),
        ),
      };
      shapes.set(shape, found);
    }
    const query = bind(
      found.entry,
      found.columns.map((column) => values[column]),
    );
    if (soon) await writeSoon(db, query);
    else await db.executeQuery(query);
  };
}
