/**
 * Password rules, after NIST SP 800-63B §5.1.1.2 ("memorized secrets"): length over composition.
 *
 * - at least 10 and at most 128 characters, counted as Unicode code points after NFKC
 *   normalization (so an emoji is one character, and "ﬁ" and "fi" are the same password);
 * - no composition rules (no "one digit, one capital");
 * - not one of the most common passwords (the shipped list, compared case-insensitively);
 * - not the account's e-mail address or its local part;
 * - not one character repeated, nor a plain run such as `1234567890` or `abcdefghij`.
 *
 * Each failure names its rule and says what to do. Pure: the list of common passwords is passed in
 * (services/login/password-hash.ts loads it once).
 */

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

export type PasswordRule = 'too_short' | 'too_long' | 'matches_email' | 'common' | 'repetitive';

export interface PasswordRejection {
  rule: PasswordRule;
  message: string;
}

/** What hashing and verifying see: NFKC, as NIST recommends, so equivalent spellings verify alike. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** The length rules count code points, not UTF-16 units. */
export function passwordLength(password: string): number {
  let count = 0;
  for (const _ of normalizePassword(password)) count++;
  return count;
}

/**
 * The common-password list as shipped (`data/common-passwords.txt`): one password a line, lines
 * starting with `# ` are comments. Lower-cased, because the comparison ignores case.
 */
export function parseCommonPasswords(text: string): Set<string> {
  const set = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('# ')) continue;
    set.add(normalizePassword(line).toLowerCase());
  }
  return set;
}

/** The first rule the password breaks, or null when it is acceptable. */
export function checkPassword(
  password: string,
  context: { email?: string | null | undefined; common: ReadonlySet<string> },
): PasswordRejection | null {
  const normalized = normalizePassword(password);
  const length = passwordLength(normalized);
  if (length < PASSWORD_MIN_LENGTH) {
    return {
      rule: 'too_short',
      message: `Password must be at least ${PASSWORD_MIN_LENGTH} characters long (this one has ${length}). A few unrelated words make a long password that is easy to remember.`,
    };
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return {
      rule: 'too_long',
      message: `Password must be at most ${PASSWORD_MAX_LENGTH} characters long (this one has ${length}).`,
    };
  }
  const folded = normalized.toLowerCase();
  const email = context.email?.trim().toLowerCase();
  if (email && (folded === email || folded === email.split('@')[0])) {
    return { rule: 'matches_email', message: 'Password must not be your e-mail address or the part of it before the @.' };
  }
  if (context.common.has(folded)) {
    return {
      rule: 'common',
      message: 'This password is one of the most commonly used passwords, which attackers try first. Choose another one.',
    };
  }
  if (isRepetitive(folded)) {
    return {
      rule: 'repetitive',
      message: 'Password must not be one character repeated or a plain sequence such as 1234567890 or abcdefghij.',
    };
  }
  return null;
}

/** One character repeated (`aaaaaaaaaa`), or every step up or down by one (`0123456789`, `kjihgfedcb`). */
function isRepetitive(password: string): boolean {
  const points = Array.from(password, (c) => c.codePointAt(0) ?? 0);
  const first = points[0];
  const second = points[1];
  if (first === undefined || second === undefined) return false;
  const step = second - first;
  if (step !== 0 && step !== 1 && step !== -1) return false;
  return points.every((point, i) => i === 0 || point - (points[i - 1] ?? 0) === step);
}
