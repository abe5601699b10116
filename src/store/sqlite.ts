/**
 * SqliteStore: the RunStore in DIR/bluesky.sqlite (better-sqlite3, WAL). Every
 * statement is prepared once; each batch is one transaction.
 * @module
 */
import { accessSync, constants, existsSync, mkdirSync, statSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  type BackendState, type DocumentPage, type DocumentRow, EVENT_ROW_OVERHEAD, type EventRow, type RetentionRule,
  type StoreBackend, type WriteBatch,
} from './backend.js';
import { BaseStore, type StoreOptions } from './base.js';
import { Checkpointer } from './checkpointer.js';
import { StoreError, causeText } from './errors.js';
import { checkIntegrity } from './integrity.js';
import { DataDirLock } from './lock.js';
import { SCHEMA_SQL, SCHEMA_VERSION, UPGRADE_FROM_V1_SQL } from './schema.js';
import { withDatabase } from './unavailable.js';
import type { ListRunsQuery, RunSummary } from './types.js';

export const DB_FILE = 'bluesky.sqlite';

/** Rows per multi-row INSERT (5 columns × 32 = 160 parameters, well under SQLite's 32766). */
const ROWS = 32;

export interface SqliteStoreOptions extends StoreOptions {
  /** 'normal' (default): synchronous=NORMAL, a killed process loses nothing committed. 'full': fsync per commit, survives power loss. */
  readonly durability?: 'normal' | 'full';
  /** Open an existing store for reading only (the `runs` CLI): no directory is created, nothing is written. */
  readonly readonly?: boolean;
  /**
   * Start the WAL checkpoint thread when the store opens instead of at its first checkpoint (checkpointer.ts).
   * Its start-up (a thread loading the SQLite driver: ~30–40 ms of CPU) then falls in idle time, not inside a
   * server's first run. Default false: a store that is opened and closed again (a tool, a test) costs no thread.
   */
  readonly checkpointThreadAtOpen?: boolean;
}

interface RunRow {
  uid: string; scan_id: number | null; plan_name: string | null; item_id: string | null; params: string | null;
  start_time: number; stop_time: number | null; exit_status: string | null; reason: string | null;
  num_events: string | null; interrupted: number; imported: number;
}

function summary(r: RunRow): RunSummary {
  return {
    uid: r.uid, scanId: r.scan_id, planName: r.plan_name, itemId: r.item_id,
    params: r.params === null ? null : JSON.parse(r.params) as unknown, startTime: r.start_time, stopTime: r.stop_time,
    exitStatus: r.exit_status, reason: r.reason,
    numEvents: r.num_events === null ? null : JSON.parse(r.num_events) as Record<string, number>,
    interrupted: r.interrupted !== 0, imported: r.imported !== 0,
  };
}

/** SQLite result codes that mean "this file is not (or no longer) a database". */
const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

function openError(path: string, what: string, e: unknown): StoreError {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && CORRUPT_CODES.has(code)) {
    return new StoreError('STORE_CORRUPT', `the data file ${path} is corrupt or not a SQLite database (${causeText(e)}); move it away or point --data elsewhere`, { cause: e });
  }
  return new StoreError('STORE_OPEN_FAILED', `cannot ${what} ${path}: ${causeText(e)}`, { cause: e });
}

function prepareDirectory(dir: string, readonly: boolean): void {
  if (readonly) {
    if (!existsSync(join(dir, DB_FILE))) throw new StoreError('STORE_OPEN_FAILED', `no store at ${join(dir, DB_FILE)} (nothing has been recorded in ${dir})`);
    return;
  }
  try { mkdirSync(dir, { recursive: true }); } catch (e) { throw openError(dir, 'create the data directory', e); }
  try { accessSync(dir, constants.W_OK); } catch (e) { throw openError(dir, 'write to the data directory', e); }
}

/**
 * `rows` through `many` (ROWS rows per statement) while there are that many, the rest through `one`:
 * a third less time per row than one statement each. `put` appends one row's values to `out`.
 */
