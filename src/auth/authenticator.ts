/**
 * Who is asking, for every protocol (`serve --auth`): a key from HTTP's
 * `Authorization: Bearer KEY` or v2's `auth` op; the web panel's session
 * cookie (a key exchanged once at `POST /api/login`); and protocol v1, which
 * cannot carry a key, by the address it comes from (`--v1-trusted`) with
 * fixed scopes (`--v1-scopes`). A session refers to its key, which is looked
 * up again on each use: revoking the key ends its sessions too.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { type Caller, OpError, type Scope } from '../ops/index.js';
import type { KeyStore } from './key-store.js';
import { hashKey, looksLikeKey } from './keys.js';

export const SESSION_COOKIE = 'bsd_session';
/** A panel session lasts this long (seconds), then the login form comes back. */
export const SESSION_SECONDS = 12 * 3600;
const MAX_SESSIONS = 10_000;

export interface AuthOptions {
  keys: KeyStore;
  /** What protocol v1 clients may do (default read). */
  v1Scopes?: readonly Scope[];
  /** Addresses (IPs, or `loopback`) v1 clients may connect from (default loopback only). */
  v1Trusted?: readonly string[];
}

type Protocol = Caller['protocol'];

function unauthorized(problem: string): OpError {
  return new OpError('unauthorized', { problem }, [{ path: '', message: problem, expected: 'a valid API key' }]);
}

export class Authenticator {
  readonly keys: KeyStore;
  readonly v1Scopes: ReadonlySet<Scope>;
  readonly v1Trusted: readonly string[];
  /** Session id → the key's hash and when the session ends (ms). */
  readonly #sessions = new Map<string, { hash: string; expires: number }>();

  constructor(options: AuthOptions) {
    this.keys = options.keys;
    this.v1Scopes = new Set(options.v1Scopes ?? ['read']);
    this.v1Trusted = options.v1Trusted ?? ['loopback'];
  }

  /** The caller a key names; `unauthorized` for anything else (the key is never in the message). */
  async fromKey(key: unknown, protocol: Protocol): Promise<Caller> {
    if (typeof key !== 'string' || key === '') throw unauthorized('no API key given');
    if (!looksLikeKey(key)) throw unauthorized('this is not an API key of this server (they start with bsk_)');
    return this.#byHash(hashKey(key), protocol);
  }

  async #byHash(hash: string, protocol: Protocol): Promise<Caller> {
    const record = await this.keys.find(hash);
    if (record === undefined) throw unauthorized('unknown or revoked API key');
    return Object.freeze({ name: record.name, scopes: new Set(record.scopes), protocol });
  }

  /** An HTTP request's caller: its bearer key, else its panel session, else `unauthorized`. */
  async fromHeaders(headers: IncomingHttpHeaders, protocol: Protocol = 'http'): Promise<Caller> {
    const auth = headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
      if (m === null) throw unauthorized('the Authorization header must be "Bearer KEY"');
      return this.fromKey(m[1], protocol);
    }
    const session = this.#session(headers.cookie);
    if (session !== undefined) return this.#byHash(session, protocol);
    throw unauthorized('this server needs an API key: send "Authorization: Bearer KEY" (keys: bluesky-dispatcher keys create)');
  }

  /** A websocket upgrade's caller from its panel cookie, or null (it may still send `auth`). */
  async fromCookie(headers: IncomingHttpHeaders, protocol: Protocol): Promise<Caller | null> {
    const hash = this.#session(headers.cookie);
    if (hash === undefined) return null;
    try { return await this.#byHash(hash, protocol); } catch { return null; }
  }

  /** A new panel session for `key`: the caller and the `Set-Cookie` value. */
  async login(key: unknown): Promise<{ caller: Caller; cookie: string }> {
    const caller = await this.fromKey(key, 'http');
    this.#sweep();
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { hash: hashKey(key as string), expires: Date.now() + SESSION_SECONDS * 1000 });
    // HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it.
    return { caller, cookie: `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${String(SESSION_SECONDS)}` };
  }

  /** End the request's session; the `Set-Cookie` value that clears it. */
  logout(headers: IncomingHttpHeaders): string {
    const id = cookieValue(headers.cookie, SESSION_COOKIE);
    if (id !== undefined) this.#sessions.delete(id);
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  /** The v1 caller for a connection from `address`, or null when v1 may not connect from there. */
  v1Caller(address: string | undefined): Caller | null {
    if (address === undefined || !trusted(address, this.v1Trusted)) return null;
    return Object.freeze({ name: `v1 from ${address}`, scopes: this.v1Scopes, protocol: 'v1' as const });
  }

  #session(cookie: string | undefined): string | undefined {
    const id = cookieValue(cookie, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const s = this.#sessions.get(id);
    if (s === undefined) return undefined;
    if (s.expires < Date.now()) { this.#sessions.delete(id); return undefined; }
    return s.hash;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.#sessions) if (s.expires < now) this.#sessions.delete(id);
    // A flood of logins must not grow memory without bound: the oldest sessions go first.
    while (this.#sessions.size >= MAX_SESSIONS) {
      const first = this.#sessions.keys().next().value;
      if (first === undefined) break;
      this.#sessions.delete(first);
    }
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** True when `address` is loopback (and `loopback` is listed) or listed itself (IPv4-mapped IPv6 as IPv4). */
export function trusted(address: string, list: readonly string[]): boolean {
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  const loop = a === '::1' || a.startsWith('127.');
  return list.some((t) => (t === 'loopback' ? loop : t.toLowerCase().replace(/^::ffff:/, '') === a));
}

/** `--v1-trusted` entries: `loopback` or IP addresses; throws naming a bad one. */
export function parseTrusted(text: string): string[] {
  const words = text.split(',').map((w) => w.trim()).filter((w) => w !== '');
  for (const w of words) if (w !== 'loopback' && isIP(w) === 0) throw new Error(`--v1-trusted takes 'loopback' and IP addresses, got '${w}'`);
  return words;
}
