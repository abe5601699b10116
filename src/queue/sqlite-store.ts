/**
 * The queue in the data directory's SQLite database (the run store's file,
 * `DB_FILE`), on a connection and tables of its own: `queue_items`,
 * `queue_running`, `queue_meta`, `queue_history`. Each `write` is one
 * transaction, so a `kill -9` leaves the queue as it was before or after a
 * change, never half way.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { DB_FILE, openSideConnection, withDatabase } from '../store/index.js';
import type { QueueSnapshot, QueueStore, QueueWrite, StoredItem } from './store.js';
import { DEFAULT_MODE, type HistoryEntry, type QueueMode, type RunningItem } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_items (item_uid TEXT PRIMARY KEY, pos REAL NOT NULL, item TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS queue_items_pos ON queue_items (pos);
CREATE TABLE IF NOT EXISTS queue_running (id INTEGER PRIMARY KEY CHECK (id = 1), entry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queue_history (id INTEGER PRIMARY KEY AUTOINCREMENT, item_uid TEXT NOT NULL, entry TEXT NOT NULL);
`;

export interface SqliteQueueOptions {
  /** `full`: fsync each change (survives power loss); `normal` (default): survives a killed process. */
  durability?: 'normal' | 'full';
}

export class SqliteQueueStore implements QueueStore {
  readonly location: string;
  readonly #db: Database.Database;
  readonly #apply: (change: QueueWrite) => void;

  private constructor(path: string, options: SqliteQueueOptions) {
    this.location = path;
    // Waits for the run store's commits rather than fail; never checkpoints (between items) on the server's thread.
    this.#db = openSideConnection(path, options);
    this.#db.exec(SCHEMA);
    const put = this.#db.prepare('INSERT OR REPLACE INTO queue_items (item_uid, pos, item) VALUES (?, ?, ?)');
    const del = this.#db.prepare('DELETE FROM queue_items WHERE item_uid = ?');
    const clear = this.#db.prepare('DELETE FROM queue_items');
    const setRunning = this.#db.prepare('INSERT OR REPLACE INTO queue_running (id, entry) VALUES (1, ?)');
    const noRunning = this.#db.prepare('DELETE FROM queue_running');
    const setMeta = this.#db.prepare('INSERT OR REPLACE INTO queue_meta (key, value) VALUES (?, ?)');
    const addHistory = this.#db.prepare('INSERT INTO queue_history (item_uid, entry) VALUES (?, ?)');
    const clearHistory = this.#db.prepare('DELETE FROM queue_history');
    this.#apply = this.#db.transaction((c: QueueWrite) => {
      for (const w of c.items ?? []) {
        if (w.op === 'put') put.run(w.item.item_uid, w.pos, JSON.stringify(w.item));
        else if (w.op === 'delete') del.run(w.item_uid);
        else clear.run();
      }
      if (c.running === null) noRunning.run();
      else if (c.running !== undefined) setRunning.run(JSON.stringify(c.running));
      if (c.mode !== undefined) setMeta.run('mode', JSON.stringify(c.mode));
      if (c.clearHistory === true) clearHistory.run();
      for (const h of c.history ?? []) addHistory.run(h.item.item_uid, JSON.stringify(h));
    });
  }

  /** Open (creating the tables) the queue in `dir`'s database file. */
  static open(dir: string, options: SqliteQueueOptions = {}): SqliteQueueStore {
    mkdirSync(dir, { recursive: true });
    return new SqliteQueueStore(join(dir, DB_FILE), options);
  }

  load(): Promise<QueueSnapshot> { return withDatabase(() => this.#load()); }

  #load(): QueueSnapshot {
    const items = (this.#db.prepare('SELECT item, pos FROM queue_items ORDER BY pos').all() as Array<{ item: string; pos: number }>)
      .map((r): StoredItem => ({ item: JSON.parse(r.item) as StoredItem['item'], pos: r.pos }));
    const running = this.#db.prepare('SELECT entry FROM queue_running WHERE id = 1').get() as { entry: string } | undefined;
    const mode = this.#db.prepare("SELECT value FROM queue_meta WHERE key = 'mode'").get() as { value: string } | undefined;
    const history = (this.#db.prepare('SELECT entry FROM queue_history ORDER BY id').all() as Array<{ entry: string }>)
      .map((r) => JSON.parse(r.entry) as HistoryEntry);
    return {
      items,
      running: running === undefined ? null : JSON.parse(running.entry) as RunningItem,
      mode: mode === undefined ? { ...DEFAULT_MODE } : { ...DEFAULT_MODE, ...(JSON.parse(mode.value) as Partial<QueueMode>) },
      history,
    };
  }

  write(change: QueueWrite): Promise<void> { return withDatabase(() => { this.#apply(change); }); }

  async close(): Promise<void> { if (this.#db.open) this.#db.close(); }
}
