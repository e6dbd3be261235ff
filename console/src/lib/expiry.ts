/**
 * Turning a date picked in a form into a robot's `expiresAt`: the end of that day in the reader's
 * zone, but never past the latest expiry the server said the organization allows.
 */
import { endOfDay } from './format';

export function expiryFor(day: string, latestExpiresAt: string | null): string | null {
  const end = endOfDay(day);
  if (end === null) return null;
  if (latestExpiresAt !== null && Date.parse(end) > Date.parse(latestExpiresAt)) return latestExpiresAt;
  return end;
}
