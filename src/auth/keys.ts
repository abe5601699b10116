/**
 * API keys: what a key looks like, how it is stored, and who it names.
 *
 * A key is `bsk_` and 32 random bytes in base64url (256 bits). Only its
 * SHA-256 is stored. A slow password hash (scrypt, argon2) exists to make
 * guessing a *low-entropy* secret expensive; a 256-bit random secret cannot be
 * guessed however fast the hash, so scrypt would only add tens of
 * milliseconds to every request (and stop us from finding the key by its
 * hash with one index lookup). A stolen database therefore yields no usable
 * key, and a key is checked in microseconds. (GitHub's tokens and Tiled's API
 * keys are stored the same way.)
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCOPES, type Scope } from '../ops/index.js';

export const KEY_PREFIX = 'bsk_';
const KEY_FORMAT = /^bsk_[A-Za-z0-9_-]{43}$/;

/** A key's name: what `keys list`, the audit log and the logs show (never the key). */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export interface KeyRecord {
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Seconds since the epoch. */
  readonly created: number;
  readonly lastUsed: number | null;
  /** When it was revoked (it then authenticates nothing), or null. */
  readonly revoked: number | null;
}

/** A new secret key (shown once, never stored). */
export function newKey(): string { return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`; }

/** True when `key` has a key's shape (anything else is refused without a lookup). */
export function looksLikeKey(key: string): boolean { return KEY_FORMAT.test(key); }

/** What is stored for a key: SHA-256, hex. */
export function hashKey(key: string): string { return createHash('sha256').update(key, 'utf8').digest('hex'); }

/** Compare two stored hashes in constant time (a lookup by hash already matched; this guards a cache). */
export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** `read,control` → scopes; throws naming the bad word. */
export function parseScopes(text: string): Scope[] {
  const words = text.split(',').map((w) => w.trim()).filter((w) => w !== '');
  const bad = words.filter((w) => !(SCOPES as readonly string[]).includes(w));
  if (bad.length > 0) throw new AuthError('AUTH_BAD_SCOPES', `unknown scope${bad.length === 1 ? '' : 's'} ${bad.map((b) => `'${b}'`).join(', ')}; expected a comma-separated list of ${SCOPES.join(', ')}`);
  if (words.length === 0) throw new AuthError('AUTH_BAD_SCOPES', `no scopes given; expected a comma-separated list of ${SCOPES.join(', ')}`);
  return SCOPES.filter((s) => words.includes(s));
}

export type AuthErrorCode = 'AUTH_BAD_SCOPES' | 'AUTH_BAD_NAME' | 'AUTH_NAME_TAKEN' | 'AUTH_UNKNOWN_KEY' | 'AUTH_STORE_FAILED';

/** A key store or CLI problem (one line, for the command line). */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.name = 'AuthError';
    this.code = code;
  }
}

/** A new key named `name` (checked): the secret (shown once), its hash (stored) and its record. */
export function issueKey(name: string, scopes: readonly Scope[]): { key: string; hash: string; record: KeyRecord } {
  checkName(name);
  const key = newKey();
  return { key, hash: hashKey(key), record: { name, scopes: [...scopes], created: Date.now() / 1000, lastUsed: null, revoked: null } };
}

/** `create` of a name an active key has (every store says it the same way). */
export function nameTaken(name: string): AuthError {
  return new AuthError('AUTH_NAME_TAKEN', `a key named '${name}' exists; revoke it first or pick another name`);
}

export function checkName(name: string): void {
  if (!KEY_NAME.test(name)) throw new AuthError('AUTH_BAD_NAME', `a key name is 1-64 letters, digits and _ . @ - (starting with a letter or digit), got '${name.slice(0, 80)}'`);
}