function insertRows<T>(rows: readonly T[], one: Database.Statement, many: Database.Statement, put: (row: T, out: unknown[]) => void): void {
  let i = 0;
  for (; i + ROWS <= rows.length; i += ROWS) {
    const values: unknown[] = [];
    for (let j = i; j < i + ROWS; j++) put(rows[j] as T, values);
    many.run(values);
  }
  for (; i < rows.length; i++) {
    const values: unknown[] = [];
    put(rows[i] as T, values);
    one.run(values);
  }
}

/** The SQLite backend (synchronous underneath); open it with {@link openSqliteBackend}. */
export class SqliteBackend implements StoreBackend {
  readonly location: string;
  readonly #db: Database.Database;
  readonly #write: (batch: WriteBatch) => void;
  readonly #q;
  /** runs.id of the runs open in this process (their documents refer to it); others are looked up. */
  readonly #runIds = new Map<string, number>();
  /** topics.id by name (every topic but 'document'). */
  #topicIds = new Map<string, number>();
  /** Checkpoints the WAL off this thread (null: read-only). */
  readonly #checkpoints: Checkpointer | null;

  constructor(db: Database.Database, location: string, checkpoints: Checkpointer | null = null) {
    this.#db = db;
    this.location = location;
    this.#checkpoints = checkpoints;
    this.#q = {
      insertRun: db.prepare('INSERT INTO runs (uid, scan_id, plan_name, item_id, params, start_time, imported, first_doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      runId: db.prepare('SELECT id FROM runs WHERE uid = ?').pluck(),
      insertDoc: db.prepare('INSERT INTO documents (id, run, name, doc) VALUES (?, ?, ?, ?)'),
      insertDocs: db.prepare(`INSERT INTO documents (id, run, name, doc) VALUES ${Array<string>(ROWS).fill('(?, ?, ?, ?)').join(', ')}`),
      insertTopic: db.prepare('INSERT OR IGNORE INTO topics (name) VALUES (?)'),
      topicId: db.prepare('SELECT id FROM topics WHERE name = ?').pluck(),
      topics: db.prepare('SELECT name, id FROM topics').raw(),
      insertEvent: db.prepare('INSERT INTO events (seq, topic, time, data, doc_id) VALUES (?, ?, ?, ?, ?)'),
      insertEvents: db.prepare(`INSERT INTO events (seq, topic, time, data, doc_id) VALUES ${Array<string>(ROWS).fill('(?, ?, ?, ?, ?)').join(', ')}`),
      stopRun: db.prepare('UPDATE runs SET stop_time = ?, exit_status = ?, reason = ?, num_events = ?, interrupted = ?, last_doc = ? WHERE uid = ?'),
      hasRun: db.prepare('SELECT 1 FROM runs WHERE uid = ?').pluck(),
      getRun: db.prepare('SELECT * FROM runs WHERE uid = ?'),
      listRuns: db.prepare(`SELECT * FROM runs WHERE (@plan IS NULL OR plan_name = @plan) AND (@since IS NULL OR start_time >= @since)
        AND (@prefix IS NULL OR substr(uid, 1, length(@prefix)) = @prefix)
        ORDER BY start_time DESC, rowid DESC LIMIT @limit OFFSET @offset`),
      documents: db.prepare(`SELECT d.id, d.name, d.doc AS json FROM runs r JOIN documents d
        ON d.id BETWEEN r.first_doc AND coalesce(r.last_doc, 9007199254740991) AND d.run = r.id
        WHERE r.uid = ? ORDER BY d.id LIMIT ? OFFSET ?`),
      documentsAfter: db.prepare(`SELECT d.id, d.name, d.doc AS json FROM runs r JOIN documents d
        ON d.id BETWEEN max(r.first_doc, ? + 1) AND coalesce(r.last_doc, 9007199254740991) AND d.run = r.id
        WHERE r.uid = ? ORDER BY d.id LIMIT ?`),
      events: db.prepare(`SELECT e.seq, coalesce(t.name, 'document') AS topic, e.time, e.data AS dataJson, d.name AS docName, d.doc AS docJson
        FROM events e LEFT JOIN topics t ON t.id = e.topic LEFT JOIN documents d ON d.id = e.doc_id WHERE e.seq > ? AND e.seq <= ? ORDER BY e.seq LIMIT ?`),
      minSeq: db.prepare('SELECT min(seq) FROM events').pluck(),
      maxSeq: db.prepare('SELECT max(seq) FROM events').pluck(),
      maxDocId: db.prepare('SELECT max(id) FROM documents').pluck(),
      maxScanId: db.prepare('SELECT max(scan_id) FROM runs WHERE imported = 0').pluck(),
      unclosed: db.prepare('SELECT uid FROM runs WHERE stop_time IS NULL AND imported = 0 ORDER BY rowid').pluck(),
      pruneByTime: db.prepare(`DELETE FROM events WHERE seq < coalesce((SELECT seq FROM events WHERE time >= ? ORDER BY seq LIMIT 1), 9007199254740991)`),
      // The newest events that fit in the byte budget; everything older goes.
      sizeCutoff: db.prepare(`SELECT seq FROM (SELECT seq, sum(coalesce(length(data), 0) + ${EVENT_ROW_OVERHEAD})
        OVER (ORDER BY seq DESC) AS kept FROM events) WHERE kept > ? ORDER BY seq DESC LIMIT 1`).pluck(),
      pruneBelow: db.prepare('DELETE FROM events WHERE seq <= ?'),
    };
    this.#write = db.transaction((batch: WriteBatch) => this.#apply(batch));
    this.#loadTopics();
  }

