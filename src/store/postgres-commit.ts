/**
 * PostgreSQL: fewer round trips per transaction, and none while a shared lock is held.
 *
 * Every write passes through a few rows that all writers share: the audit chain's head, and the
 * version and the member counts of the resource it changes (store/audit.ts, store/versions.ts).
 * Updating such a row takes its lock until the commit, so concurrent writers take turns there. If
 * the transaction updated it as it went, the lock would be held across every later statement's
 * round trip, the commit's included, each one waiting for this process's event loop as well.
 *
 * So a transaction's connection (this driver's, which Kysely's PostgreSQL dialect uses in place of
 * its own) can hold statements back and send several as one simple query:
 *
 * - **`begin`** goes out with the transaction's first statement;
 * - **the tail** (`sendWithCommit`): statements sent together with `commit`. PostgreSQL runs them
 *   one after the other in the same transaction and commits, and no lock is held while a message
 *   crosses the network;
 * - **pipelined writes** (`sendWithNext`): inserts whose result nothing waits for. They go out with
 *   the transaction's next statement, or with the commit: a transaction always reads its own writes.
 *
 * A robot's creation, for instance, is then two round trips instead of eleven: `begin` with the
 * organization policy it is checked against, and everything else with the commit.
 *
 * A simple query takes no parameters, so a statement sent with others has its values written into
 * the text as literals, the way pg's own `escapeLiteral` writes them (a backslash makes it an `E''`
 * literal, so the result is the same whatever `standard_conforming_strings` says). Only numbers,
 * booleans, null and strings are accepted, and a string holding a NUL byte is refused (PostgreSQL's
 * text cannot hold one, so the parameterised statement would have failed too). A read is sent that
 * way only when every value is a string or null, which PostgreSQL types from its context exactly as
 * it types a parameter; any other read first sends what is held back, then itself with parameters.
 *
 * If one of the statements fails, PostgreSQL skips the rest of the text, `commit` included; the
 * query fails and Kysely rolls the transaction back, as it does when any other statement fails. A
 * pipelined write's failure therefore surfaces at the next statement or the commit, not where it
 * was written: only writes no caller catches a failure of are pipelined.
 *
 * Savepoints are not offered: Gatehouse uses them only on SQLite (store/changes.ts).
 */
import {
  AbortedTransactionError,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  PostgresDialect,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';

/** `text` as a PostgreSQL string literal, exactly as pg's `escapeLiteral` writes it. */
export function quoteLiteral(text: string): string {
  const quoted = `'${text.replaceAll("'", "''")}'`;
  return text.includes('\\') ? ` E${quoted.replaceAll('\\', '\\\\')}` : quoted;
}

/** `query` with each `$n` replaced by its parameter, written as a literal. */
export function withLiterals(query: CompiledQuery): string {
  const { sql, parameters } = query;
  return sql.replace(/\$(\d+)/g, (_, index: string) => {
    const n = Number(index);
    if (n < 1 || n > parameters.length) throw new Error(`parameter $${index} of ${parameters.length}`);
    return literal(parameters[n - 1], index);
  });
}

function literal(value: unknown, index: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`parameter $${index} is not a finite number`);
    // In parentheses: `x-$1` with a negative value must not become the comment `x--1`.
    return `(${value})`;
  }
  if (typeof value === 'bigint') return `(${value})`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new Error(`parameter $${index} holds a NUL byte, which PostgreSQL text cannot`);
    return quoteLiteral(value);
  }
  throw new Error(`parameter $${index}: a ${typeof value} cannot be written as a literal`);
}

/** A read that may be sent with statements held back: no quote in its text, only strings and nulls. */
function asHeldBackRead(query: CompiledQuery): string | undefined {
  if (query.sql.includes("'")) return undefined;
  if (!query.parameters.every((value) => value === null || (typeof value === 'string' && !value.includes('\u0000')))) {
    return undefined;
  }
  return withLiterals(query);
}

class QueueingConnection implements DatabaseConnection {
  /** Statements held back until the next one: a transaction's `begin`, pipelined writes. */
  readonly held: string[] = [];
  /** What the commit sends first. */
  tail: readonly CompiledQuery[] = [];
  /** Whether the transaction's `begin` has gone out. */
  begun = false;
  discarded = false;

  constructor(
    readonly client: pg.PoolClient,
    private readonly counts: RoundTrips,
  ) {}

