/**
 * SQLite group commits and checkpoints off the event loop (store/changes.ts, store/checkpoints.ts),
 * on a database file of its own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTransaction } from '../../src/store/changes.js';
import { Checkpointer, FINISH_PAGES } from '../../src/store/checkpoints.js';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';

let dir: string;
let file: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-checkpoints-'));
  file = join(dir, 'gatehouse.db');
  store = openStore({ dialect: 'sqlite', file });
  await migrateToLatest(store.db);
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

let rows = 0;
/** One transaction writing `n` rows of about 2 KiB each: a page of the log per row, roughly. */
function write(n: number): Promise<void> {
  return runTransaction(store.db, async (trx) => {
    for (let i = 0; i < n; i++) {
      await trx
        .insertInto('resource_counts')
        .values({ resource_type: 'test', resource_id: 'x'.repeat(2_000), name: `row-${rows++}`, n: 1 })
        .execute();
    }
  });
}

/** Pages in the log now, read on a connection of its own (a passive checkpoint also reports them). */
function pagesInLog(): number {
  const reader = new SQLite(file);
  try {
    return (reader.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]?.log ?? -1;
  } finally {
    reader.close();
  }
}

describe('SQLite group commit', () => {
  it('transactions started in one turn of the event loop share one commit', async () => {
    const checkpointer = store.checkpointer;
    if (!checkpointer) throw new Error('a store on a file has a checkpointer');
    let commits = 0;
    const nudge = checkpointer.nudge.bind(checkpointer);
    checkpointer.nudge = () => {
      commits++;
      nudge();
    };
    try {
      await Promise.all(Array.from({ length: 8 }, () => write(1)));
      expect(commits).toBe(1);
      await write(1);
      await write(1);
      expect(commits).toBe(3);
    } finally {
      checkpointer.nudge = nudge;
    }
  });
});

