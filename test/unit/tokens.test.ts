/**
 * The token format (model/tokens.ts): what a token looks like, why a typo never reaches the
 * database, and how secrets are kept at rest.
 */
import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

// Wrap timingSafeEqual so the test can see that digest comparison goes through it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const {
  digestToken,
  digestsEqual,
  generateServerSecret,
  generateToken,
  keyId,
  parseServerSecrets,
  parseToken,
  tokenHint,
  tokenPrefix,
} = await import('../../src/model/tokens.js');
const { AuthService } = await import('../../src/services/auth.js');
const { DEFAULT_IDENTITY } = await import('../../src/services/context.js');

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SHAPE = /^gth_(robot|user)_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;
const COUNT = 10_000;

const tokens = Array.from({ length: COUNT }, (_, i) => generateToken(i % 2 === 0 ? 'robot' : 'user'));

function decodeBase62(text: string): bigint {
  let value = 0n;
  for (const ch of text) value = value * 62n + BigInt(ALPHABET.indexOf(ch));
  return value;
}

describe('generated tokens', () => {
  it(`${COUNT} tokens have the kind prefix, a 43-character body and a 6-character checksum`, () => {
    for (const [i, token] of tokens.entries()) {
      const kind = i % 2 === 0 ? 'robot' : 'user';
      expect(token.startsWith(tokenPrefix(kind))).toBe(true);
      expect(token).toMatch(SHAPE);
    }
    expect(tokenPrefix('robot')).toBe('gth_robot_');
    expect(tokenPrefix('user')).toBe('gth_user_');
  });

  it('are all different', () => {
    expect(new Set(tokens).size).toBe(COUNT);
  });

  it('carry at least 256 random bits: the body can hold 2^256 values and every one of the 256 bits varies', () => {
    expect(62n ** 43n >= 2n ** 256n).toBe(true);
    const ones = new Array<number>(256).fill(0);
    for (const token of tokens) {
      const body = SHAPE.exec(token)?.[2] as string;
      const value = decodeBase62(body);
      expect(value < 2n ** 256n).toBe(true);
      for (let bit = 0; bit < 256; bit++) if ((value >> BigInt(bit)) & 1n) ones[bit] = (ones[bit] as number) + 1;
    }
    // Each bit is a fair coin: with 10⁴ samples, 50% ± 5% is more than 10 standard deviations wide.
    for (const count of ones) {
      expect(count).toBeGreaterThan(COUNT * 0.45);
      expect(count).toBeLessThan(COUNT * 0.55);
    }
  });

  it('pass their own checksum and name their kind', () => {
    for (const [i, token] of tokens.entries()) {
      expect(parseToken(token)).toEqual({ ok: true, kind: i % 2 === 0 ? 'robot' : 'user' });
    }
  });

  it('show their last four characters as the hint', () => {
    const token = tokens[0] as string;
    expect(tokenHint(token)).toBe(token.slice(-4));
    expect(tokenHint(token)).toHaveLength(4);
  });
});

describe('a mistyped or truncated token is rejected by parseToken, before any lookup', () => {
  it('every single-character change fails, at every position', () => {
    let checked = 0;
    for (const [n, token] of tokens.entries()) {
      for (let i = 0; i < token.length; i++) {
        // A different character from the token alphabet (the hardest case: still base62).
        const original = token[i] as string;
        const index = ALPHABET.indexOf(original);
        const replacement = ALPHABET[(index + 1 + ((n + i) % 61)) % 62] as string;
        const changed = token.slice(0, i) + (replacement === original ? '_' : replacement) + token.slice(i + 1);
        const parsed = parseToken(changed);
        if (parsed.ok) throw new Error(`changing position ${i} of ${token} to ${changed} was accepted`);
        checked++;
      }
    }
    expect(checked).toBe(tokens.reduce((sum, t) => sum + t.length, 0));
  });

  it('every truncation and every extension fails', () => {
    for (const token of tokens.slice(0, 1000)) {
      for (let length = 0; length < token.length; length++) expect(parseToken(token.slice(0, length)).ok).toBe(false);
      expect(parseToken(`${token}0`).ok).toBe(false);
      expect(parseToken(` ${token}`).ok).toBe(false);
    }
  });

  it('the reason names what is wrong', () => {
    const token = tokens[0] as string;
    expect(parseToken('ghp_abc')).toEqual({ ok: false, problem: expect.stringContaining('gth_') });
    expect(parseToken(token.replace('robot', 'robbo'))).toEqual({ ok: false, problem: expect.stringContaining('kind') });
    expect(parseToken(token.slice(0, -3))).toEqual({ ok: false, problem: expect.stringContaining('length') });
    const last = token.at(-1) === '0' ? '1' : '0';
    expect(parseToken(token.slice(0, -1) + last)).toEqual({ ok: false, problem: expect.stringContaining('checksum') });
  });

  it('authentication refuses such a token without touching the database', async () => {
    const touched: string[] = [];
    const db = new Proxy(
      {},
      {
        get(_target, property) {
          touched.push(String(property));
          throw new Error(`the database was touched (${String(property)})`);
        },
      },
    );
    const [key] = parseServerSecrets(generateServerSecret());
    const auth = new AuthService({
      db: db as never,
      keys: [key as never],
      now: () => new Date(),
      lastUsedWriteIntervalMs: 0,
      identity: DEFAULT_IDENTITY,
      baseUrl: () => 'http://127.0.0.1',
    });
    const token = tokens[0] as string;
    for (const bad of [token.slice(0, -1), `${token.slice(0, -1)}${token.at(-1) === 'a' ? 'b' : 'a'}`, 'not-a-token']) {
      await expect(auth.authenticate(bad, '127.0.0.1')).rejects.toMatchObject({
        status: 401,
        message: 'Session not found',
        reason: { code: 'invalid_token' },
      });
    }
    expect(touched).toEqual([]);
  });
});

