/**
 * A connection of its own to the data directory's database, beside the run
 * store's: the queue, the audit log, the control lock and the API keys each
 * open one, for tables of their own. Set up as the run store's is, so none of
 * them holds up the server's thread more than it does:
 *
 * - WAL, the run store's mode (readers never wait for the writer);
 * - `synchronous` from `--durability`: `normal` (default) fsyncs nothing at a
 *   commit and survives a killed process; `full` fsyncs every commit and also
 *   survives power loss. SQLite's default would fsync at each audited
 *   operation, on the server's thread, whatever `--durability` says;
 * - no automatic checkpoint: the run store's checkpointer (checkpointer.ts)
 *   checkpoints the shared WAL off the server's thread. Left on, a commit here
 *   past 1,000 WAL pages (a fast scan's worth) would checkpoint the whole WAL,
 *   and fsync it, on the server's thread. A connection that is the last to
 *   close still checkpoints (SQLite does, at close).
 * @module
 */
import Database from 'better-sqlite3';

export interface SideConnectionOptions {
  /** As `serve --durability` (default `normal`). */
  durability?: 'normal' | 'full';
  /** How long a write waits for another connection's (default 5,000 ms; 0: fail at once). */
  busyTimeoutMs?: number;
}

/** Open `path` for writing, set up as the module comment says. */
export function openSideConnection(path: string, options: SideConnectionOptions = {}): Database.Database {
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('wal_autocheckpoint = 0');
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}