describe('checkpoints on a worker thread', () => {
  it('a commit wakes the worker, which copies the whole log into the database', async () => {
    const checkpointer = store.checkpointer;
    if (!checkpointer) throw new Error('a store on a file has a checkpointer');
    const next = checkpointer.next();
    await write(50);
    const result = await next;
    expect(result).not.toBeNull();
    expect(result?.busy).toBe(0);
    expect(result?.log).toBeGreaterThan(0);
    expect(result?.checkpointed).toBe(result?.log);
    expect(checkpointer.completed).toBeGreaterThanOrEqual(1);
  });

  it('a long log is copied and starts over instead of growing', async () => {
    const checkpointer = store.checkpointer;
    if (!checkpointer) throw new Error('a store on a file has a checkpointer');
    // One commit of more than FINISH_PAGES pages, and no other writes until its checkpoint: the
    // checkpoint that follows it (after one still running from an earlier commit, if any) reports
    // the whole log, and the writer finishes it. More writes in between would refill the log.
    await write(FINISH_PAGES * 1.5);
    let result = await checkpointer.next();
    while (result !== null && result.log < FINISH_PAGES) result = await checkpointer.next();
    expect(result?.log).toBeGreaterThanOrEqual(FINISH_PAGES);
    // The next commit starts the log over, so it holds only that commit's pages.
    await write(1);
    expect(pagesInLog()).toBeLessThan(20);
  });

  it('a commit during a checkpoint is followed by another checkpoint, which copies it', async () => {
    const checkpointer = store.checkpointer;
    if (!checkpointer) throw new Error('a store on a file has a checkpointer');
    await write(1);
    // Wait for the checkpoint that commit asked for to start, then commit while it runs.
    const running = checkpointer.next();
    while (!checkpointer.running) await new Promise((r) => setTimeout(r, 1));
    await write(1);
    await running;
    const after = await checkpointer.next();
    expect(after).not.toBeNull();
    expect(after?.checkpointed).toBe(after?.log);
  });

  it('the writer finishes a checkpoint only after the worker reports a log of FINISH_PAGES or more', async () => {
    // A writer of our own that never checkpoints, and a checkpointer that records its finish calls.
    const path = join(dir, 'finish.db');
    const writer = new SQLite(path);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('create table t (v text)');
    let finished = 0;
    const checkpointer = new Checkpointer(path, () => {
      finished++;
    });
    const insert = writer.prepare('insert into t (v) values (?)');
    try {
      insert.run('small');
      checkpointer.nudge();
      expect((await checkpointer.next())?.log).toBeLessThan(FINISH_PAGES);
      expect(finished).toBe(0);
      writer.transaction(() => {
        for (let i = 0; i < FINISH_PAGES * 1.5; i++) insert.run('x'.repeat(3_000));
      })();
      checkpointer.nudge();
      expect((await checkpointer.next())?.log).toBeGreaterThanOrEqual(FINISH_PAGES);
      expect(finished).toBe(1);
    } finally {
      await checkpointer.close();
      writer.close();
    }
  });

  it('every row written is in the database, read on a fresh connection', async () => {
    const reader = new SQLite(file, { readonly: true });
    try {
      const { n } = reader.prepare(`select count(*) as n from resource_counts where resource_type = 'test'`).get() as {
        n: number;
      };
      expect(n).toBe(rows);
    } finally {
      reader.close();
    }
  });

  it('closing the store stops the worker', async () => {
    const other = openStore({ dialect: 'sqlite', file: join(dir, 'other.db') });
    await migrateToLatest(other.db);
    const checkpointer = other.checkpointer;
    if (!checkpointer) throw new Error('a store on a file has a checkpointer');
    const next = checkpointer.next();
    await runTransaction(other.db, (trx) =>
      trx.insertInto('resource_counts').values({ resource_type: 'test', resource_id: 'y', name: 'one', n: 1 }).execute(),
    );
    expect(await next).not.toBeNull();
    await other.close();
    expect(await checkpointer.next()).toBeNull();
    // The worker closed its connection first, so the store's was the last one: it copied the whole
    // log into the database and removed it. The next process to open the file has no log to replay.
    expect(existsSync(join(dir, 'other.db-wal'))).toBe(false);
  });

  it('closing waits for a long checkpoint, even when nothing else keeps the process alive', () => {
    // A process that writes a large log and closes its store at once: the worker is still copying
    // when close() is called, and the process must wait for it, then end with the log gone.
    const src = resolve(import.meta.dirname, '../../src/store');
    const script = join(dir, 'close-during-checkpoint.mts');
    writeFileSync(
      script,
      `import { existsSync } from 'node:fs';
import { runTransaction } from '${src}/changes.js';
import { openStore } from '${src}/db.js';
import { migrateToLatest } from '${src}/migrate.js';
const file = ${JSON.stringify(join(dir, 'closing.db'))};
const store = openStore({ dialect: 'sqlite', file });
await migrateToLatest(store.db);
await runTransaction(store.db, async (trx) => {
  for (let i = 0; i < 20000; i++) {
    await trx.insertInto('resource_counts').values({ resource_type: 'test', resource_id: 'z'.repeat(2000), name: 'n' + i, n: 1 }).execute();
  }
});
// The commit nudged the worker; give it a moment to start copying, then close.
await new Promise((resolve) => setTimeout(resolve, 20));
await store.close();
process.stdout.write(existsSync(file + '-wal') ? 'closed, log left behind' : 'closed, log removed');
`,
    );
    const output = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    expect(output).toBe('closed, log removed');
  });
});

describe('SQLite write transactions', () => {
  it('wait for another process’s write lock instead of failing with "database is locked"', async () => {
    // Another process holds the write lock for half a second (an operator command, say).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
const db = new D(${JSON.stringify(file)});
db.exec('begin immediate');
db.prepare("insert into resource_counts (resource_type, resource_id, name, n) values ('test', 'other', 'held', 1)").run();
process.stdout.write('locked\\n');
setTimeout(() => { db.exec('commit'); db.close(); }, 500);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()));
    // A transaction that reads, then writes: with a deferred begin its write would be refused at once.
    const started = performance.now();
    await runTransaction(store.db, async (trx) => {
      await trx.selectFrom('resource_counts').select('name').where('resource_type', '=', 'test').limit(1).execute();
      await trx
        .insertInto('resource_counts')
        .values({ resource_type: 'test', resource_id: 'x', name: 'after-wait', n: 1 })
        .execute();
    });
    expect(performance.now() - started).toBeGreaterThan(100);
    await new Promise((resolve) => holder.once('exit', resolve));
    const names = await store.db
      .selectFrom('resource_counts')
      .select('name')
      .where('name', 'in', ['held', 'after-wait'])
      .execute();
    expect(names.map((r) => r.name).sort()).toEqual(['after-wait', 'held']);
  });
});