  /** Sends one query (however many statements it holds) and waits for its answer: a round trip, counted. */
  send(text: string, values?: unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> {
    this.counts.total++;
    return this.client.query(text, values) as Promise<pg.QueryResult | pg.QueryResult[]>;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.discarded) throw new Error('the PostgreSQL connection was discarded');
    if (this.held.length === 0) return kyselyResult(lastOf(await this.send(query.sql, [...query.parameters])));
    const first = this.held.splice(0).join(';\n');
    this.begun = true;
    const read = asHeldBackRead(query);
    if (read !== undefined) return kyselyResult(lastOf(await this.send(`${first};\n${read}`)));
    await this.send(first);
    return kyselyResult(lastOf(await this.send(query.sql, [...query.parameters])));
  }

  // biome-ignore lint/correctness/useYield: Gatehouse never streams from PostgreSQL.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported by this driver');
  }

  /** Sends what is held back, the tail and `sql`, as one query. */
  async finish(sql: string): Promise<pg.QueryResult> {
    const statements = [...this.held.splice(0), ...this.tail.map(withLiterals), sql];
    this.tail = [];
    // If one of them fails, the transaction is open and aborted: the rollback must go out.
    this.begun = true;
    return lastOf(await this.send(statements.join(';\n')));
  }

  reset(): void {
    this.held.length = 0;
    this.tail = [];
    this.begun = false;
  }
}

function lastOf(result: pg.QueryResult | pg.QueryResult[]): pg.QueryResult {
  return Array.isArray(result) ? (result[result.length - 1] as pg.QueryResult) : result;
}

/** A pg result as Kysely's own PostgreSQL driver returns it. */
function kyselyResult<R>(result: pg.QueryResult): QueryResult<R> {
  const { command, rowCount, rows } = result;
  if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command } as R] };
  const counted = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { ...(counted ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}), rows: (rows ?? []) as R[] };
}

function queueingOf(connection: DatabaseConnection): QueueingConnection {
  if (!(connection instanceof QueueingConnection)) throw new Error('not a connection of store/postgres-commit.ts');
  return connection;
}

/** Makes the commit of the transaction open on `connection` send `statements` first, in the same round trip. */
export function sendWithCommit(connection: DatabaseConnection, statements: readonly CompiledQuery[]): void {
  queueingOf(connection).tail = statements;
}

/** Holds a write back on `connection`: it goes out with its transaction's next statement or its commit. */
export function sendWithNext(connection: DatabaseConnection, write: CompiledQuery): void {
  queueingOf(connection).held.push(withLiterals(write));
}

/** Round trips to PostgreSQL through one pool's connections (the `gatehouse_db_round_trips_total` metric). */
export interface RoundTrips {
  total: number;
}

class QueueingDriver implements Driver {
  #pool: pg.Pool | undefined;
  readonly #connections = new WeakMap<pg.PoolClient, QueueingConnection>();

  constructor(
    pool: pg.Pool,
    private readonly counts: RoundTrips,
  ) {
    this.#pool = pool;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const pool = this.#pool;
    if (!pool) throw new Error('the PostgreSQL driver was destroyed');
    const client = await pool.connect();
    let connection = this.#connections.get(client);
    if (!connection) {
      connection = new QueueingConnection(client, this.counts);
      this.#connections.set(client, connection);
    }
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let begin = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      begin = ['start transaction', settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode]
        .filter(Boolean)
        .join(' ');
    }
    const queueing = queueingOf(connection);
    queueing.reset();
    queueing.held.push(begin);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const queueing = queueingOf(connection);
    // Had an earlier statement failed, the transaction would be aborted and the first statement
    // sent here would fail with it; a bare `commit` answers ROLLBACK instead.
    const { command } = await queueing.finish('commit');
    queueing.reset();
    if (command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const queueing = queueingOf(connection);
    const begun = queueing.begun;
    queueing.reset();
    if (!begun) return; // its `begin` never went out: nothing to undo
    try {
      await queueing.send('rollback');
    } catch (error) {
      queueing.discarded = true;
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const queueing = queueingOf(connection);
    queueing.reset();
    queueing.client.release(queueing.discarded);
  }

  async destroy(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }
}

/** Kysely's PostgreSQL dialect, with the driver above. */
export class QueueingPostgresDialect extends PostgresDialect {
  readonly #pool: pg.Pool;
  /** Every query sent, each one a round trip, whatever statements it carried. */
  readonly roundTrips: RoundTrips = { total: 0 };

  constructor(pool: pg.Pool) {
    super({ pool });
    this.#pool = pool;
  }

  override createDriver(): Driver {
    return new QueueingDriver(this.#pool, this.roundTrips);
  }
}
