/**
 * Bearer token format. Pure functions: no I/O, no clock, no database.
 *
 *   gth_robot_<43 base62 chars: 256 random bits><6 base62 chars: CRC-32 of everything before>
 *   gth_user_<…same…>
 *
 * Why this shape:
 * - The prefix names the principal kind, so a human or a secret scanner can tell a robot token
 *   from a personal one, and so a leaked token can be attributed to this product at all.
 * - 256 bits from the CSPRNG: no guessing, and no need for a slow KDF — a keyed digest suffices.
 * - The checksum rejects a mistyped or truncated token before any database lookup, and lets
 *   scanners check candidates offline (the GitHub token format does the same).
 * - Base62 only: a double click selects the whole token.
 *
 * At rest a token is only its keyed digest, HMAC-SHA-256(pepper, token). The pepper lives outside
 * the database, so a dump holds nothing that authenticates. Each digest records the id of the key
 * that made it, so the pepper can be rotated: old keys keep verifying until their tokens are gone.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const TOKEN_KINDS = ['robot', 'user'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

const PREFIX = 'gth_';
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECKSUM_LENGTH = 6; // 62^6 > 2^32
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE62 = /^[0-9A-Za-z]+$/;

export function tokenPrefix(kind: TokenKind): string {
  return `${PREFIX}${kind}_`;
}

function base62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(width, '0');
}

function checksum(text: string): string {
  return base62(BigInt(crc32(text)), CHECKSUM_LENGTH);
}

/**
 * A new secret with this prefix: 256 random bits in base62 and a CRC-32 checksum of everything
 * before it. Tokens and invitation tokens share the shape.
 */
export function generateSecret(prefix: string): string {
  const head = prefix + base62(BigInt(`0x${randomBytes(32).toString('hex')}`), BODY_LENGTH);
  return head + checksum(head);
}

/** Whether the last characters of a secret are the checksum of the rest (no lookup needed). */
export function hasValidChecksum(secret: string): boolean {
  return secret.length > CHECKSUM_LENGTH && checksum(secret.slice(0, -CHECKSUM_LENGTH)) === secret.slice(-CHECKSUM_LENGTH);
}

/** A new secret of the given kind. Shown to its owner once, then only its digest is kept. */
export function generateToken(kind: TokenKind): string {
  return generateSecret(tokenPrefix(kind));
}

export type ParsedToken = { ok: true; kind: TokenKind } | { ok: false; problem: string };

/**
 * Checks the shape and checksum of a presented token. Cheap, constant work, no lookup: anything
 * that fails here was never issued by a Gatehouse server.
 */
export function parseToken(token: string): ParsedToken {
  if (!token.startsWith(PREFIX)) return { ok: false, problem: 'it does not start with gth_' };
  const kindEnd = token.indexOf('_', PREFIX.length);
  const kind = token.slice(PREFIX.length, kindEnd) as TokenKind;
  if (kindEnd < 0 || !TOKEN_KINDS.includes(kind)) return { ok: false, problem: 'its kind is unknown' };
  const rest = token.slice(kindEnd + 1);
  if (rest.length !== BODY_LENGTH + CHECKSUM_LENGTH || !BASE62.test(rest)) {
    return { ok: false, problem: 'it has the wrong length (truncated or padded?)' };
  }
  if (!hasValidChecksum(token)) {
    return { ok: false, problem: 'its checksum does not match (mistyped?)' };
  }
  return { ok: true, kind };
}

/** The last characters shown in listings so owners can tell their tokens apart. */
export function tokenHint(token: string): string {
  return token.slice(-4);
}

// ---------------------------------------------------------------------------------------------
// Server keys (the pepper)

export interface ServerKey {
  /** Public, stable identifier derived from the secret; stored beside each digest. */
  id: string;
  secret: Buffer;
}

const MIN_SECRET_LENGTH = 32;

/** Parses GATEHOUSE_SECRET: one or more secrets separated by commas, newest first. */
export function parseServerSecrets(text: string): ServerKey[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) throw new Error('is empty');
  return parts.map((part, index) => {
    if (part.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `entry ${index + 1} is ${part.length} characters; use at least ${MIN_SECRET_LENGTH} random characters (openssl rand -base64 32)`,
      );
    }
    return { id: keyId(part), secret: Buffer.from(part, 'utf8') };
  });
}

export function keyId(secret: string): string {
  return createHash('sha256').update(`gatehouse key id\0${secret}`).digest('hex').slice(0, 8);
}

export function generateServerSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The keyed digest stored in place of a token. */
export function digestToken(token: string, key: ServerKey): string {
  return createHmac('sha256', key.secret).update(token).digest('base64url');
}

/** Constant-time comparison of two digests (equal length base64url strings). */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
