/**
 * The audit log in PostgreSQL (`serve --store postgres://…`): table
 * `audit_log` (migration 2) on the run store's pool. Every row carries the
 * server (instance) that recorded it; instance `*` marks facility-wide changes
 * (API keys created or revoked from the command line, which every server
 * honours). A server's log is its own rows and the facility's.
 *
 * `record` never waits: the inserts go one after another in the background
 * (an emergency stop is never held up by the network), and `list` and
 * `close` wait for them first, so what was recorded is what is listed.
 * @module
 */
import type pg from 'pg';
import { withDatabase } from '../store/index.js';
import type { AuditEntry, AuditLog, AuditQuery, AuditRecord } from './audit-log.js';

/** The instance of facility-wide rows (not a valid server name, so never one server's). */
export const FACILITY = '*';
/**
 * Entries waiting for the database, at most: while it does not answer, each insert waits
 * for a connection, and a client repeating refused changes must not grow the server's
 * memory without end. Past this an entry is dropped and counted as a failure.
 */
export const MAX_WAITING = 10_000;

interface Row { id: string; instance: string; time: number; who: string; protocol: string; op: string; params: string; outcome: string; message: string | null }

export class PgAuditLog implements AuditLog {
  readonly #pool: pg.Pool;
  /** Whose rows this log writes (and lists by default); FACILITY for the command line's key changes. */
  readonly instance: string;
  readonly #onError: (e: unknown) => void;
  #failures = 0;
  #pending: Promise<unknown> = Promise.resolve();
  /** Entries recorded and not yet written (or failed). */
  #waiting = 0;

  /** `pool`: the run store's (`PostgresBackend.pool`), already migrated; its owner ends it. */
  constructor(pool: pg.Pool, instance: string, options: { onError?: (e: unknown) => void } = {}) {
    this.#pool = pool;
    this.instance = instance;
    this.#onError = options.onError ?? (() => {});
  }

  get failures(): number { return this.#failures; }

  record(e: AuditRecord): void {
    if (this.#waiting >= MAX_WAITING) {
      this.#failures++;
      this.#onError(new Error(`audit entry dropped (${e.op} by ${e.who}): ${String(MAX_WAITING)} entries are already waiting for the database`));
      return;
    }
    this.#waiting++;
    this.#pending = this.#pending.then(() => this.#pool.query(
      'INSERT INTO audit_log (instance, time, who, protocol, op, params, outcome, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [this.instance, e.time, e.who, e.protocol, e.op, e.params, e.outcome, e.message],
    )).catch((err: unknown) => {
      this.#failures++;
      this.#onError(err);
    }).finally(() => { this.#waiting--; });
  }

  /** Newest first: by default this server's rows and the facility's; `instance: '*'` every server's; a name, that server's and the facility's. */
  async list(q: AuditQuery = {}): Promise<AuditEntry[]> {
    await this.#pending;
    const instance = q.instance ?? this.instance;
    const { rows } = await withDatabase(() => this.#pool.query<Row>(`SELECT id, instance, time, who, protocol, op, params, outcome, message FROM audit_log
      WHERE ($1::text = '${FACILITY}' OR instance = $1 OR instance = '${FACILITY}')
        AND ($2::text IS NULL OR op = $2) AND ($3::text IS NULL OR who = $3) AND ($4::float8 IS NULL OR time >= $4)
      ORDER BY id DESC LIMIT $5 OFFSET $6`,
    [instance, q.op ?? null, q.who ?? null, q.since ?? null, q.limit ?? 100, q.offset ?? 0]));
    return rows.map((r) => ({
      id: Number(r.id), time: r.time, who: r.who, protocol: r.protocol, op: r.op, params: r.params, outcome: r.outcome, message: r.message, instance: r.instance,
    }));
  }

  /** Waits for the entries still being written; the pool is the run store's and stays open. */
  async close(): Promise<void> { await this.#pending; }
}
