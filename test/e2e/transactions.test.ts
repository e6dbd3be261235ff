/**
 * `runTransaction` (store/changes.ts) under concurrency: on SQLite, transactions that queue up share
 * one commit (each in a savepoint of its own); on PostgreSQL each is a transaction of its own. Either
 * way every transaction succeeds or fails alone, a failed one leaves nothing behind and publishes
 * nothing, and the changes of the ones that succeed reach the caches before their callers resume.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atTransactionEnd, type Change, noteChange, onChanges, runTransaction, writeSoon } from '../../src/store/changes.js';
import { isUniqueViolation } from '../../src/store/db.js';
import { adjustCounts, readCount } from '../../src/store/versions.js';
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

/**
 * Statements a transaction queues instead of running (store/postgres-commit.ts): on PostgreSQL
 * pipelined writes (`writeSoon`) go out with the next statement or the commit, and the tail
 * (`atTransactionEnd`) with the commit, their values written as literals. On SQLite both run at
 * once. Either way a transaction reads its own writes and stays all-or-nothing.
 */
describe('queued statements', () => {
  type Trx = Parameters<Parameters<typeof runTransaction>[1]>[0];
  const countRow = (trx: Trx, name: string, n = 1) =>
    trx.insertInto('resource_counts').values({ resource_type: 'test', resource_id: 'queued', name, n }).compile();
  const storedCount = async (name: string) =>
    (
      await db()
        .selectFrom('resource_counts')
        .select('n')
        .where('resource_type', '=', 'test')
        .where('resource_id', '=', 'queued')
        .where('name', '=', name)
        .executeTakeFirst()
    )?.n;

  it('a pipelined write is read by its own transaction and committed with it', async () => {
    const seen = await runTransaction(db(), async (trx) => {
      await writeSoon(trx, countRow(trx, 'e1', 7));
      await writeSoon(trx, countRow(trx, 'e2', 8));
      return trx.selectFrom('resource_counts').select('n').where('name', 'in', ['e1', 'e2']).orderBy('name').execute();
    });
    expect(seen.map((r) => Number(r.n))).toEqual([7, 8]);
    expect(Number(await storedCount('e1'))).toBe(7);
    expect(Number(await storedCount('e2'))).toBe(8);
  });

  it('a pipelined write that fails fails its transaction, with its own error, and leaves nothing', async () => {
    await runTransaction(db(), async (trx) => writeSoon(trx, countRow(trx, 'f1')));
    for (const readAfter of [true, false]) {
      const outcome = runTransaction(db(), async (trx) => {
        await trx.executeQuery(countRow(trx, `f2-${readAfter}`));
        await writeSoon(trx, countRow(trx, 'f1')); // already there: a primary-key violation
        if (readAfter) await trx.selectFrom('resource_counts').select('n').where('name', '=', 'f1').execute();
      });
      const error = await outcome.then(
        () => null,
        (e: unknown) => e,
      );
      expect(isUniqueViolation(error), String(error)).toBe(true);
      expect(await storedCount(`f2-${readAfter}`)).toBeUndefined();
    }
  });

  it('the tail runs at the commit in its order; if it fails, nothing of the transaction stays or is published', async () => {
    const published: Change[] = [];
    const stop = onChanges(db(), (batch) => published.push(...batch));
    try {
      await runTransaction(db(), async (trx) => {
        const insert = () => atTransactionEnd(trx, '1', countRow(trx, 'g1', 1));
        const add = () =>
          atTransactionEnd(
            trx,
            '2',
            sql`update resource_counts set n = n + 10 where resource_type = 'test' and name = ${'g1'}`.compile(trx),
          );
        // PostgreSQL runs the tail in `order`, whatever order it was queued in; SQLite runs each at once.
        if (TEST_DIALECT === 'postgres') {
          await add();
          await insert();
        } else {
          await insert();
          await add();
        }
      });
      expect(Number(await storedCount('g1'))).toBe(11);
      const failing = runTransaction(db(), async (trx) => {
        await trx.executeQuery(countRow(trx, 'g2'));
        await writeSoon(trx, countRow(trx, 'g3'));
        await noteChange(trx, 'v:test:g');
        await atTransactionEnd(trx, '1', countRow(trx, 'g1')); // already there
      });
      await expect(failing).rejects.toSatisfy(isUniqueViolation);
      expect(await storedCount('g2')).toBeUndefined();
      expect(await storedCount('g3')).toBeUndefined();
      expect(published).not.toContain('v:test:g');
    } finally {
      stop();
    }
  });

  it('strings arrive exactly as sent: quotes, backslashes, placeholders, comments, any script', async () => {
    const names = [
      "it's",
      "''",
      'back\\slash\\',
      "\\'; drop table resource_counts; --",
      '$1 $2 $10',
      "E'x'",
      '-- not a comment',
      '/* nor this */',
      'naïve 日本語 👩🏽‍🚀',
      '\t\n\r',
    ];
    await runTransaction(db(), async (trx) => {
      for (const [i, name] of names.entries()) {
        if (i % 2 === 0) await writeSoon(trx, countRow(trx, name, -i - 1));
        else await atTransactionEnd(trx, `s${i}`, countRow(trx, name, -i - 1));
      }
    });
    for (const [i, name] of names.entries()) expect(Number(await storedCount(name)), name).toBe(-i - 1);
  });

  it('a NUL byte: refused on PostgreSQL, whose text cannot hold one, and the transaction leaves nothing', async () => {
    const outcome = runTransaction(db(), async (trx) => {
      await trx.executeQuery(countRow(trx, 'h1'));
      await writeSoon(trx, countRow(trx, 'h\u0000'));
    });
    if (TEST_DIALECT === 'postgres') {
      await expect(outcome).rejects.toThrow();
      expect(await storedCount('h1')).toBeUndefined();
    } else {
      await outcome;
      expect(Number(await storedCount('h\u0000'))).toBe(1);
    }
  });

  it('a transaction reads its own count changes before they are written', async () => {
    const resource = { type: 'project' as const, id: 'queued-counts' };
    const seen = await runTransaction(db(), async (trx) => {
      await adjustCounts(trx, resource, new Map([['members:user', 3]]));
      await adjustCounts(trx, resource, new Map([['members:user', -1]]));
      return readCount(trx, resource, 'members:user');
    });
    expect(seen).toBe(2);
    expect(await readCount(db(), resource, 'members:user')).toBe(2);
  });
});
