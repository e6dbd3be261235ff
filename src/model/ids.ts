/**
 * Identifiers. Random ids use lowercase letters and digits only, so they sort the same way under
 * every collation (SQLite's binary one and PostgreSQL's locale ones) and read well in URLs.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Random bytes drawn 4 KiB at a time: asking the CSPRNG for a few bytes per id costs microseconds
 * per call, which a bulk load of a million members (or a busy write path) pays many times over.
 * Ids name things; they are not secrets (tokens draw their own bytes, model/tokens.ts).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let next = 0;

function randomByte(): number {
  if (next >= pool.length) {
    pool = randomBytes(POOL_BYTES);
    next = 0;
  }
  return pool[next++] as number;
}

export function randomId(length: number): string {
  let out = '';
  // Rejection sampling keeps every character uniformly likely (252 = 7 × 36).
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 252) out += ALPHABET[byte % 36];
  }
  return out;
}

/**
 * A time-ordered id: 9 characters of milliseconds since the epoch, then 9 random characters.
 * Rows keyed by it come back in insertion order, which keyset pagination uses as its sort key.
 */
export function sortableId(now = Date.now()): string {
  return now.toString(36).padStart(9, '0') + randomId(9);
}

/** Kinds of id, each with its own first letter so a glance tells what an id names. */
export const newId = {
  project: () => randomId(8),
  organization: () => `o${randomId(9)}`,
  user: () => `g${randomId(11)}`,
  robot: () => `r${randomId(11)}`,
  token: () => `t${randomId(11)}`,
  membership: (now?: number) => sortableId(now),
  event: (now?: number) => sortableId(now),
};

/** Shape of ids accepted in paths: lenient enough for imported Sanity ids, strict enough for logs. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
export const ID_REGEX = new RegExp(ID_PATTERN);
