/** Input rules shared by services: one definition each, one message each. */
import { Problem } from '../model/errors.js';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export function normalizeEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (!EMAIL.test(value) || !value.split('@')[1]?.includes('.')) {
    throw new Problem(400, `Invalid e-mail address: ${email.slice(0, 100)}`, { code: 'invalid_input', field: 'email' });
  }
  return value;
}

/** An optional future expiry as an ISO string, or null. */
export function futureExpiry(value: string | null | undefined, now: Date, field = 'expiresAt'): string | null {
  if (value === undefined || value === null) return null;
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new Problem(400, `${field} must be an ISO 8601 date-time, got "${value.slice(0, 60)}"`, {
      code: 'invalid_input',
      field,
    });
  }
  if (time <= now.getTime()) {
    throw new Problem(400, `${field} must be in the future, got ${value}`, { code: 'invalid_input', field });
  }
  return new Date(time).toISOString();
}

export function nonEmpty(value: string, field: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed === '') throw new Problem(400, `${field} must not be empty`, { code: 'invalid_input', field });
  if (trimmed.length > max) {
    throw new Problem(400, `${field} must be at most ${max} characters`, { code: 'invalid_input', field });
  }
  return trimmed;
}
