/**
 * Password hashing and the common-passwords list (services/login/password.ts uses both).
 *
 * Passwords are hashed with argon2id (`@node-rs/argon2`, its defaults: 19 MiB, 2 passes, 1 lane)
 * on libuv's thread pool, never on the event loop, after NFKC normalization (model/passwords.ts).
 */
import { readFile } from 'node:fs/promises';
import { normalizePassword, parseCommonPasswords } from '../../model/passwords.js';
import { packagePath } from '../../paths.js';

const COMMON_PASSWORDS_FILE = packagePath('data/common-passwords.txt');
let commonPasswords: Promise<ReadonlySet<string>> | undefined;

/** The shipped list of common passwords, read once, on first use. */
export function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  commonPasswords ??= readFile(COMMON_PASSWORDS_FILE, 'utf8').then(parseCommonPasswords, (error: unknown) => {
    commonPasswords = undefined;
    throw error;
  });
  return commonPasswords;
}

/** The argon2 binding, loaded by the first password operation (most requests never need it). */
const argon2 = () => import('@node-rs/argon2');

/** argon2id with the library's defaults, of the NFKC-normalized password. */
export async function hashPassword(password: string): Promise<string> {
  return (await argon2()).hash(normalizePassword(password));
}

/** False for a wrong password and for a hash that cannot be read (never an exception). */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  const { verify } = await argon2();
  try {
    return await verify(passwordHash, normalizePassword(password));
  } catch {
    return false;
  }
}
