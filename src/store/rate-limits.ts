/**
 * Abuse-limit counters in the database, shared by every node on it (services/rate-limits.ts).
 * Keys are keyed digests of the bucket names, so no client address or e-mail address is stored.
 * Fixed windows: a row counts events until `window_ends_at`; the first event after that starts a
 * new window. Times are ISO text, which compares in time order.
 */
import { sql } from 'kysely';
import type { Executor } from './schema.js';

export interface CounterRow {
  count: number;
  window_ends_at: string;
}

/** Counts one event; returns the window after it. One statement: atomic on both dialects. */
export async function hitCounter(db: Executor, key: string, now: string, windowEndsAt: string): Promise<CounterRow> {
  const row = await db
    .insertInto('rate_limit_counters')
    .values({ key, count: 1, window_ends_at: windowEndsAt, last_at: now })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`CASE WHEN rate_limit_counters.window_ends_at <= ${now} THEN 1 ELSE rate_limit_counters.count + 1 END`,
        window_ends_at: sql<string>`CASE WHEN rate_limit_counters.window_ends_at <= ${now} THEN excluded.window_ends_at ELSE rate_limit_counters.window_ends_at END`,
        last_at: sql<string>`excluded.last_at`,
      }),
    )
    .returning(['count', 'window_ends_at'])
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), window_ends_at: row.window_ends_at };
}

/** The current window of a key, or null when it has none. */
export async function peekCounter(db: Executor, key: string, now: string): Promise<CounterRow | null> {
  const row = await db
    .selectFrom('rate_limit_counters')
    .select(['count', 'window_ends_at'])
    .where('key', '=', key)
    .where('window_ends_at', '>', now)
    .executeTakeFirst();
  return row ? { count: Number(row.count), window_ends_at: row.window_ends_at } : null;
}

/** Takes one event back. */
export async function refundCounter(db: Executor, key: string, now: string): Promise<void> {
  await db
    .updateTable('rate_limit_counters')
    .set({ count: sql<number>`count - 1` })
    .where('key', '=', key)
    .where('count', '>', 0)
    .where('window_ends_at', '>', now)
    .execute();
}

export async function resetCounter(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('rate_limit_counters').where('key', '=', key).execute();
}

/**
 * Claims the next slot of an interval gate: succeeds (and moves the gate to `nextAt`) only when
 * the gate is open at `now`. Returns when the gate opens next.
 */
export async function claimSlot(
  db: Executor,
  key: string,
  now: string,
  nextAt: string,
): Promise<{ ok: boolean; nextAt: string }> {
  const claimed = await db
    .insertInto('rate_limit_counters')
    .values({ key, count: 1, window_ends_at: nextAt, last_at: now })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({ count: sql<number>`rate_limit_counters.count + 1`, window_ends_at: nextAt, last_at: now })
        .where('rate_limit_counters.window_ends_at', '<=', now),
    )
    .returning(['window_ends_at'])
    .executeTakeFirst();
  if (claimed) return { ok: true, nextAt };
  const row = await db.selectFrom('rate_limit_counters').select('window_ends_at').where('key', '=', key).executeTakeFirst();
  return { ok: false, nextAt: row?.window_ends_at ?? nextAt };
}

/** Forgets windows that are over. */
export async function sweepCounters(db: Executor, now: string): Promise<void> {
  await db.deleteFrom('rate_limit_counters').where('window_ends_at', '<=', now).execute();
}
