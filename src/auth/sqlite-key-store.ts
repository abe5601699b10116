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
import Database from 'better-sqlite3';
import { SCOPES, type Scope } from '../ops/index.js';
import { DB_FILE } from '../store/index.js';
import type { KeyStore } from './key-store.js';
import { AuthError, type KeyRecord, checkName, hashKey, newKey } from './keys.js';

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

interface KeyRow { name: string; scopes: string; created: number; last_used: number | null; revoked: number | null }

function record(r: KeyRow): KeyRecord {
  const words = r.scopes.split(',');
  return { name: r.name, scopes: SCOPES.filter((s) => words.includes(s)), created: r.created, lastUsed: r.last_used, revoked: r.revoked };
}

/** Marking a key used more often than this would be a write per request. */
const TOUCH_EVERY_S = 60;

export class SqliteKeyStore implements KeyStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #find: Database.Statement<[string], KeyRow>;
  readonly #touch: Database.Statement<[number, string]>;
  readonly #touched = new Map<string, number>();

  private constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.path = path;
    this.#find = db.prepare<[string], KeyRow>('SELECT name, scopes, created, last_used, revoked FROM api_keys WHERE hash = ? AND revoked IS NULL');
    this.#touch = db.prepare<[number, string]>('UPDATE api_keys SET last_used = ? WHERE hash = ?');
  }

  /**
   * The key table in data directory `dir` (created, with the directory, if needed).
   * `server`: the server's connection, which must never wait on the file's write lock (a busy
   * lock only skips the last-used mark); the command line's waits up to 5 s.
   */
  static open(dir: string, options: { server?: boolean } = {}): SqliteKeyStore {
    const abs = resolve(dir);
    const path = join(abs, DB_FILE);
    let db: Database.Database;
    try {
      mkdirSync(abs, { recursive: true });
      db = new Database(path, { timeout: options.server === true ? 0 : 5000 });
      db.pragma('journal_mode = WAL');
      db.exec(SCHEMA);
    } catch (e) {
      throw new AuthError('AUTH_STORE_FAILED', `cannot open the key table in ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return new SqliteKeyStore(db, path);
  }

  async create(name: string, scopes: readonly Scope[]): Promise<{ key: string; record: KeyRecord }> {
    checkName(name);
    const key = newKey();
    const created = Date.now() / 1000;
    try {
      this.#db.prepare('INSERT INTO api_keys (name, hash, scopes, created) VALUES (?, ?, ?, ?)').run(name, hashKey(key), scopes.join(','), created);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AuthError('AUTH_NAME_TAKEN', `a key named '${name}' exists; revoke it first or pick another name`);
      throw new AuthError('AUTH_STORE_FAILED', `cannot store the key in ${this.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { key, record: { name, scopes: [...scopes], created, lastUsed: null, revoked: null } };
  }

  async list(): Promise<KeyRecord[]> {
    return this.#db.prepare<[], KeyRow>('SELECT name, scopes, created, last_used, revoked FROM api_keys ORDER BY name, created').all().map(record);
  }

  async revoke(name: string): Promise<boolean> {
    return this.#db.prepare('UPDATE api_keys SET revoked = ? WHERE name = ? AND revoked IS NULL').run(Date.now() / 1000, name).changes > 0;
  }

  async find(hash: string): Promise<KeyRecord | undefined> {
    const row = this.#find.get(hash);
    if (row === undefined) return undefined;
    const now = Date.now() / 1000;
    if (now - (this.#touched.get(hash) ?? 0) > TOUCH_EVERY_S) {
      this.#touched.set(hash, now);
      // Best effort: a write lock held by the run store (or a CLI) skips the mark, never the request.
      try { this.#touch.run(now, hash); } catch { /* SQLITE_BUSY */ }
    }
    return record(row);
  }

  async close(): Promise<void> { this.#db.close(); }
}
