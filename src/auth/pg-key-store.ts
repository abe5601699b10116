/**
 * Keys in PostgreSQL (`serve --store postgres://… --auth`, `keys … --store
 * postgres://…`): table `api_keys` (migration 2). The keys are the facility's,
 * not one server's: every instance sharing the database accepts the same keys,
 * and a key revoked anywhere (the command line, any server's database) is
 * refused by every server at its next request, since each request looks the
 * key up (nothing is cached). Same rules as the SQLite store: only the
 * SHA-256 is kept, names are unique among active keys.
 * @module
 */
import type pg from 'pg';
import { SCOPES, type Scope } from '../ops/index.js';
import type { KeyStore } from './key-store.js';
import { AuthError, type KeyRecord, checkName, hashKey, newKey } from './keys.js';

interface KeyRow { name: string; scopes: string; created: number; last_used: number | null; revoked: number | null }

function record(r: KeyRow): KeyRecord {
  const words = r.scopes.split(',');
  return { name: r.name, scopes: SCOPES.filter((s) => words.includes(s)), created: r.created, lastUsed: r.last_used, revoked: r.revoked };
}

/** Marking a key used more often than this would be a write per request. */
const TOUCH_EVERY_S = 60;
const COLUMNS = 'name, scopes, created, last_used, revoked';

export class PgKeyStore implements KeyStore {
  readonly location: string;
  readonly #pool: pg.Pool;
  readonly #touched = new Map<string, number>();

  /** `pool`: already migrated (the run store's, `PostgresBackend.pool`), and closed by its owner, not here. */
  constructor(pool: pg.Pool, location: string) {
    this.#pool = pool;
    this.location = location;
  }

  async create(name: string, scopes: readonly Scope[]): Promise<{ key: string; record: KeyRecord }> {
    checkName(name);
    const key = newKey();
    const created = Date.now() / 1000;
    try {
      await this.#pool.query('INSERT INTO api_keys (name, hash, scopes, created) VALUES ($1, $2, $3, $4)', [name, hashKey(key), scopes.join(','), created]);
    } catch (e) {
      // 23505: unique_violation (an active key of that name; a hash collision of 256-bit keys does not happen).
      if ((e as { code?: string }).code === '23505') throw new AuthError('AUTH_NAME_TAKEN', `a key named '${name}' exists; revoke it first or pick another name`);
      throw this.#failed('store the key in', e);
    }
    return { key, record: { name, scopes: [...scopes], created, lastUsed: null, revoked: null } };
  }

  async list(): Promise<KeyRecord[]> {
    try {
      return (await this.#pool.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY name, created`)).rows.map(record);
    } catch (e) { throw this.#failed('read the keys of', e); }
  }

  async revoke(name: string): Promise<boolean> {
    try {
      return ((await this.#pool.query('UPDATE api_keys SET revoked = $1 WHERE name = $2 AND revoked IS NULL', [Date.now() / 1000, name])).rowCount ?? 0) > 0;
    } catch (e) { throw this.#failed('revoke the key in', e); }
  }

  async find(hash: string): Promise<KeyRecord | undefined> {
    const row = (await this.#pool.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE hash = $1 AND revoked IS NULL`, [hash])).rows[0];
    if (row === undefined) return undefined;
    const now = Date.now() / 1000;
    if (now - (this.#touched.get(hash) ?? 0) > TOUCH_EVERY_S) {
      this.#touched.set(hash, now);
      // Best effort and not awaited: the mark never holds up or fails the request.
      this.#pool.query('UPDATE api_keys SET last_used = $1 WHERE hash = $2', [now, hash]).catch(() => undefined);
    }
    return record(row);
  }

  /** Nothing to close: the pool is the run store's (or the command line's backend's). */
  async close(): Promise<void> {}

  #failed(what: string, e: unknown): AuthError {
    return new AuthError('AUTH_STORE_FAILED', `cannot ${what} ${this.location}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
