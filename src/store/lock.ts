/**
 * One server per data directory. The lock is an exclusive SQLite transaction
 * held open on DIR/bluesky.lock: the operating system's file lock, so it is
 * released whenever the holder ends, however it ends (no stale lock to clear
 * after a crash). DIR/bluesky.pid names the holder for the refusal message.
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, causeText } from './errors.js';

export const LOCK_FILE = 'bluesky.lock';
export const PID_FILE = 'bluesky.pid';

export class DataDirLock {
  readonly #db: Database.Database;
  readonly #pidPath: string;
  #released = false;

  private constructor(db: Database.Database, pidPath: string) {
    this.#db = db;
    this.#pidPath = pidPath;
  }

  /**
   * Take the lock of `dir` (which must exist) or throw STORE_LOCKED naming the holder's pid.
   * @throws StoreError STORE_LOCKED, STORE_OPEN_FAILED
   */
  static acquire(dir: string): DataDirLock {
    const path = join(dir, LOCK_FILE);
    const pidPath = join(dir, PID_FILE);
    let db: Database.Database;
    // timeout 0: a held lock is refused at once, never waited for.
    try { db = new Database(path, { timeout: 0 }); } catch (e) {
      throw new StoreError('STORE_OPEN_FAILED', `cannot open the lock file ${path}: ${causeText(e)}`, { cause: e });
    }
    try {
      db.pragma('journal_mode = DELETE');
      db.exec('BEGIN EXCLUSIVE');
    } catch (e) {
      db.close();
      const code = (e as { code?: unknown }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        const pid = holder(pidPath);
        throw new StoreError('STORE_LOCKED', `the data directory ${dir} is in use by another server (pid ${pid ?? 'unknown'}); stop it or give this one another --data`);
      }
      throw new StoreError('STORE_OPEN_FAILED', `cannot lock ${path}: ${causeText(e)}`, { cause: e });
    }
    try { writeFileSync(pidPath, `${String(process.pid)}\n`); } catch { /* the pid is only for the message */ }
    return new DataDirLock(db, pidPath);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    try { if (holder(this.#pidPath) === process.pid) rmSync(this.#pidPath, { force: true }); } catch { /* best effort */ }
    try { this.#db.exec('ROLLBACK'); } catch { /* closing releases it anyway */ }
    this.#db.close();
  }
}

function holder(pidPath: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(pidPath, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) ? pid : null;
  } catch { return null; }
}
