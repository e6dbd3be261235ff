/**
 * The secret box (src/model/secret-box.ts): secrets sealed under the server key, bound to a
 * context, opened only with a configured key, the same context and unaltered bytes.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_SECRET_LENGTH, openSecret, SecretBoxError, sealSecret } from '../../src/model/secret-box.js';
import { parseServerSecrets } from '../../src/model/tokens.js';

/** A fresh server key per call: test secrets are generated per run. */
function newKeys() {
  return parseServerSecrets(randomBytes(32).toString('base64url'));
}

const SECRET = `client-secret-${randomBytes(12).toString('hex')}`;

/** Flips one bit of the base64url part `index` of a sealed value. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

function openError(run: () => unknown): SecretBoxError {
  try {
    run();
  } catch (error) {
    if (error instanceof SecretBoxError) return error;
    throw error;
  }
  throw new Error('expected the sealed value not to open');
}

describe('seal and open', () => {
  it('opens what it sealed, with the same key and context', () => {
    const keys = newKeys();
    const sealed = sealSecret(SECRET, keys, 'provider:p1');
    expect(openSecret(sealed, keys, 'provider:p1')).toBe(SECRET);
  });

  it('round-trips the empty string, non-ASCII text and the longest allowed secret', () => {
    const keys = newKeys();
    for (const value of ['', 'пароль – 密码 – 🔑', 'x'.repeat(MAX_SECRET_LENGTH)]) {
      expect(openSecret(sealSecret(value, keys, 'c'), keys, 'c')).toBe(value);
    }
  });

  it('names its format and key, and never contains the secret', () => {
    const keys = newKeys();
    const sealed = sealSecret(SECRET, keys, 'c');
    const [version, keyId] = sealed.split('.');
    expect(version).toBe('gsb1');
    expect(keyId).toBe(keys[0]?.id);
    expect(sealed.split('.')).toHaveLength(4);
    expect(sealed).not.toContain(SECRET);
    expect(sealed).not.toContain(Buffer.from(SECRET).toString('base64url'));
  });

  it('seals the same secret differently each time (a fresh IV)', () => {
    const keys = newKeys();
    expect(sealSecret(SECRET, keys, 'c')).not.toBe(sealSecret(SECRET, keys, 'c'));
  });

  it('refuses to seal without a key, or a secret over the limit', () => {
    expect(() => sealSecret(SECRET, [], 'c')).toThrow(SecretBoxError);
    expect(() => sealSecret('x'.repeat(MAX_SECRET_LENGTH + 1), newKeys(), 'c')).toThrow(/too long/);
  });
});

describe('key rotation', () => {
  it('seals under the newest key; values sealed under an older configured key still open', () => {
    const [oldKey] = newKeys();
    const [newKey] = newKeys();
    if (!oldKey || !newKey) throw new Error('no key');
    const sealedBefore = sealSecret(SECRET, [oldKey], 'c');
    const rotated = [newKey, oldKey];
    expect(openSecret(sealedBefore, rotated, 'c')).toBe(SECRET);
    const sealedAfter = sealSecret(SECRET, rotated, 'c');
    expect(sealedAfter.split('.')[1]).toBe(newKey.id);
    expect(openSecret(sealedAfter, [newKey], 'c')).toBe(SECRET);
  });
});

describe('what does not open', () => {
  it('a value sealed under a key that is not configured, naming the key but not the secret', () => {
    const sealed = sealSecret(SECRET, newKeys(), 'c');
    const error = openError(() => openSecret(sealed, newKeys(), 'c'));
    expect(error.message).toContain(sealed.split('.')[1]);
    expect(error.message).not.toContain(SECRET);
  });

  it('a value under a key with the right id but other bytes (a wrong key)', () => {
    const [key] = newKeys();
    const [other] = newKeys();
    if (!key || !other) throw new Error('no key');
    const sealed = sealSecret(SECRET, [key], 'c');
    const impostor = { id: key.id, secret: other.secret };
    expect(openError(() => openSecret(sealed, [impostor], 'c')).message).toMatch(/does not open/);
  });

  it('a value moved to another context', () => {
    const keys = newKeys();
    const sealed = sealSecret(SECRET, keys, 'provider:p1');
    expect(() => openSecret(sealed, keys, 'provider:p2')).toThrow(SecretBoxError);
    expect(() => openSecret(sealed, keys, '')).toThrow(SecretBoxError);
  });

  it('a value with any bit of its IV or its ciphertext and tag flipped', () => {
    const keys = newKeys();
    const sealed = sealSecret(SECRET, keys, 'c');
    expect(() => openSecret(tamper(sealed, 2), keys, 'c')).toThrow(SecretBoxError);
    expect(() => openSecret(tamper(sealed, 3), keys, 'c')).toThrow(SecretBoxError);
    // The last byte is part of the authentication tag.
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0x80;
    parts[3] = body.toString('base64url');
    expect(() => openSecret(parts.join('.'), keys, 'c')).toThrow(SecretBoxError);
  });

  it('a value whose key id was rewritten to another configured key', () => {
    const [a] = newKeys();
    const [b] = newKeys();
    if (!a || !b) throw new Error('no key');
    const sealed = sealSecret(SECRET, [a], 'c');
    const relabelled = sealed.replace(`.${a.id}.`, `.${b.id}.`);
    expect(() => openSecret(relabelled, [a, b], 'c')).toThrow(SecretBoxError);
  });

  it.each([
    ['plain text', 'not sealed'],
    ['another version', 'gsb2.abcdef12.AAAA.AAAA'],
    ['too few parts', 'gsb1.abcdef12.AAAA'],
    ['a short IV', 'gsb1.KEY.AAAA.AAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a body shorter than the tag', 'gsb1.KEY.AAAAAAAAAAAAAAAA.AAAA'],
  ])('a malformed value (%s), with a SecretBoxError', (_, value) => {
    const keys = newKeys();
    const sealed = value.replace('KEY', keys[0]?.id ?? '');
    expect(openError(() => openSecret(sealed, keys, 'c'))).toBeInstanceOf(SecretBoxError);
  });
});
