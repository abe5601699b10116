/**
 * The queue in PostgreSQL (`serve --store postgres://…`), beside the runs and
 * on their connection pool: tables `queue_items`, `queue_running`,
 * `queue_meta`, `queue_history` (migration 2, src/store/pg/migrations.ts).
 * Every row carries the instance: each server (beamline) has its own queue,
 * history and mode, and one server's crash recovery reads and writes only its
 * own rows. Each `write` is atomic, so a `kill -9` leaves the queue as it was
 * before or after a change, never half way: one statement on its own (autocommit,
 * one round trip: the gap between queue items waits on it), several in a transaction.
 *
 * One server per instance: `open` takes a session advisory lock named for the
 * instance, on a connection held until `close()`. Two servers started with the
 * same `--instance` (easy: the default is the host name) would share one
 * queue and recover each other's items; the second is refused instead. A
 * killed server's lock goes with its connection.
 * @module
 */
import type pg from 'pg';
import { StoreError, unavailableOr, withDatabase } from '../store/index.js';
import type { QueueSnapshot, QueueStore, QueueWrite, StoredItem } from './store.js';
import { DEFAULT_MODE, type HistoryEntry, type QueueItem, type QueueMode, type RunningItem } from './types.js';

/** The first key of the instance locks (any number: "bluq"); the second is the instance name's hash. */
const INSTANCE_LOCK = 0x626c7571;

/** One parameterised statement of a write. */
interface Statement { readonly text: string; readonly values: unknown[] }

export class PgQueueStore implements QueueStore {
  readonly location: string;
  readonly instance: string;
  readonly #pool: pg.Pool;
  /** The connection holding the instance's lock (see `open`), or null. */
  #guard: pg.PoolClient | null = null;

  /**
   * `pool`: the run store's (`PostgresBackend.pool`), already migrated; its owner ends it after
   * `close()`. `location`: the URL without password. No instance lock: a server uses `open`.
   */
  constructor(pool: pg.Pool, instance: string, location: string) {
    this.#pool = pool;
    this.instance = instance;
    this.location = `${location} (instance ${instance})`;
  }

  /**
   * The queue of `instance`, claimed for this process until `close()`.
   * @throws StoreError STORE_LOCKED when another server holds the instance for `waitMs` (default 5 s: a killed server's connection may take a moment to end).
   */
  static async open(pool: pg.Pool, instance: string, location: string, options: { waitMs?: number } = {}): Promise<PgQueueStore> {
    const store = new PgQueueStore(pool, instance, location);
    const guard = await pool.connect();
    const until = Date.now() + (options.waitMs ?? 5000);
    try {
      for (;;) {
        const { rows } = await guard.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [INSTANCE_LOCK, instance]);
        if (rows[0]?.ok === true) break;
        if (Date.now() >= until) {
          throw new StoreError('STORE_LOCKED', `instance '${instance}' is served by another server on ${location}: give each server its own --instance (the default is the host name)`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (e) {
      guard.release(true);
      throw e;
    }
    store.#guard = guard;
    return store;
  }

  async load(): Promise<QueueSnapshot> {
    const i = [this.instance];
    const [items, running, mode, history] = await withDatabase(() => Promise.all([
      this.#pool.query<{ item: string; pos: number }>('SELECT item, pos FROM queue_items WHERE instance = $1 ORDER BY pos', i),
      this.#pool.query<{ entry: string }>('SELECT entry FROM queue_running WHERE instance = $1', i),
      this.#pool.query<{ value: string }>("SELECT value FROM queue_meta WHERE instance = $1 AND key = 'mode'", i),
      this.#pool.query<{ entry: string }>('SELECT entry FROM queue_history WHERE instance = $1 ORDER BY id', i),
    ]));
    const run = running.rows[0];
    const m = mode.rows[0];
    return {
      items: items.rows.map((r): StoredItem => ({ item: JSON.parse(r.item) as QueueItem, pos: r.pos })),
      running: run === undefined ? null : JSON.parse(run.entry) as RunningItem,
      mode: m === undefined ? { ...DEFAULT_MODE } : { ...DEFAULT_MODE, ...(JSON.parse(m.value) as Partial<QueueMode>) },
      history: history.rows.map((r) => JSON.parse(r.entry) as HistoryEntry),
    };
  }

  async write(c: QueueWrite): Promise<void> {
    const statements = this.#statements(c);
    // A single statement is atomic by itself: BEGIN and COMMIT around it would be two more round trips.
    if (statements.length <= 1) {
      const [only] = statements;
      if (only !== undefined) await withDatabase(() => this.#pool.query(only.text, only.values));
      return;
    }
    const client = await withDatabase(() => this.#pool.connect());
    try {
      await client.query('BEGIN');
      for (const s of statements) await client.query(s.text, s.values);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw unavailableOr(e);
    } finally {
      client.release();
    }
  }

  /** Gives the instance up (its connection is ended, and the lock with it); the pool is the run store's and stays open. */
  async close(): Promise<void> {
    this.#guard?.release(true);
    this.#guard = null;
  }

  /** The statements of one write, in order. */
  #statements(c: QueueWrite): Statement[] {
    const instance = this.instance;
    const out: Statement[] = [];
    const add = (text: string, values: unknown[]): void => { out.push({ text, values }); };
    // Consecutive puts go in one statement (a batch add or a renumbering puts many); deletes and clears keep their place.
    let puts = new Map<string, { pos: number; json: string }>();
    const flush = (): void => {
      if (puts.size === 0) return;
      const rows = [...puts.entries()];
      puts = new Map();
      add(`INSERT INTO queue_items (instance, item_uid, pos, item)
        SELECT $1, u, p, j FROM unnest($2::text[], $3::float8[], $4::text[]) AS t(u, p, j)
        ON CONFLICT (instance, item_uid) DO UPDATE SET pos = excluded.pos, item = excluded.item`,
      [instance, rows.map(([u]) => u), rows.map(([, r]) => r.pos), rows.map(([, r]) => r.json)]);
    };
    for (const w of c.items ?? []) {
      if (w.op === 'put') { puts.set(w.item.item_uid, { pos: w.pos, json: JSON.stringify(w.item) }); continue; }
      flush();
      if (w.op === 'delete') add('DELETE FROM queue_items WHERE instance = $1 AND item_uid = $2', [instance, w.item_uid]);
      else add('DELETE FROM queue_items WHERE instance = $1', [instance]);
    }
    flush();
    if (c.running === null) add('DELETE FROM queue_running WHERE instance = $1', [instance]);
    else if (c.running !== undefined) {
      add('INSERT INTO queue_running (instance, entry) VALUES ($1, $2) ON CONFLICT (instance) DO UPDATE SET entry = excluded.entry', [instance, JSON.stringify(c.running)]);
    }
    if (c.mode !== undefined) {
      add("INSERT INTO queue_meta (instance, key, value) VALUES ($1, 'mode', $2) ON CONFLICT (instance, key) DO UPDATE SET value = excluded.value", [instance, JSON.stringify(c.mode)]);
    }
    if (c.clearHistory === true) add('DELETE FROM queue_history WHERE instance = $1', [instance]);
    const history = c.history ?? [];
    if (history.length > 0) {
      // Inserted in order: the history is read back by id.
      add(`INSERT INTO queue_history (instance, item_uid, entry)
        SELECT $1, u, e FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(u, e, n) ORDER BY n`,
      [instance, history.map((h) => h.item.item_uid), history.map((h) => JSON.stringify(h))]);
    }
    return out;
  }
}
