/**
 * Secrets Gatehouse must use again later (an identity provider's OIDC client secret), sealed with
 * the server key: AES-256-GCM under a key derived from the server secret with HKDF-SHA-256.
 *
 * A sealed value reads `gsb1.<key id>.<iv>.<ciphertext and tag>` (base64url parts), so it names the
 * server key that sealed it: after `GATEHOUSE_SECRET` is rotated (new key first, old one kept
 * after it), values sealed under the old key still open, and new ones are sealed under the new
 * key. Each value is bound to its context (e.g. the provider id) as associated data, so a sealed
 * secret copied into another row of the database does not open there. A copy of the database
 * alone opens nothing.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ServerKey } from './tokens.js';

const VERSION = 'gsb1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed values are stored in JSON columns; secrets longer than this are not client secrets. */
export const MAX_SECRET_LENGTH = 4096;

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

function boxKey(key: ServerKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key.secret, Buffer.from('gatehouse secret box', 'utf8'), 'aes-256-gcm v1', 32));
}

/** Seals `plaintext` under the newest server key, bound to `context`. */
export function sealSecret(plaintext: string, keys: readonly ServerKey[], context: string): string {
  const key = keys[0];
  if (!key) throw new SecretBoxError('no server key configured');
  if (plaintext.length > MAX_SECRET_LENGTH) throw new SecretBoxError('secret too long');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', boxKey(key), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(`${VERSION}\0${key.id}\0${context}`, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${key.id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/**
 * Opens a value sealed by `sealSecret` with the same context. Throws SecretBoxError when the
 * value is malformed, was sealed under a key this server no longer has, or was altered or moved.
 * The message never contains the secret.
 */
export function openSecret(sealed: string, keys: readonly ServerKey[], context: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError('not a sealed secret');
  const [, keyId, ivText, bodyText] = parts as [string, string, string, string];
  const key = keys.find((k) => k.id === keyId);
  if (!key) throw new SecretBoxError(`sealed under server key ${keyId}, which is not configured`);
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('not a sealed secret');
  try {
    const decipher = createDecipheriv('aes-256-gcm', boxKey(key), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`${VERSION}\0${key.id}\0${context}`, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError('sealed secret does not open: altered, or sealed for something else');
  }
}
