/**
 * `runTransaction` (store/changes.ts) under concurrency: on SQLite, transactions that queue up share
 * one commit (each in a savepoint of its own); on PostgreSQL each is a transaction of its own. Either
 * way every transaction succeeds or fails alone, a failed one leaves nothing behind and publishes
 * nothing, and the changes of the ones that succeed reach the caches before their callers resume.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Change, noteChange, onChanges, runTransaction } from '../../src/store/changes.js';
import { TEST_DIALECT } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

const db = () => server.running.store.db;

/** A row in a table every dialect has and nothing else reads by this name. */
async function insertCount(trx: Parameters<Parameters<typeof runTransaction>[1]>[0], name: string): Promise<void> {
  await trx.insertInto('resource_counts').values({ resource_type: 'test', resource_id: 'transactions', name, n: 1 }).execute();
}

async function namesPresent(prefix: string): Promise<string[]> {
  const rows = await db()
    .selectFrom('resource_counts')
    .select('name')
    .where('resource_type', '=', 'test')
    .where('name', 'like', `${prefix}%`)
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

describe('runTransaction under concurrency', () => {
  it('twenty at once: the failing ones leave nothing and publish nothing, the others commit and publish', async () => {
    const seen: Change[] = [];
    const stop = onChanges(db(), (batch) => seen.push(...batch));
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          runTransaction(db(), async (trx) => {
            const name = `a${String(i).padStart(2, '0')}`;
            await insertCount(trx, name);
            await noteChange(trx, `v:test:${name}`);
            if (i % 3 === 0) throw new Error(`refused ${i}`);
            return i;
          }),
        ),
      );
      const kept = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % 3 !== 0);
      outcomes.forEach((outcome, i) => {
        if (i % 3 === 0) expect(outcome).toMatchObject({ status: 'rejected', reason: { message: `refused ${i}` } });
        else expect(outcome).toEqual({ status: 'fulfilled', value: i });
      });
      const names = kept.map((i) => `a${String(i).padStart(2, '0')}`);
      expect(await namesPresent('a')).toEqual(names);
      expect(seen.filter((c) => c.startsWith('v:test:a')).sort()).toEqual(names.map((n) => `v:test:${n}`));
    } finally {
      stop();
    }
  });

  it('a transaction sees the ones committed before it, and its caller resumes only after its changes were applied', async () => {
    const applied: Change[] = [];
    const stop = onChanges(db(), (batch) => applied.push(...batch));
    try {
      const order: string[] = [];
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          runTransaction(db(), async (trx) => {
            await insertCount(trx, `b${i}`);
            await noteChange(trx, `v:test:b${i}`);
            // Everything that arrived earlier is visible here, in arrival order.
            order.push(
              `${i}:${(await trx.selectFrom('resource_counts').select('name').where('name', 'like', 'b%').execute()).length}`,
            );
          }).then(() => {
            expect(applied).toContain(`v:test:b${i}`);
          }),
        ),
      );
      // SQLite runs them one after another in arrival order; PostgreSQL runs them side by side.
      if (TEST_DIALECT === 'sqlite') expect(order).toEqual(['0:1', '1:2', '2:3', '3:4', '4:5', '5:6']);
      else expect(order).toHaveLength(6);
    } finally {
      stop();
    }
  });

  it('a statement that fails inside a transaction fails only that transaction', async () => {
    const outcomes = await Promise.allSettled(
      ['c1', 'c2', 'c2', 'c3'].map((name, i) =>
        runTransaction(db(), async (trx) => {
          await insertCount(trx, `${name}-${i}`);
          // The second `c2` violates the primary key here, after its first insert succeeded.
          await insertCount(trx, name);
        }),
      ),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const failed = outcomes.findIndex((o) => o.status === 'rejected');
    expect([1, 2]).toContain(failed);
    expect(await namesPresent('c')).toEqual(['c1', 'c1-0', 'c2', `c2-${3 - failed}`, 'c3', 'c3-3']);
  });

  it('work outside runTransaction still runs while groups commit, and the database stays consistent', async () => {
    const writes = Array.from({ length: 10 }, (_, i) => runTransaction(db(), (trx) => insertCount(trx, `d${i}`)));
    const read = sql<{ n: number | string }>`select count(*) as n from resource_counts where name like 'd%'`.execute(db());
    await Promise.all(writes);
    const count = Number((await read).rows[0]?.n);
    expect(count).toBeGreaterThanOrEqual(0);
    expect(count).toBeLessThanOrEqual(10);
    expect(await namesPresent('d')).toHaveLength(10);
  });
});
