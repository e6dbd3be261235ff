/**
 * Keyset pagination. A cursor is the opaque, base64url-encoded sort key of the last row served;
 * the next page starts strictly after it, so pages never shift or repeat as rows are added and no
 * list gets slower as its table grows (no OFFSET).
 */
import { problems } from './errors.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

export function encodeCursor(key: string): string {
  return Buffer.from(`k:${key}`, 'utf8').toString('base64url');
}

/** Returns the sort key, or null when the cursor is not one of ours. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('k:')) return null;
  const key = text.slice(2);
  return /^[a-z0-9]{1,64}$/.test(key) ? key : null;
}

/** The sort key to continue after, or null for the first page; a foreign cursor is a 400. */
export function cursorKey(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  const key = decodeCursor(cursor);
  if (key === null) throw problems.invalidInput('nextCursor is not a cursor this server issued', 'nextCursor');
  return key;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
  totalCount: number;
}

/** Given `limit + 1` rows fetched in key order, the page and the cursor for the next one. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => string, totalCount: number): Page<T> {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null, totalCount };
}
