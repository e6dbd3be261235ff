/**
 * Identifiers. Random ids use lowercase letters and digits only, so they sort the same way under
 * every collation (SQLite's binary one and PostgreSQL's locale ones) and read well in URLs.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function randomId(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character uniformly likely (252 = 7 × 36).
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const byte = bytes[i] as number;
    if (byte < 252) out += ALPHABET[byte % 36];
  }
  return out.length === length ? out : out + randomId(length - out.length);
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