  #loadTopics(): void { this.#topicIds = new Map(this.#q.topics.all() as Array<[string, number]>); }

  #apply(batch: WriteBatch): void {
    const q = this.#q;
    for (const s of batch.starts) {
      const info = q.insertRun.run(s.uid, s.scanId, s.planName, s.itemId, s.params === null ? null : JSON.stringify(s.params), s.startTime, s.imported ? 1 : 0, s.firstDocId);
      this.#runIds.set(s.uid, Number(info.lastInsertRowid));
    }
    insertRows(batch.documents, q.insertDoc, q.insertDocs, (d, out) => { out.push(d.id, this.#runRef(d.runUid), d.name, d.json); });
    insertRows(batch.events, q.insertEvent, q.insertEvents, (e, out) => { out.push(e.seq, this.#topicRef(e.topic), e.time, e.dataJson, e.docId); });
    for (const s of batch.stops) {
      q.stopRun.run(s.stopTime, s.exitStatus, s.reason, JSON.stringify(s.numEvents), s.interrupted ? 1 : 0, s.lastDocId, s.uid);
      this.#runIds.delete(s.uid);
    }
  }

  #runRef(uid: string | null): number | null { return uid === null ? null : this.#runId(uid); }
  #topicRef(topic: string): number | null { return topic === 'document' ? null : this.#topicId(topic); }

  #runId(uid: string): number | null {
    const known = this.#runIds.get(uid);
    if (known !== undefined) return known;
    const id = this.#q.runId.get(uid) as number | undefined;
    if (id === undefined) return null;
    this.#runIds.set(uid, id);
    return id;
  }

  #topicId(name: string): number {
    let id = this.#topicIds.get(name);
    if (id === undefined) {
      this.#q.insertTopic.run(name);
      id = this.#q.topicId.get(name) as number;
      this.#topicIds.set(name, id);
    }
    return id;
  }

  // Synchronous underneath (better-sqlite3); the contract is asynchronous for remote backends.
  async state(): Promise<BackendState> { return this.stateNow(); }
  stateNow(): BackendState {
    const q = this.#q;
    return {
      maxSeq: (q.maxSeq.get() as number | null) ?? 0, oldestSeq: (q.minSeq.get() as number | null) ?? null,
      maxDocumentId: (q.maxDocId.get() as number | null) ?? 0, maxScanId: (q.maxScanId.get() as number | null) ?? 0,
    };
  }

  async write(batch: WriteBatch): Promise<void> {
    try {
      this.#write(batch);
    } catch (e) {
      // Rolled back: ids learnt inside the transaction may not exist.
      this.#runIds.clear();
      try { this.#loadTopics(); } catch { this.#topicIds.clear(); }
      throw e;
    }
    this.#checkpoints?.committed();
  }
  // The reads say when the file did not answer (busy, failing I/O), as every store does (src/store/unavailable.ts).
  hasRun(uid: string): Promise<boolean> { return withDatabase(() => this.#q.hasRun.get(uid) !== undefined); }

  getRun(uid: string): Promise<RunSummary | undefined> {
    return withDatabase(() => {
      const row = this.#q.getRun.get(uid) as RunRow | undefined;
      return row === undefined ? undefined : summary(row);
    });
  }

  listRuns(query: ListRunsQuery): Promise<RunSummary[]> {
    return withDatabase(() => (this.#q.listRuns.all({
      plan: query.plan ?? null, since: query.since ?? null, prefix: query.uidPrefix ?? null, limit: query.limit ?? 100, offset: query.offset ?? 0,
    }) as RunRow[]).map(summary));
  }

  documents(runUid: string, page: DocumentPage): Promise<DocumentRow[]> {
    return withDatabase(() => (page.afterId !== undefined
      ? this.#q.documentsAfter.all(page.afterId, runUid, page.limit)
      : this.#q.documents.all(runUid, page.limit, page.offset ?? 0)) as DocumentRow[]);
  }

  readEvents(sinceSeq: number, limit: number, throughSeq = Number.MAX_SAFE_INTEGER): Promise<EventRow[]> {
    return withDatabase(() => this.#q.events.all(sinceSeq, throughSeq, limit) as EventRow[]);
  }
  async unclosedRuns(): Promise<string[]> { return this.#q.unclosed.all() as string[]; }

  async pruneEvents(rule: RetentionRule): Promise<number | null> {
    const q = this.#q;
    this.#db.transaction(() => {
      if (rule.minTime !== undefined) q.pruneByTime.run(rule.minTime);
      if (rule.maxBytes !== undefined) {
        const cutoff = q.sizeCutoff.get(rule.maxBytes) as number | undefined;
        if (cutoff !== undefined) q.pruneBelow.run(cutoff);
      }
    })();
    return (q.minSeq.get() as number | null) ?? null;
  }

  async close(): Promise<void> { await this.#checkpoints?.close(); this.#db.close(); }
}

function configure(db: Database.Database, path: string, options: SqliteStoreOptions): void {
  // Reading the schema is the first access to the file's pages: a non-database fails here.
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreError('STORE_SCHEMA_MISMATCH', `${path} has schema version ${version}; this version of bluesky-dispatcher reads up to ${SCHEMA_VERSION}`);
  }
  if (options.readonly === true) {
    if (version !== 0 && version < SCHEMA_VERSION) {
      throw new StoreError('STORE_SCHEMA_MISMATCH', `${path} has schema version ${version}, older than this version's ${SCHEMA_VERSION}; opening it for writing once (serve --data, run --data) upgrades it`);
    }
    return;
  }
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new StoreError('STORE_OPEN_FAILED', `cannot put ${path} in WAL mode (journal_mode is ${String(mode)})`);
  db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  // A new file gets the schema; a version-1 file is rewritten once (docs/storage.md), all or nothing.
  db.transaction(() => {
    db.exec(version === 1 ? UPGRADE_FROM_V1_SQL : SCHEMA_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
  let bytes = 0;
  try { bytes = statSync(path).size; } catch { /* checked below by reading */ }
  checkIntegrity(db, path, bytes);
  // A real write now, so a read-only file fails at open and not at the first document.
  db.prepare("INSERT INTO meta (key, value) VALUES ('opened_at', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
    .run(new Date().toISOString());
}

/**
 * Open (creating if needed) the SQLite backend in `dir`.
 * @throws StoreError STORE_OPEN_FAILED (directory or file not creatable/writable), STORE_CORRUPT, STORE_SCHEMA_MISMATCH.
 */
export function openSqliteBackend(dir: string, options: SqliteStoreOptions = {}): SqliteBackend {
  const absDir = resolve(dir);
  const readonly = options.readonly === true;
  prepareDirectory(absDir, readonly);
  const path = join(absDir, DB_FILE);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly, fileMustExist: readonly, timeout: 5000 });
  } catch (e) { throw openError(path, 'open the data file', e); }
  try {
    configure(db, path, options);
    return new SqliteBackend(db, path, readonly ? null : new Checkpointer(db, path, { startNow: options.checkpointThreadAtOpen === true }));
  } catch (e) {
    db.close();
    throw e instanceof StoreError ? e : openError(path, 'initialise the data file', e);
  }
}

/** Free space a failed store wants before it reopens: enough for a run, so a full disk does not flap. */
export const MIN_FREE_BYTES = 16 * 1024 * 1024;

function requireFreeSpace(dir: string): void {
  let free: number;
  try { const st = statfsSync(dir); free = st.bavail * st.bsize; } catch { return; /* unknown: let the reopen try */ }
  if (free < MIN_FREE_BYTES) throw new StoreError('STORE_WRITE_FAILED', `only ${String(free)} bytes free on the file system of ${dir} (want ${String(MIN_FREE_BYTES)})`);
}

/** A RunStore in `DIR/bluesky.sqlite`; open with `SqliteStore.open`. */
export class SqliteStore extends BaseStore {
  /** The data file's path. */
  readonly path: string;

  readonly #lock: DataDirLock | null;

  private constructor(backend: SqliteBackend, lock: DataDirLock | null, dir: string, options: SqliteStoreOptions) {
    // After a failure, recover() opens the file again (the cause may have been fixed underneath). A write
    // can succeed on a full disk (SQLite reuses its own free pages), so a reopen also wants room to run in.
    super(backend, backend.stateNow(), { ...options, reopen: () => { requireFreeSpace(resolve(dir)); return openSqliteBackend(dir, options); } });
    this.path = backend.location;
    this.#lock = lock;
  }

  /** The counters are the first reads: a damaged file fails here as STORE_CORRUPT, not as a raw SqliteError. */
  static #make(backend: SqliteBackend, lock: DataDirLock | null, dir: string, options: SqliteStoreOptions): SqliteStore {
    try { return new SqliteStore(backend, lock, dir, options); } catch (e) {
      void backend.close();
      throw e instanceof StoreError ? e : openError(backend.location, 'read', e);
    }
  }

  override async close(): Promise<void> {
    try { await super.close(); } finally { this.#lock?.release(); }
  }

  /**
   * Open (creating if needed) the store in `dir`.
   * @throws StoreError STORE_OPEN_FAILED (directory or file not creatable/writable), STORE_LOCKED (another server
   * holds it), STORE_CORRUPT (not a database, or the start-up integrity check failed), STORE_SCHEMA_MISMATCH.
   */
  static open(dir: string, options: SqliteStoreOptions = {}): SqliteStore {
    if (options.readonly === true) return SqliteStore.#make(openSqliteBackend(dir, options), null, dir, options);
    // One writer per directory: a second server is refused before it touches anything.
    const absDir = resolve(dir);
    prepareDirectory(absDir, false);
    const lock = DataDirLock.acquire(absDir);
    try {
      return SqliteStore.#make(openSqliteBackend(dir, options), lock, dir, options);
    } catch (e) {
      lock.release();
      throw e;
    }
  }
}
