/**
 * The control lock in PostgreSQL (`serve --store postgres://…`): one row per
 * instance in `control_lock` (migration 2), on the run store's pool. Each
 * server (beamline) has its own lock: holding bl01 holds back nobody on bl02.
 * @module
 */
import type pg from 'pg';
import { withDatabase } from '../store/index.js';
import type { LockState, LockStore } from './control-lock.js';

export class PgLockStore implements LockStore {
  readonly #pool: pg.Pool;
  readonly instance: string;

  /** `pool`: the run store's (`PostgresBackend.pool`), already migrated; its owner ends it. */
  constructor(pool: pg.Pool, instance: string) {
    this.#pool = pool;
    this.instance = instance;
  }

  async load(): Promise<LockState | null> {
    const { rows } = await withDatabase(() => this.#pool.query<LockState>('SELECT holder, note, since FROM control_lock WHERE instance = $1', [this.instance]));
    return rows[0] ?? null;
  }

  async save(state: LockState | null): Promise<void> {
    await withDatabase(() => (state === null
      ? this.#pool.query('DELETE FROM control_lock WHERE instance = $1', [this.instance])
      : this.#pool.query(`INSERT INTO control_lock (instance, holder, note, since) VALUES ($1, $2, $3, $4)
        ON CONFLICT (instance) DO UPDATE SET holder = excluded.holder, note = excluded.note, since = excluded.since`,
      [this.instance, state.holder, state.note, state.since])));
  }

  /** The pool is the run store's: closing the lock leaves it open. */
  async close(): Promise<void> { /* nothing of its own */ }
}
