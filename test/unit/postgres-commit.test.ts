/**
 * Values written into SQL text as literals (store/postgres-commit.ts): exactly as pg's own
 * `escapeLiteral` writes strings, and nothing that could change the statement's meaning. That the
 * database reads them back unchanged is tested on both databases in test/e2e/transactions.test.ts.
 */
import { randomInt } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { quoteLiteral, withLiterals } from '../../src/store/postgres-commit.js';

const query = (sql: string, parameters: unknown[]): CompiledQuery => ({ ...CompiledQuery.raw(sql), parameters });

describe('quoteLiteral', () => {
  it('writes what pg.escapeLiteral writes, for awkward and random strings', () => {
    const alphabet = ["'", '\\', '"', '$', '-', '*', '/', ';', 'a', 'E', ' ', '\n', 'é', '日', '👩'];
    const samples = ['', "'", "''", '\\', "\\'", "it's", 'E\\x', 'a\\\\b', '$1'];
    for (let i = 0; i < 2000; i++) {
      samples.push(Array.from({ length: randomInt(0, 12) }, () => alphabet[randomInt(0, alphabet.length)]).join(''));
    }
    for (const text of samples) expect(quoteLiteral(text), JSON.stringify(text)).toBe(pg.escapeLiteral(text));
  });
});

describe('withLiterals', () => {
  it('replaces each placeholder by its value: strings quoted, numbers in parentheses, null, booleans', () => {
    const text = withLiterals(
      query('select $1, $2, $3, $4, $5, x-$6, $10', ["o'k", 42, null, true, 7n, -1, 2, 3, 4, 'ten', undefined]),
    );
    expect(text).toBe("select 'o''k', (42), null, true, (7), x-(-1), 'ten'");
  });

  it('refuses what it cannot write safely, instead of guessing', () => {
    expect(() => withLiterals(query('select $1', [Number.NaN]))).toThrow(/finite/);
    expect(() => withLiterals(query('select $1', [{ a: 1 }]))).toThrow(/cannot be written/);
    expect(() => withLiterals(query('select $1', [new Date()]))).toThrow(/cannot be written/);
    expect(() => withLiterals(query('select $1', ['a\u0000b']))).toThrow(/NUL/);
    expect(() => withLiterals(query('select $2', ['only one']))).toThrow(/parameter \$2 of 1/);
  });
});
