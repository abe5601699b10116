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
import type { Scope } from '../ops/index.js';
import { withDatabase } from '../store/index.js';
import type { KeyStore } from './key-store.js';
import { KEY_COLUMNS, type KeyRow, TouchThrottle, keyRecord } from './key-rows.js';
import { AuthError, type KeyRecord, issueKey, nameTaken } from './keys.js';

export class PgKeyStore implements KeyStore {
  readonly location: string;
  readonly #pool: pg.Pool;
  readonly #touches = new TouchThrottle();

  /** `pool`: already migrated (the run store's, `PostgresBackend.pool`), and closed by its owner, not here. */
  constructor(pool: pg.Pool, location: string) {
    this.#pool = pool;
    this.location = location;
  }

  async create(name: string, scopes: readonly Scope[]): Promise<{ key: string; record: KeyRecord }> {
    const { key, hash, record } = issueKey(name, scopes);
    try {
      await this.#pool.query('INSERT INTO api_keys (name, hash, scopes, created) VALUES ($1, $2, $3, $4)', [name, hash, scopes.join(','), record.created]);
    } catch (e) {
      // 23505: unique_violation (an active key of that name; a hash collision of 256-bit keys does not happen).
      if ((e as { code?: string }).code === '23505') throw nameTaken(name);
      throw this.#failed('store the key in', e);
    }
    return { key, record };
  }

  async list(): Promise<KeyRecord[]> {
    try {
      return (await this.#pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY name, created`)).rows.map(keyRecord);
    } catch (e) { throw this.#failed('read the keys of', e); }
  }

  async revoke(name: string): Promise<boolean> {
    try {
      return ((await this.#pool.query('UPDATE api_keys SET revoked = $1 WHERE name = $2 AND revoked IS NULL', [Date.now() / 1000, name])).rowCount ?? 0) > 0;
    } catch (e) { throw this.#failed('revoke the key in', e); }
  }

  async find(hash: string): Promise<KeyRecord | undefined> {
    const row = (await withDatabase(() => this.#pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = $1 AND revoked IS NULL`, [hash]))).rows[0];
    if (row === undefined) return undefined;
    const now = Date.now() / 1000;
    // Best effort and not awaited: the mark never holds up or fails the request.
    if (this.#touches.due(hash, now)) this.#pool.query('UPDATE api_keys SET last_used = $1 WHERE hash = $2', [now, hash]).catch(() => undefined);
    return keyRecord(row);
  }

  /** Nothing to close: the pool is the run store's (or the command line's backend's). */
  async close(): Promise<void> {}

  #failed(what: string, e: unknown): AuthError {
    return new AuthError('AUTH_STORE_FAILED', `cannot ${what} ${this.location}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