describe('at rest: keyed digests', () => {
  const [keyA, keyB] = parseServerSecrets(`${generateServerSecret()},${generateServerSecret()}`) as [
    ReturnType<typeof parseServerSecrets>[number],
    ReturnType<typeof parseServerSecrets>[number],
  ];

  it('the digest depends on the key, is stable for one key, and differs per token', () => {
    const token = tokens[0] as string;
    expect(digestToken(token, keyA)).toBe(digestToken(token, keyA));
    expect(digestToken(token, keyA)).not.toBe(digestToken(token, keyB));
    const digests = new Set(tokens.slice(0, 1000).map((t) => digestToken(t, keyA)));
    expect(digests.size).toBe(1000);
  });

  it('the digest is an HMAC-SHA-256 and contains nothing of the token', () => {
    const token = tokens[1] as string;
    const digest = digestToken(token, keyA);
    expect(digest).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digest).toBe(crypto.createHmac('sha256', keyA.secret).update(token).digest('base64url'));
    expect(digest).not.toContain(token.slice(10, 20));
  });

  it('key ids are stable, distinct per secret, and reveal nothing of the secret', () => {
    const secret = generateServerSecret();
    expect(keyId(secret)).toBe(keyId(secret));
    expect(keyId(secret)).toMatch(/^[0-9a-f]{8}$/);
    expect(parseServerSecrets(secret)[0]?.id).toBe(keyId(secret));
    expect(parseServerSecrets(` ${secret} , ${generateServerSecret()}`)[0]?.id).toBe(keyId(secret));
    expect(keyA.id).not.toBe(keyB.id);
    expect(secret).not.toContain(keyId(secret));
    const ids = new Set(Array.from({ length: 1000 }, () => keyId(generateServerSecret())));
    expect(ids.size).toBe(1000);
  });

  it('server secrets must be long enough', () => {
    expect(() => parseServerSecrets('')).toThrow(/empty/);
    expect(() => parseServerSecrets('short')).toThrow(/at least 32/);
    expect(() => parseServerSecrets(`${generateServerSecret()},short`)).toThrow(/entry 2/);
  });

  it('digestsEqual compares in constant time (crypto.timingSafeEqual)', () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    spy.mockClear();
    const a = digestToken(tokens[0] as string, keyA);
    const b = digestToken(tokens[1] as string, keyA);
    expect(digestsEqual(a, a)).toBe(true);
    expect(digestsEqual(a, `${a}`)).toBe(true);
    expect(digestsEqual(a, b)).toBe(false);
    // A difference in the last character only: still compared in full.
    const lastChanged = a.slice(0, -1) + (a.at(-1) === 'A' ? 'B' : 'A');
    expect(digestsEqual(a, lastChanged)).toBe(false);
    expect(spy).toHaveBeenCalledTimes(4);
    // Different lengths are unequal without a comparison (and without throwing).
    expect(digestsEqual(a, a.slice(0, -1))).toBe(false);
    expect(digestsEqual(a, '')).toBe(false);
    expect(spy).toHaveBeenCalledTimes(4);
  });
});
