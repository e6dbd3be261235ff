/** Small formatting rules shared by the pages. */

/** `2025-01-09T10:00:00.000Z` → "9 Jan 2025, 10:00" in the reader's locale and zone. */
export function formatTime(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "1 role", "3 roles". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The end of a calendar day (`YYYY-MM-DD`, from a date input) in the reader's zone, as ISO text; null for "". */
export function endOfDay(day: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const end = new Date(y, m - 1, d, 23, 59, 59, 0);
  return Number.isNaN(end.getTime()) ? null : end.toISOString();
}

/** `YYYY-MM-DD` of an ISO time, in the reader's zone (for a date input's `max`). */
export function dayOf(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
