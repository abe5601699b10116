/**
 * Keys in the data directory's SQLite database (`DIR/bluesky.sqlite`, the run
 * store's file), in a table of their own on a connection of their own: the
 * run store's schema and connection are untouched, and `keys create` from the
 * command line works while the server runs (WAL: readers never wait). The
 * server looks a key up on every request, so a revocation from the command
 * line takes effect at the next request.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import type { Scope } from '../ops/index.js';
import { DB_FILE, openSideConnection, withDatabase } from '../store/index.js';
import type { KeyStore } from './key-store.js';
import { KEY_COLUMNS, type KeyRow, TouchThrottle, keyRecord } from './key-rows.js';
import { AuthError, type KeyRecord, issueKey, nameTaken } from './keys.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id        INTEGER PRIMARY KEY,
  name      TEXT NOT NULL,
  hash      TEXT NOT NULL UNIQUE,   -- SHA-256 of the key, hex (the key itself is never stored)
  scopes    TEXT NOT NULL,          -- comma-separated
  created   REAL NOT NULL,          -- s since the epoch
  last_used REAL,
  revoked   REAL                    -- NULL while active
);
CREATE UNIQUE INDEX IF NOT EXISTS api_keys_active_name ON api_keys (name) WHERE revoked IS NULL;
`;

export class SqliteKeyStore implements KeyStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #find: Database.Statement<[string], KeyRow>;
  readonly #touch: Database.Statement<[number, string]>;
  readonly #touches = new TouchThrottle();

  private constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.path = path;
    this.#find = db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = ? AND revoked IS NULL`);
    this.#touch = db.prepare<[number, string]>('UPDATE api_keys SET last_used = ? WHERE hash = ?');
  }

  /**
   * The key table in data directory `dir` (created, with the directory, if needed).
   * `server`: the server's connection, which must never wait on the file's write lock (a busy
   * lock only skips the last-used mark); the command line's waits up to 5 s. `durability` as
   * `serve --durability` (a key's last-used mark is written on the server's thread).
   */
  static open(dir: string, options: { server?: boolean; durability?: 'normal' | 'full' } = {}): SqliteKeyStore {
    const abs = resolve(dir);
    const path = join(abs, DB_FILE);
    let db: Database.Database;
    try {
      mkdirSync(abs, { recursive: true });
      db = openSideConnection(path, { busyTimeoutMs: options.server === true ? 0 : 5000, ...(options.durability === undefined ? {} : { durability: options.durability }) });
      db.exec(SCHEMA);
    } catch (e) {
      throw new AuthError('AUTH_STORE_FAILED', `cannot open the key table in ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return new SqliteKeyStore(db, path);
  }

  async create(name: string, scopes: readonly Scope[]): Promise<{ key: string; record: KeyRecord }> {
    const { key, hash, record } = issueKey(name, scopes);
    try {
      this.#db.prepare('INSERT INTO api_keys (name, hash, scopes, created) VALUES (?, ?, ?, ?)').run(name, hash, scopes.join(','), record.created);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw nameTaken(name);
      throw new AuthError('AUTH_STORE_FAILED', `cannot store the key in ${this.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { key, record };
  }

  async list(): Promise<KeyRecord[]> {
    return this.#db.prepare<[], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY name, created`).all().map(keyRecord);
  }

  async revoke(name: string): Promise<boolean> {
    return this.#db.prepare('UPDATE api_keys SET revoked = ? WHERE name = ? AND revoked IS NULL').run(Date.now() / 1000, name).changes > 0;
  }

  async find(hash: string): Promise<KeyRecord | undefined> {
    const row = await withDatabase(() => this.#find.get(hash));
    if (row === undefined) return undefined;
    const now = Date.now() / 1000;
    if (this.#touches.due(hash, now)) {
      // Best effort: a write lock held by the run store (or a CLI) skips the mark, never the request.
      try { this.#touch.run(now, hash); } catch { /* SQLITE_BUSY */ }
    }
    return keyRecord(row);
  }

  async close(): Promise<void> { this.#db.close(); }
}
