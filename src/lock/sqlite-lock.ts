/** The control lock kept in the data directory's SQLite database (one row; its own connection). @module */
import type Database from 'better-sqlite3';
import { openSideConnection, withDatabase } from '../store/index.js';
import type { LockState, LockStore } from './control-lock.js';

export class SqliteLockStore implements LockStore {
  readonly #db: Database.Database;

  /** `file`: the data directory's database file (the run store's); `durability` as `serve --durability`. */
  constructor(file: string, options: { durability?: 'normal' | 'full' } = {}) {
    this.#db = openSideConnection(file, options);
    this.#db.exec('CREATE TABLE IF NOT EXISTS control_lock (id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL, note TEXT NOT NULL, since REAL NOT NULL)');
  }

  load(): Promise<LockState | null> {
    return withDatabase(() => (this.#db.prepare('SELECT holder, note, since FROM control_lock WHERE id = 1').get() as LockState | undefined) ?? null);
  }

  save(state: LockState | null): Promise<void> {
    return withDatabase(() => {
      if (state === null) this.#db.prepare('DELETE FROM control_lock').run();
      else this.#db.prepare('INSERT INTO control_lock (id, holder, note, since) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, note = excluded.note, since = excluded.since').run(state.holder, state.note, state.since);
    });
  }

  async close(): Promise<void> { if (this.#db.open) this.#db.close(); }
}
