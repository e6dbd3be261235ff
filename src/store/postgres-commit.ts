/**
 * PostgreSQL: fewer round trips per transaction, and none while a shared lock is held.
 *
 * Every write passes through a few rows that all writers share: the audit chain's head, and the
 * version and the member counts of the resource it changes (store/audit.ts, store/versions.ts).
 * Updating such a row takes its lock until the commit, so concurrent writers take turns there. If
 * the transaction updated it as it went, the lock would be held across every later statement's
 * round trip, the commit's included, each one waiting for this process's event loop as well.
 *
 * So a transaction can queue statements on its connection instead of running them:
 *
 * - **the tail** (`sendWithCommit`): statements sent together with `commit`, as one simple query.
 *   PostgreSQL runs them one after the other in the same transaction and commits, and no lock is
 *   held while a message crosses the network;
 * - **pipelined writes** (`sendWithNext`): inserts whose result nothing waits for. They go out with
 *   the commit too, or, if the transaction runs another statement first, in one round trip just
 *   before it: a transaction always reads its own writes.
 *
 * A robot's creation, for instance, is then three round trips instead of seven: `begin`, the
 * organization policy it is checked against, and everything else with the commit.
 *
 * A simple query takes no parameters, so their values are written into the text as literals, the
 * way pg's own `escapeLiteral` writes them (a backslash makes it an `E''` literal, so the result
 * is the same whatever `standard_conforming_strings` says). Only numbers, booleans, null and
 * strings are accepted, and a string holding a NUL byte is refused (PostgreSQL's text cannot hold
 * one, so the parameterised statement would have failed too).
 *
 * If one of the statements fails, PostgreSQL skips the rest of the text, `commit` included; the
 * query fails and Kysely rolls the transaction back, as it does when any other statement fails. A
 * pipelined write's failure therefore surfaces at the next statement or the commit, not where it
 * was written: only writes no caller catches a failure of are pipelined.
 */
import { CompiledQuery, type DatabaseConnection, PostgresDialect, type PostgresDialectConfig, PostgresDriver } from 'kysely';

interface Queued {
  /** Pipelined writes, in the order written. */
  writes: CompiledQuery[];
  /** The tail, in the order it runs. */
  tail: readonly CompiledQuery[];
}

const queued = new WeakMap<DatabaseConnection, Queued>();

function queueOf(connection: DatabaseConnection): Queued {
  let entry = queued.get(connection);
  if (!entry) {
    entry = { writes: [], tail: [] };
    queued.set(connection, entry);
  }
  return entry;
}

/** Makes the commit of the transaction open on `connection` send `statements` first, in the same round trip. */
export function sendWithCommit(connection: DatabaseConnection, statements: readonly CompiledQuery[]): void {
  queueOf(connection).tail = statements;
}

/** Queues a write on `connection`, sent with its transaction's next statement or its commit. */
export function sendWithNext(connection: DatabaseConnection, write: CompiledQuery): void {
  queueOf(connection).writes.push(write);
}

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

/** Statements as one simple query's text. */
function asText(statements: readonly CompiledQuery[]): string {
  return statements.map(withLiterals).join(';\n');
}

/** Connections whose `executeQuery` sends the pipelined writes first. */
const pipelined = new WeakSet<DatabaseConnection>();

class QueueingDriver extends PostgresDriver {
  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    if (!pipelined.has(connection)) {
      pipelined.add(connection);
      // Kysely keeps one connection object per pg client for the pool's lifetime, and releases
      // it through a private method: the object is kept and only this one method is wrapped.
      const execute = connection.executeQuery.bind(connection);
      connection.executeQuery = (async (query: CompiledQuery) => {
        const writes = queued.get(connection)?.writes;
        if (writes && writes.length > 0) await execute(CompiledQuery.raw(asText(writes.splice(0))));
        return execute(query);
      }) as DatabaseConnection['executeQuery'];
    }
    return connection;
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const entry = queued.get(connection);
    if (!entry) return super.commitTransaction(connection);
    queued.delete(connection);
    const statements = [...entry.writes, ...entry.tail];
    if (statements.length === 0) return super.commitTransaction(connection);
    // Had an earlier statement failed, the transaction would be aborted and the first of these
    // would fail with it: the commit is only reached on a healthy transaction.
    await connection.executeQuery(CompiledQuery.raw(`${asText(statements)};\ncommit`));
  }

  override async rollbackTransaction(connection: Parameters<PostgresDriver['rollbackTransaction']>[0]): Promise<void> {
    queued.delete(connection);
    return super.rollbackTransaction(connection);
  }
}

/** Kysely's PostgreSQL dialect whose transactions can queue statements (`sendWithCommit`, `sendWithNext`). */
export class QueueingPostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;

  constructor(config: PostgresDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): QueueingDriver {
    return new QueueingDriver(this.#config);
  }
}
