/**
 * Queries on the hot path, compiled once. Building and compiling a Kysely query costs more than
 * SQLite takes to run a primary-key lookup, so a fixed-shape query is compiled the first time with
 * placeholder arguments; later calls only bind the new values to the same SQL text (whose prepared
 * statement the SQLite store also reuses). Only for queries whose shape never depends on the
 * arguments: no optional clauses, no `in (…)` lists.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

const PLACEHOLDER = '\u0000gatehouse-argument:';

type Slot = number | { constant: unknown };

export function compiledOnce<A extends unknown[], R>(
  build: (db: Kysely<Database>, ...args: A) => Compilable<R>,
): (db: Kysely<Database>, ...args: A) => Promise<R[]> {
  const compiled = new WeakMap<Kysely<Database>, { query: CompiledQuery<R>; slots: Slot[] }>();
  return async (db, ...args) => {
    let entry = compiled.get(db);
    if (!entry) {
      const placeholders = args.map((_, index) => `${PLACEHOLDER}${index}`) as A;
      const query = build(db, ...placeholders).compile();
      const slots = query.parameters.map(
        (value): Slot =>
          typeof value === 'string' && value.startsWith(PLACEHOLDER)
            ? Number(value.slice(PLACEHOLDER.length))
            : { constant: value },
      );
      entry = { query, slots };
      compiled.set(db, entry);
    }
    const parameters = entry.slots.map((slot) => (typeof slot === 'number' ? args[slot] : slot.constant));
    const result = await db.executeQuery<R>({ ...entry.query, parameters });
    return result.rows;
  };
}
