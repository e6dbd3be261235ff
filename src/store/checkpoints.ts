/**
 * SQLite checkpoints on a thread of their own.
 *
 * In WAL mode a commit appends the pages it changed to the write-ahead log; a checkpoint copies
 * them back into the database file and syncs it to disk. By default SQLite checkpoints on the
 * connection that commits, once the log holds 1,000 pages: the writing connection stops to copy
 * and `fsync`. Gatehouse has one connection, on the event loop, so every request on the node
 * waited for it. Measured with 8 concurrent writers creating robots, those checkpoints took
 * a third of the server's time.
 *
 * Here a worker thread with its own connection to the same file runs the checkpoints: one at most
 * every CHECKPOINT_INTERVAL_MS while commits happen, none while the node is idle. It runs them
 * `PASSIVE`: it never waits for, or holds up, the writer or a reader.
 *
 * The log starts over from its beginning only once every page in it has been copied, and under
 * steady writes the writer always adds pages while the worker copies. So when the worker reports
 * a log of FINISH_PAGES or more, the writer finishes the job on its own connection: it copies only
 * what was committed while the worker ran (a few milliseconds' worth of writes), and its next
 * commit starts the log over. The writer's own automatic checkpoint stays on, at
 * WRITER_CHECKPOINT_PAGES, for when the worker falls behind or stops.
 *
 * The worker thread starts on the first commit, so a node that only reads never starts one, and
 * start-up does not pay for it.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** At most one checkpoint by the worker per this many milliseconds, while commits happen. */
export const CHECKPOINT_INTERVAL_MS = 200;

/** A log this long, once the worker has copied it, is finished by the writer so it can start over. */
export const FINISH_PAGES = 1_000;

/** The writing connection's own checkpoint (`wal_autocheckpoint`): the safety net, in pages. */
export const WRITER_CHECKPOINT_PAGES = 10_000;

/** After a checkpoint has emptied the log, its file is cut back to this size (`journal_size_limit`). */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** What one checkpoint did, as `PRAGMA wal_checkpoint` reports it: pages in the log and copied. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

// Plain CommonJS evaluated in the worker: nothing to bundle or find on disk. The driver is the
// very module the main thread loaded, by its resolved path.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = NORMAL');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ result: db.pragma('wal_checkpoint(PASSIVE)')[0] });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
});
`;

const require = createRequire(import.meta.url);

export class Checkpointer {
  private worker: Worker | null = null;
  private state: 'idle' | 'scheduled' | 'running' | 'stopped' = 'idle';
  private timer: NodeJS.Timeout | null = null;
  private lastAt = Number.NEGATIVE_INFINITY;
  private waiters: Array<(result: CheckpointResult | null) => void> = [];
  /** A commit landed while the worker was checkpointing: one more checkpoint once it is done. */
  private again = false;
  /** Whether the worker is checkpointing right now (for tests and operators). */
  get running(): boolean {
    return this.state === 'running';
  }

  /** Checkpoints the worker has run, and the last one's report (for tests and operators). */
  completed = 0;
  last: CheckpointResult | null = null;

  /**
   * @param file the database file
   * @param finish runs a `PASSIVE` checkpoint on the writing connection, unless it is inside a
   *   transaction (when it does nothing: the next report tries again)
   */
  constructor(
    private readonly file: string,
    private readonly finish: () => void,
  ) {}

  /**
   * After a commit: a checkpoint soon, unless one is already on its way. A checkpoint that is
   * running may have started before this commit and not copy it, so another one follows it.
   */
  nudge(): void {
    if (this.state === 'running') this.again = true;
    if (this.state !== 'idle') return;
    this.state = 'scheduled';
    const wait = Math.max(0, this.lastAt + CHECKPOINT_INTERVAL_MS - performance.now());
    this.timer = setTimeout(() => this.run(), wait);
    this.timer.unref();
  }

  /** Resolves with the report of the next checkpoint to finish (null if the worker stops first). */
  next(): Promise<CheckpointResult | null> {
    if (this.state === 'stopped') return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Stops the worker once its checkpoint in progress, if any, is done, and closes its connection.
   * The store closes its own connection after this: the last connection to close checkpoints the
   * whole log and removes it, and that must happen while the store closes, not later in the
   * background, when the next process to open the file would find it locked.
   */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    const wasRunning = this.state !== 'stopped';
    this.stop();
    const worker = this.worker;
    this.worker = null;
    if (!worker || !wasRunning) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Unreferenced, a worker busy with a long checkpoint would let the process end right here,
    // with this promise pending and the store never closed.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  private run(): void {
    this.timer = null;
    if (this.state !== 'scheduled') return;
    this.state = 'running';
    this.worker ??= this.start();
    this.worker.postMessage('checkpoint');
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file: this.file },
      // It allocates next to nothing (one small report per checkpoint): a small heap keeps the
      // thread's memory small. Should it ever run out, it stops, and the writer checkpoints alone.
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    // Never what keeps a process alive.
    worker.unref();
    worker.on('message', (message: { result?: CheckpointResult; error?: string }) => {
      this.lastAt = performance.now();
      // A failed checkpoint (the disk is full, say) is tried again after the next commit; the
      // writer's own checkpoint is there meanwhile.
      if (message.result) {
        this.completed++;
        this.last = message.result;
        if (message.result.log >= FINISH_PAGES) this.finish();
      }
      if (this.state === 'running') this.state = 'idle';
      for (const waiter of this.waiters.splice(0)) waiter(message.result ?? null);
      if (this.again) {
        this.again = false;
        this.nudge();
      }
    });
    // The worker could not open the database, or died: the writer checkpoints on its own, as by default.
    worker.on('error', () => this.stop());
    worker.on('exit', () => this.stop());
    return worker;
  }

  private stop(): void {
    this.state = 'stopped';
    for (const waiter of this.waiters.splice(0)) waiter(null);
  }
}
