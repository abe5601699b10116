/**
 * PostgresBackend: the StoreBackend on a PostgreSQL database shared by several
 * servers. Each server is an `instance`: its documents, events and open runs
 * are its own (numbered by its BaseStore, as a SQLite file is), its crash
 * recovery sees only its runs, and its `scan_id` continues from its own runs.
 * Run uids are global (uuid4s), so any server reads any run.
 *
 * A batch is written by ONE statement (data-modifying CTEs over `unnest`ed
 * arrays): one round trip, atomic, whatever its size. A run started and
 * stopped in the same batch is inserted with its stop (CTEs of one statement
 * do not see each other's rows).
 * @module
 */
import type pg from 'pg';
import { type BackendState, type DocumentPage, type DocumentRow, EVENT_ROW_OVERHEAD, type EventRow, type RetentionRule, type StoreBackend, type WriteBatch } from '../backend.js';
import { StoreError, causeText } from '../errors.js';
import { unavailableOr } from '../unavailable.js';
import type { ListRunsQuery, RunSummary } from '../types.js';
import { migrate } from './migrations.js';
import { parsePgUrl } from './url.js';

export interface PostgresBackendOptions {
  /** This server's name: its runs, documents and events (default: the host name). */
  readonly instance: string;
  /** Connections in the pool (reads run beside the one write in flight). Default 4. */
  readonly poolSize?: number;
}

interface RunRow {
  uid: string; instance: string; scan_id: string | null; plan_name: string | null; item_id: string | null; params: string | null;
  start_time: number; stop_time: number | null; exit_status: string | null; reason: string | null;
  num_events: string | null; interrupted: boolean; imported: boolean;
}

function summary(r: RunRow): RunSummary {
  return {
    uid: r.uid, scanId: r.scan_id === null ? null : Number(r.scan_id), planName: r.plan_name, itemId: r.item_id,
    params: r.params === null ? null : JSON.parse(r.params) as unknown, startTime: r.start_time, stopTime: r.stop_time,
    exitStatus: r.exit_status, reason: r.reason,
    numEvents: r.num_events === null ? null : JSON.parse(r.num_events) as Record<string, number>,
    interrupted: r.interrupted, imported: r.imported, instance: r.instance,
  };
}

const MAX_ID = '9007199254740991';
const RUN_COLUMNS = 'uid, instance, scan_id, plan_name, item_id, params, start_time, stop_time, exit_status, reason, num_events, interrupted, imported';

/** The whole batch as one statement; $1 is the instance. */
const WRITE_SQL = `
WITH new_runs AS (
  INSERT INTO runs (uid, instance, scan_id, plan_name, item_id, params, start_time, imported, first_doc, stop_time, exit_status, reason, num_events, interrupted, last_doc)
  SELECT r.uid, $1, r.scan_id, r.plan_name, r.item_id, r.params, r.start_time, r.imported, r.first_doc, r.stop_time, r.exit_status, r.reason, r.num_events, coalesce(r.interrupted, false), r.last_doc
  FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::float8[], $8::boolean[], $9::bigint[],
              $10::float8[], $11::text[], $12::text[], $13::text[], $14::boolean[], $15::bigint[])
    WITH ORDINALITY AS r(uid, scan_id, plan_name, item_id, params, start_time, imported, first_doc, stop_time, exit_status, reason, num_events, interrupted, last_doc, n)
  ORDER BY r.n
), new_documents AS (
  INSERT INTO documents (instance, id, run_uid, name, doc)
  SELECT $1, d.id, d.run_uid, d.name, d.doc FROM unnest($16::bigint[], $17::text[], $18::text[], $19::text[]) AS d(id, run_uid, name, doc)
), new_events AS (
  INSERT INTO events (instance, seq, topic, time, data, doc_id)
  SELECT $1, e.seq, e.topic, e.time, e.data, e.doc_id FROM unnest($20::bigint[], $21::text[], $22::float8[], $23::text[], $24::bigint[]) AS e(seq, topic, time, data, doc_id)
), stopped AS (
  UPDATE runs SET stop_time = s.stop_time, exit_status = s.exit_status, reason = s.reason, num_events = s.num_events, interrupted = s.interrupted, last_doc = s.last_doc
  FROM unnest($25::text[], $26::float8[], $27::text[], $28::text[], $29::text[], $30::boolean[], $31::bigint[]) AS s(uid, stop_time, exit_status, reason, num_events, interrupted, last_doc)
  WHERE runs.uid = s.uid
)
SELECT 1`;

