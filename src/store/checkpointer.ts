/**
 * WAL checkpoints off the server's thread. SQLite's automatic checkpoint runs
 * inside the commit that crosses 1,000 pages: it copies ~4 MB into the database
 * file and fsyncs both files on the thread that answers every client, which
 * was the longest stall of a fast count (40–170 ms per checkpoint, more on a
 * busy disk). Here a worker thread with its own connection runs PASSIVE
 * checkpoints (they never block the writer) while the main connection keeps
 * committing; the main thread only finishes the small tail a worker checkpoint
 * could not copy (what was committed while it ran), so that the WAL can start
 * over instead of growing for the length of a run.
 * @module
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

export interface CheckpointerOptions {
  /** Ask the worker for a checkpoint at most this often while commits arrive. Default 200 ms. */
  readonly everyMs?: number;
  /**
   * The main thread finishes a checkpoint (so the WAL can start over) once the WAL holds this many
   * pages and a worker checkpoint left at most `tailPages` uncopied. Default 16,384 (64 MiB): a
   * WAL only starts over after a checkpoint that copied everything, which a worker rarely manages
   * while a fast run commits every few milliseconds; a run under 64 MiB never pays for a tail.
   */
  readonly resetPages?: number;
  /** Default 1,000 (SQLite's own checkpoint size). */
  readonly tailPages?: number;
  /**
   * The WAL's bound. When commits arrive faster than the worker copies (a busy or slow disk), no
   * worker checkpoint ever leaves a small tail; once a worker reports a WAL this large the main
   * thread finishes the checkpoint whatever it costs, so the WAL never grows with the run.
   * Default 4 × `resetPages` (256 MiB).
   */
  readonly maxPages?: number;
  /** Start the thread now instead of at the first checkpoint (serve's warm-up: see SqliteStoreOptions.checkpointThreadAtOpen). Default false. */
  readonly startNow?: boolean;
}

// Plain JavaScript run with `eval`: no TypeScript loader is needed in the worker, from src/ or dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
parentPort.on('message', (m) => {
  if (m === 'close') { db.close(); parentPort.close(); return; }
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (e) { parentPort.postMessage({ ok: false, error: String(e && e.message || e) }); }
});
`;

/** What one checkpoint did (SQLite's own figures, in WAL pages). */
export interface CheckpointResult { readonly busy: number; readonly log: number; readonly checkpointed: number }

export interface CheckpointerStats {
  /** Checkpoints the worker completed. */
  readonly worker: number;
  /** Tails the main thread finished. */
  readonly tails: number;
  /** The last checkpoint's figures, if any. */
  readonly last: CheckpointResult | null;
  /** Why the worker stopped, if it did (the main connection then checkpoints by itself again). */
  readonly failure: string | null;
}

/**
 * Checkpoints a WAL-mode database from a worker thread. Turns the main connection's
 * automatic checkpoint off while it runs and back on if the worker fails.
 */
export class Checkpointer {
  readonly #db: Database.Database;
  readonly #path: string;
  /** Started at the first checkpoint unless `startNow`: a store that is opened and closed again costs no thread. */
  #worker: Worker | null = null;
  #inFlight = false;
  #lastAsk = performance.now();
  #closed: Promise<void> | null = null;
  #stats: { worker: number; tails: number; last: CheckpointResult | null; failure: string | null } = { worker: 0, tails: 0, last: null, failure: null };
  /** Pages the last worker checkpoint left in the WAL (its log minus what it copied). */
  #tail: { log: number; left: number } | null = null;

  readonly #everyMs: number;
  readonly #resetPages: number;
  readonly #tailPages: number;
  readonly #maxPages: number;

  /** `db` is the writing connection of the file at `path` (already in WAL mode). */
  constructor(db: Database.Database, path: string, options: CheckpointerOptions = {}) {
    this.#db = db;
    this.#path = path;
    this.#everyMs = options.everyMs ?? 200;
    this.#resetPages = options.resetPages ?? 16_384;
    this.#tailPages = options.tailPages ?? 1_000;
    this.#maxPages = options.maxPages ?? 4 * this.#resetPages;
    db.pragma('wal_autocheckpoint = 0');
    // After the WAL starts over, its file is cut back to this size instead of keeping a large run's.
    db.pragma(`journal_size_limit = ${String(this.#resetPages * 4096)}`);
    if (options.startNow === true) this.#worker = this.#start();
  }

  #start(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    // execArgv []: the plain-JavaScript thread needs none of the process's loaders (tsx in development).
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { driver, path: this.#path } });
    worker.on('message', (m: { ok: true } & CheckpointResult | { ok: false; error: string }) => {
      this.#inFlight = false;
      if (!m.ok) { this.#fail(m.error); return; }
      this.#stats.worker++;
      this.#stats.last = { busy: m.busy, log: m.log, checkpointed: m.checkpointed };
      this.#tail = { log: m.log, left: m.log - m.checkpointed };
    });
    worker.on('error', (e) => { this.#fail(e.message); });
    worker.on('exit', () => { if (this.#closed === null) this.#fail('the checkpoint thread exited'); });
    // A checkpointer never keeps a process alive; close() ends it properly. After the listeners:
    // adding a 'message' listener refs the worker's port again.
    worker.unref();
    return worker;
  }

  get stats(): CheckpointerStats { return { ...this.#stats }; }

  /** Call after each commit of the main connection (cheap: a clock read, a message now and then). */
  committed(): void {
    if (this.#stats.failure !== null || this.#closed !== null) return;
    const tail = this.#tail;
    if (tail !== null && !this.#inFlight && tail.log >= this.#resetPages && (tail.left <= this.#tailPages || tail.log >= this.#maxPages)) {
      // A small copy on this thread completes the checkpoint, so the next commit starts the WAL over
      // (or, past the bound, a large one: a stall is better than a WAL without end).
      this.#tail = null;
      const [r] = this.#db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
      this.#stats.tails++;
      if (r !== undefined) this.#stats.last = r;
      return;
    }
    if (this.#inFlight) return;
    const now = performance.now();
    if (now - this.#lastAsk < this.#everyMs) return;
    this.#lastAsk = now;
    this.#inFlight = true;
    this.#worker ??= this.#start();
    this.#worker.postMessage('checkpoint');
  }

  /** Ends the worker (after its checkpoint in flight) and closes its connection. Idempotent. */
  close(): Promise<void> {
    const worker = this.#worker;
    this.#closed ??= worker === null || this.#stats.failure !== null ? Promise.resolve() : new Promise<void>((resolve) => {
      const done = setTimeout(() => { void worker.terminate().then(() => resolve()); }, 5_000);
      done.unref();
      // Closing is awaited: the thread keeps the process alive until its connection is closed.
      worker.ref();
      worker.once('exit', () => { clearTimeout(done); resolve(); });
      worker.postMessage('close');
    });
    return this.#closed;
  }

  #fail(reason: string): void {
    if (this.#stats.failure !== null || this.#closed !== null) return;
    this.#stats.failure = reason;
    // Checkpoints must go on somewhere, or the WAL grows without end: back to SQLite's own.
    try { this.#db.pragma('wal_autocheckpoint = 1000'); } catch { /* the connection is closing */ }
    void this.#worker?.terminate();
  }
}
