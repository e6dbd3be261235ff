/**
 * The password rules (src/model/passwords.ts): length over composition, counted in code points
 * after NFKC; the shipped common-password list, case-insensitively; not the e-mail address; not a
 * repeated character or a plain run. Each rejection names its rule and says what to do.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkPassword,
  normalizePassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  parseCommonPasswords,
  passwordLength,
} from '../../src/model/passwords.js';

const COMMON = parseCommonPasswords(readFileSync(new URL('../../data/common-passwords.txt', import.meta.url), 'utf8'));
const none: ReadonlySet<string> = new Set();

function rule(password: string, email?: string, common: ReadonlySet<string> = COMMON): string | null {
  return checkPassword(password, { email, common })?.rule ?? null;
}

describe('length', () => {
  it(`accepts exactly ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters, refuses one fewer or one more`, () => {
    expect(PASSWORD_MIN_LENGTH).toBe(10);
    expect(PASSWORD_MAX_LENGTH).toBe(128);
    const word = 'tumbleweed-orchard-lantern-quiet-'.repeat(4);
    expect(rule(word.slice(0, 9), undefined, none)).toBe('too_short');
    expect(rule(word.slice(0, 10), undefined, none)).toBeNull();
    expect(rule(word.repeat(2).slice(0, 128), undefined, none)).toBeNull();
    expect(rule(word.repeat(2).slice(0, 129), undefined, none)).toBe('too_long');
  });

  it('counts code points, not UTF-16 units: ten emoji are ten characters, nine are too few', () => {
    const ten = '🦊🐙🦉🐝🦋🐢🦔🐳🦩🐌';
    expect(ten.length).toBe(20);
    expect(passwordLength(ten)).toBe(10);
    expect(rule(ten)).toBeNull();
    const nine = Array.from(ten).slice(0, 9).join('');
    expect(checkPassword(nine, { common: none })).toEqual({ rule: 'too_short', message: expect.stringContaining('has 9') });
  });

  it('counts after NFKC: a ligature is two characters, as its spelled-out form', () => {
    expect(normalizePassword('ﬁ')).toBe('fi');
    expect(passwordLength('ﬁﬁﬁﬁﬁ')).toBe(10);
    // Combining sequences compose: "e" + U+0301 is one character after NFKC.
    expect(passwordLength('e\u0301'.repeat(10))).toBe(10);
    expect(normalizePassword('e\u0301')).toBe('\u00e9');
  });

  it('the message gives the length and a way out', () => {
    const rejection = checkPassword('short', { common: none });
    expect(rejection?.rule).toBe('too_short');
    expect(rejection?.message).toContain(`at least ${PASSWORD_MIN_LENGTH} characters`);
    expect(rejection?.message).toContain('this one has 5');
  });
});

describe('no composition rules', () => {
  it('accepts all lower-case words, and all digits that are not a run', () => {
    expect(rule('correct horse battery staple')).toBeNull();
    expect(rule('8264917305')).toBeNull();
  });
});

describe('the common-password list', () => {
  it('parses the shipped list: comments skipped, entries lower-cased', () => {
    expect(COMMON.size).toBeGreaterThanOrEqual(9_000);
    expect(COMMON.has('password')).toBe(true);
    expect([...COMMON].some((p) => p.startsWith('# '))).toBe(false);
    expect(parseCommonPasswords('# a comment\n\nHunter2Hunter2\r\nqwertyuiop\n')).toEqual(
      new Set(['hunter2hunter2', 'qwertyuiop']),
    );
  });

  it('refuses a listed password whatever its case, and says why', () => {
    const listed = [...COMMON].find((p) => passwordLength(p) >= PASSWORD_MIN_LENGTH && /[a-z]/.test(p) && !isRun(p));
    if (!listed) throw new Error('the shipped list has no long alphabetic password');
    expect(rule(listed)).toBe('common');
    expect(rule(listed.toUpperCase())).toBe('common');
    expect(checkPassword(listed, { common: COMMON })?.message).toMatch(/most commonly used/);
  });

  it('refuses only what the list holds', () => {
    const list = new Set(['letmeinplease']);
    expect(rule('letmeinplease', undefined, list)).toBe('common');
    expect(rule('letmeinplease', undefined, none)).toBeNull();
  });
});

describe('the e-mail address', () => {
  it('refuses the address and its local part, whatever the case or surrounding space of the address', () => {
    expect(rule('ada.lovelace@example.org', 'ada.lovelace@example.org', none)).toBe('matches_email');
    expect(rule('Ada.Lovelace', ' ADA.lovelace@Example.org ', none)).toBe('matches_email');
    expect(rule('ada.lovelace2', 'ada.lovelace@example.org', none)).toBeNull();
  });

  it('without an address the rule does not apply', () => {
    expect(rule('ada.lovelace', undefined, none)).toBeNull();
    expect(checkPassword('ada.lovelace', { email: null, common: none })).toBeNull();
  });
});

describe('repetition and runs', () => {
  it.each([
    ['one character repeated', 'aaaaaaaaaaaa'],
    ['a run of digits up', '0123456789'],
    ['a run of digits down', '9876543210'],
    ['a run of letters up', 'abcdefghijk'],
    ['a run of letters down, any case', 'KJIHGFEDCB'],
  ])('refuses %s', (_, password) => {
    expect(rule(password, undefined, none)).toBe('repetitive');
  });

  it.each([
    ['a run with one break', '0123456780'],
    ['two repeated characters', 'abababababab'],
    ['a stride of two', 'acegikmoqs'],
  ])('accepts %s', (_, password) => {
    expect(rule(password, undefined, none)).toBeNull();
  });
});

describe('order of the rules', () => {
  it('reports the first rule broken: length before e-mail, e-mail before the list, the list before runs', () => {
    expect(rule('abc', 'abc@example.org', new Set(['abc']))).toBe('too_short');
    expect(rule('abcdefghij', 'abcdefghij@example.org', new Set(['abcdefghij']))).toBe('matches_email');
    expect(rule('abcdefghij', undefined, new Set(['abcdefghij']))).toBe('common');
    expect(rule('abcdefghij', undefined, none)).toBe('repetitive');
  });
});

function isRun(p: string): boolean {
  return checkPassword(p, { common: none })?.rule === 'repetitive';
}