export class PostgresBackend implements StoreBackend {
  readonly location: string;
  readonly instance: string;
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool, location: string, instance: string) {
    this.#pool = pool;
    this.location = location;
    this.instance = instance;
  }

  /**
   * Connect, create or migrate the schema, and return the backend.
   * @throws StoreError STORE_OPEN_FAILED (unreachable, refused, no such database, bad URL), STORE_SCHEMA_MISMATCH.
   */
  static async open(url: string, options: PostgresBackendOptions): Promise<PostgresBackend> {
    const { connectionString, location } = parsePgUrl(url);
    const { default: pgModule } = await import('pg');
    const pool = new pgModule.Pool({ connectionString, max: options.poolSize ?? 4, connectionTimeoutMillis: 10_000 });
    // An idle connection that breaks (server restart) must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new StoreError('STORE_OPEN_FAILED', `cannot connect to ${location}: ${causeText(e)}`, { cause: e });
    }
    try {
      await migrate(client, location);
    } catch (e) {
      client.release();
      await pool.end().catch(() => undefined);
      throw e;
    }
    client.release();
    return new PostgresBackend(pool, location, options.instance);
  }

  /**
   * The connection pool, which the server's other PostgreSQL tables (queue, keys, audit
   * log, control lock) share; it ends with `close()`.
   */
  get pool(): pg.Pool { return this.#pool; }

  async state(): Promise<BackendState> {
    const { rows } = await this.#q<{ max_seq: string | null; oldest: string | null; max_doc: string | null; max_scan: string | null }>(`SELECT
      (SELECT max(seq) FROM events WHERE instance = $1) AS max_seq,
      (SELECT min(seq) FROM events WHERE instance = $1) AS oldest,
      (SELECT max(id) FROM documents WHERE instance = $1) AS max_doc,
      (SELECT max(scan_id) FROM runs WHERE instance = $1 AND NOT imported) AS max_scan`, [this.instance]);
    const r = rows[0];
    return {
      maxSeq: Number(r?.max_seq ?? 0), oldestSeq: r?.oldest == null ? null : Number(r.oldest),
      maxDocumentId: Number(r?.max_doc ?? 0), maxScanId: Number(r?.max_scan ?? 0),
    };
  }

  async write(batch: WriteBatch): Promise<void> {
    const stopOf = new Map(batch.stops.map((s) => [s.uid, s]));
    const startsHere = new Set(batch.starts.map((s) => s.uid));
    const starts = batch.starts;
    const laterStops = batch.stops.filter((s) => !startsHere.has(s.uid));
    const col = <T, V>(xs: readonly T[], f: (x: T) => V): V[] => xs.map(f);
    await this.#q(WRITE_SQL, [
      this.instance,
      col(starts, (s) => s.uid), col(starts, (s) => s.scanId), col(starts, (s) => s.planName), col(starts, (s) => s.itemId),
      col(starts, (s) => (s.params === null ? null : JSON.stringify(s.params))), col(starts, (s) => s.startTime), col(starts, (s) => s.imported),
      col(starts, (s) => s.firstDocId),
      col(starts, (s) => stopOf.get(s.uid)?.stopTime ?? null), col(starts, (s) => stopOf.get(s.uid)?.exitStatus ?? null),
      col(starts, (s) => stopOf.get(s.uid)?.reason ?? null),
      col(starts, (s) => { const st = stopOf.get(s.uid); return st === undefined ? null : JSON.stringify(st.numEvents); }),
      col(starts, (s) => stopOf.get(s.uid)?.interrupted ?? false), col(starts, (s) => stopOf.get(s.uid)?.lastDocId ?? null),
      col(batch.documents, (d) => d.id), col(batch.documents, (d) => d.runUid), col(batch.documents, (d) => d.name), col(batch.documents, (d) => d.json),
      col(batch.events, (e) => e.seq), col(batch.events, (e) => e.topic), col(batch.events, (e) => e.time), col(batch.events, (e) => e.dataJson),
      col(batch.events, (e) => e.docId),
      col(laterStops, (s) => s.uid), col(laterStops, (s) => s.stopTime), col(laterStops, (s) => s.exitStatus), col(laterStops, (s) => s.reason),
      col(laterStops, (s) => JSON.stringify(s.numEvents)), col(laterStops, (s) => s.interrupted), col(laterStops, (s) => s.lastDocId),
    ]);
  }

  async hasRun(uid: string): Promise<boolean> {
    return (await this.#q('SELECT 1 FROM runs WHERE uid = $1', [uid])).rowCount !== 0;
  }

  async getRun(uid: string): Promise<RunSummary | undefined> {
    const { rows } = await this.#q<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE uid = $1`, [uid]);
    return rows[0] === undefined ? undefined : summary(rows[0]);
  }

  async listRuns(query: ListRunsQuery): Promise<RunSummary[]> {
    const { rows } = await this.#q<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs
      WHERE ($1::text IS NULL OR plan_name = $1) AND ($2::float8 IS NULL OR start_time >= $2)
        AND ($3::text IS NULL OR starts_with(uid, $3)) AND ($4::text IS NULL OR instance = $4)
      ORDER BY start_time DESC, seq DESC LIMIT $5 OFFSET $6`,
    [query.plan ?? null, query.since ?? null, query.uidPrefix ?? null, query.instance ?? null, query.limit ?? 100, query.offset ?? 0]);
    return rows.map(summary);
  }

  async documents(runUid: string, page: DocumentPage): Promise<DocumentRow[]> {
    const join = `FROM runs r JOIN documents d ON d.instance = r.instance AND d.run_uid = r.uid
      AND d.id BETWEEN ${page.afterId === undefined ? 'r.first_doc' : 'greatest(r.first_doc, $3::bigint + 1)'} AND coalesce(r.last_doc, ${MAX_ID})`;
    const { rows } = page.afterId === undefined
      ? await this.#q<{ id: string; name: DocumentRow['name']; json: string }>(`SELECT d.id, d.name, d.doc AS json ${join} WHERE r.uid = $1 ORDER BY d.id LIMIT $2 OFFSET $3`,
        [runUid, page.limit, page.offset ?? 0])
      : await this.#q<{ id: string; name: DocumentRow['name']; json: string }>(`SELECT d.id, d.name, d.doc AS json ${join} WHERE r.uid = $1 ORDER BY d.id LIMIT $2`,
        [runUid, page.limit, page.afterId]);
    return rows.map((r) => ({ id: Number(r.id), name: r.name, json: r.json }));
  }

  async readEvents(sinceSeq: number, limit: number, throughSeq = Number.MAX_SAFE_INTEGER): Promise<EventRow[]> {
    const { rows } = await this.#q<{ seq: string; topic: string; time: number; data_json: string | null; doc_name: string | null; doc_json: string | null }>(
      `SELECT e.seq, e.topic, e.time, e.data AS data_json, d.name AS doc_name, d.doc AS doc_json
       FROM events e LEFT JOIN documents d ON d.instance = e.instance AND d.id = e.doc_id
       WHERE e.instance = $1 AND e.seq > $2 AND e.seq <= $4 ORDER BY e.seq LIMIT $3`, [this.instance, sinceSeq, limit, throughSeq]);
    return rows.map((r) => ({ seq: Number(r.seq), topic: r.topic, time: r.time, dataJson: r.data_json, docName: r.doc_name, docJson: r.doc_json }));
  }

  async unclosedRuns(): Promise<string[]> {
    const { rows } = await this.#q<{ uid: string }>('SELECT uid FROM runs WHERE instance = $1 AND stop_time IS NULL AND NOT imported ORDER BY seq', [this.instance]);
    return rows.map((r) => r.uid);
  }

  async pruneEvents(rule: RetentionRule): Promise<number | null> {
    const client = await this.#connect();
    try {
      await client.query('BEGIN');
      if (rule.minTime !== undefined) {
        await client.query(`DELETE FROM events WHERE instance = $1 AND seq < coalesce(
          (SELECT seq FROM events WHERE instance = $1 AND time >= $2 ORDER BY seq LIMIT 1), ${MAX_ID})`, [this.instance, rule.minTime]);
      }
      if (rule.maxBytes !== undefined) {
        // The newest events that fit in the byte budget stay; everything older goes.
        await client.query(`DELETE FROM events WHERE instance = $1 AND seq <= coalesce((SELECT seq FROM (
          SELECT seq, sum(coalesce(length(data), 0) + ${String(EVENT_ROW_OVERHEAD)}) OVER (ORDER BY seq DESC) AS kept
          FROM events WHERE instance = $1) k WHERE kept > $2 ORDER BY seq DESC LIMIT 1), -1)`, [this.instance, rule.maxBytes]);
      }
      const { rows } = await client.query<{ oldest: string | null }>('SELECT min(seq) AS oldest FROM events WHERE instance = $1', [this.instance]);
      await client.query('COMMIT');
      return rows[0]?.oldest == null ? null : Number(rows[0].oldest);
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.#failed('prune the event log of', e);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #q<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (e) {
      throw this.#failed('query', e);
    }
  }

  async #connect(): Promise<pg.PoolClient> {
    try { return await this.#pool.connect(); } catch (e) { throw this.#failed('connect to', e); }
  }

  #failed(what: string, e: unknown): unknown {
    const message = `cannot ${what} ${this.location}: ${causeText(e)}`;
    const unavailable = unavailableOr(e, message);
    if (unavailable !== e) return unavailable;
    // Errors keep their cause (and pg's code, e.g. 23505 for a duplicate run uid); the store wraps write failures itself.
    return Object.assign(new Error(message, { cause: e }), { code: (e as { code?: unknown }).code });
  }
}
