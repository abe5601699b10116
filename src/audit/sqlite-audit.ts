/**
 * The audit log in the data directory's SQLite database (its own table, its own
 * connection): it survives restarts and sits beside the runs it explains.
 * @module
 */
import Database from 'better-sqlite3';
import { openSideConnection, withDatabase } from '../store/index.js';
import type { AuditEntry, AuditLog, AuditQuery, AuditRecord } from './audit-log.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time REAL NOT NULL, who TEXT NOT NULL, protocol TEXT NOT NULL, op TEXT NOT NULL,
  params TEXT NOT NULL, outcome TEXT NOT NULL, message TEXT
)`;

export class SqliteAuditLog implements AuditLog {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement | null;
  readonly #onError: (e: unknown) => void;
  #failures = 0;

  /**
   * `file`: the data directory's database file (the run store's); `readonly` for readers such as the CLI;
   * `durability` as `serve --durability` (an entry is written on the server's thread: docs/storage.md).
   */
  constructor(file: string, options: { readonly?: boolean; durability?: 'normal' | 'full'; onError?: (e: unknown) => void } = {}) {
    const readonly = options.readonly ?? false;
    this.#db = readonly ? new Database(file, { timeout: 5000, readonly, fileMustExist: true }) : openSideConnection(file, options);
    if (!readonly) this.#db.exec(SCHEMA);
    this.#insert = readonly ? null : this.#db.prepare('INSERT INTO audit_log (time, who, protocol, op, params, outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#onError = options.onError ?? (() => {});
  }

  get failures(): number { return this.#failures; }

  record(e: AuditRecord): void {
    try {
      if (this.#insert === null) throw new Error('this audit log was opened read-only');
      this.#insert.run(e.time, e.who, e.protocol, e.op, e.params, e.outcome, e.message);
    } catch (err) {
      this.#failures++;
      this.#onError(err);
    }
  }

  list(q: AuditQuery = {}): Promise<AuditEntry[]> { return withDatabase(() => this.#list(q)); }

  #list(q: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (q.op !== undefined) { where.push('op = ?'); args.push(q.op); }
    if (q.who !== undefined) { where.push('who = ?'); args.push(q.who); }
    if (q.since !== undefined) { where.push('time >= ?'); args.push(q.since); }
    // A data directory whose server never recorded anything has no table yet.
    if (this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get() === undefined) return [];
    const sql = `SELECT id, time, who, protocol, op, params, outcome, message FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ? OFFSET ?`;
    return this.#db.prepare(sql).all(...args, q.limit ?? 100, q.offset ?? 0) as AuditEntry[];
  }

  async close(): Promise<void> { if (this.#db.open) this.#db.close(); }
}
