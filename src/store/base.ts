/**
 * RunStore over any StoreBackend: the write-ahead queue (one transaction per
 * event-loop turn, one write in flight at a time), run tracking, the seq,
 * document-id and scan_id counters, reads, recovery, JSONL.
 * @module
 */
import type { DocumentMap, DocumentName } from '../model/documents.js';
import { DOCUMENT_JSON, keepMemo, takeMemo } from '../model/memo.js';
import { Serial } from '../model/serial.js';
import type { BackendState, EventRow, PendingDocument, RetentionRule, StoreBackend, WriteBatch } from './backend.js';
import { StoreError, causeText } from './errors.js';
import { parseJsonl, planImport } from './jsonl.js';
import { composeInterruptedStop } from './recovery.js';
import { RunTracker } from './tracker.js';
import type {
  AnyDocument, CommitBatch, DocumentMeta, EventInput, ImportResult, ListRunsQuery, Page, PublishDocument,
  RunStore, RunSummary, StoredDocument, StoredEvent,
} from './types.js';

export interface StoreOptions {
  /** Start a commit as soon as this many entries are pending, without waiting for the turn to end (default 2048). */
  readonly maxBatch?: number;
  /**
   * Group commit: when a turn ends less than this many ms after the last commit, its entries wait
   * (at most that long) for the next turns' instead of being committed at once (default 0: every
   * turn commits). A commit writes whole pages to the WAL; a burst of small commits (one per batch
   * of ~10 events a worker hands over) wrote each page several times.
   */
  readonly groupCommitMs?: number;
  /** How `recover()` gets a working backend after a failure (default: keep the same one and read its state again). */
  readonly reopen?: (failed: StoreBackend) => StoreBackend | Promise<StoreBackend>;
}

export interface RecoverOptions {
  /** The stop documents' `time` (default: now). */
  readonly time?: number;
  /** The stop documents' `reason` (default INTERRUPTED_REASON). */
  readonly reason?: string;
}

interface Waiter { resolve(): void; reject(e: Error): void }

function emptyBatch(): WriteBatch { return { starts: [], documents: [], events: [], stops: [] }; }

/**
 * The JSON text of an event's `data` that the store already made (committed and read-back events):
 * whoever encodes the event (v2 frames) reuses it instead of serialising the document a second time.
 */
const DATA_JSON: unique symbol = Symbol('stored data JSON');

/**
 * `JSON.stringify(event.data)`, as the pieces whose concatenation it is, if the store made it for
 * this event object, else undefined. In pieces: a document event's text is the document's own (made
 * once, at append) between a head and a brace, and joining them would copy it flat only for the
 * frame to copy it again. Taken: the event lets the text go, since its one reader (the v2 frame)
 * keeps what it builds from it; kept, it doubled the memory of the ring's and the disk pages'
 * events beyond the bytes their bound counts.
 */
export function takeStoredDataJson(event: StoredEvent): readonly string[] | undefined {
  return takeMemo<readonly string[]>(event, DATA_JSON) ?? carriedDocumentJson(event);
}

/**
 * Without a store (`serve --no-data`), a document event's data is `{name, doc}` as the journal
 * made it, and its document may have come from the engine's thread with its text (DOCUMENT_JSON):
 * that text, between the same head and brace, so the frame does not encode the document again.
 */
function carriedDocumentJson(event: StoredEvent): readonly string[] | undefined {
  if (event.topic !== 'document') return undefined;
  const data = event.data as { name?: unknown; doc?: unknown } | null;
  if (data === null || typeof data.name !== 'string' || typeof data.doc !== 'object' || data.doc === null) return undefined;
  // Only the exact shape {name, doc}: any other key would be missing from the pieces.
  const keys = Object.keys(data);
  if (keys.length !== 2 || keys[0] !== 'name') return undefined;
  const json = takeMemo<string>(data.doc, DOCUMENT_JSON);
  return json === undefined ? undefined : documentDataJson(data.name, json);
}

function textEvent(seq: number, topic: string, time: number, data: unknown, dataJson: readonly string[]): StoredEvent {
  const e: StoredEvent = { seq, topic, time, data };
  keepMemo(e, DATA_JSON, dataJson);
  return e;
}

/** A document event's data `{name, doc}` as JSON pieces, around the document's own text (made once, at append). */
function documentDataJson(name: string, json: string): readonly string[] {
  let head = DOCUMENT_HEADS.get(name);
  if (head === undefined) {
    head = `{"name":${JSON.stringify(name)},"doc":`;
    if (DOCUMENT_HEADS.size < 16) DOCUMENT_HEADS.set(name, head); // the six document names (an unknown one is not kept)
  }
  return [head, json, '}'];
}
const DOCUMENT_HEADS = new Map<string, string>();

/** Documents read per page by exports and recovery. */
const PAGE = 1000;

export class BaseStore implements RunStore {
  #backend: StoreBackend;
  readonly #maxBatch: number;
  readonly #reopen: StoreOptions['reopen'];
  #tracker = new RunTracker();
  #recovering: Promise<void> | null = null;
  #batch = emptyBatch();
  /** What listeners get for the pending batch: the caller's own objects, no re-parse. */
  #committed: { documents: StoredDocument[]; events: StoredEvent[] } = { documents: [], events: [] };
  #pendingCount = 0;
  /** The pending batch's last event when it is transient: written with the batch, so the largest seq shown is stored. */
  #tail: StoredEvent | null = null;
  /** Callers of commit() waiting for the pending batch. */
  #waiters: Waiter[] = [];
  /** The waiters of the batch being written, null when no write is in flight. */
  #flight: Waiter[] | null = null;
  #immediate: NodeJS.Immediate | null = null;
  readonly #groupMs: number;
  #groupTimer: NodeJS.Timeout | null = null;
  /** performance.now() when the last commit ended. */
  #lastCommitAt = -Infinity;
  /** Backend writes run one at a time, in the order they were asked for. */
  readonly #writes = new Serial();
  #commitListeners: Array<(batch: CommitBatch) => void> = [];
  #errorListeners: Array<(error: Error) => void> = [];
  #failure: StoreError | null = null;
  #closed = false;
  #nextSeq: number;
  #committedSeq: number;
  #oldestSeq: number | null;
  #nextDocId: number;
  #committedDocId: number;
  #lastScanId: number;
  /** A listener that throws must not undo a commit or starve the other listeners; by default its error surfaces as uncaught. */
  onListenerError: (error: unknown) => void = (e) => { queueMicrotask(() => { throw e; }); };

  /** `state` is what `backend.state()` resolved to (a backend opened asynchronously reads it first). */
  constructor(backend: StoreBackend, state: BackendState, options: StoreOptions = {}) {
    this.#backend = backend;
    this.#maxBatch = options.maxBatch ?? 2048;
    this.#groupMs = options.groupCommitMs ?? 0;
    this.#reopen = options.reopen;
    this.#committedSeq = state.maxSeq;
    this.#nextSeq = state.maxSeq + 1;
    this.#oldestSeq = state.oldestSeq;
    this.#nextDocId = state.maxDocumentId + 1;
    this.#committedDocId = state.maxDocumentId;
    this.#lastScanId = state.maxScanId;
  }

  /** Open a store over a backend whose state must be read asynchronously (e.g. PostgreSQL). */
  static async over(backend: StoreBackend, options: StoreOptions = {}): Promise<BaseStore> {
    return new BaseStore(backend, await backend.state(), options);
  }

  get location(): string { return this.#backend.location; }
  get backlog(): number { return this.#pendingCount; }
  get failure(): Error | null { return this.#failure; }

  appendDocument(name: DocumentName, doc: AnyDocument, meta?: DocumentMeta, time = Date.now() / 1000): number {
    this.#queueDocumentEvent(name, doc, meta, false, time);
    this.#queued();
    return this.#nextSeq - 1;
  }

  appendEvent(event: EventInput): number {
    this.#writable();
    const seq = this.#nextSeq++;
    const data = event.data;
    if (event.transient === true) {
      // Written only if it ends the batch (see #drain); encoded then, or by whoever shows it.
      const shown: StoredEvent = { seq, topic: event.topic, time: event.time, data };
      this.#committed.events.push(shown);
      this.#tail = shown;
    } else {
      const dataJson = JSON.stringify(data ?? null);
      this.#batch.events.push({ seq, topic: event.topic, time: event.time, dataJson, docId: null });
      // `data: undefined` is encoded by JSON.stringify(event) without its key: only defined data has a reusable text.
      this.#committed.events.push(data === undefined ? { seq, topic: event.topic, time: event.time, data } : textEvent(seq, event.topic, event.time, data, [dataJson]));
      this.#tail = null;
    }
    this.#queued();
    return seq;
  }

  /** A document and its `document` event, queued (the caller counts them pending). */
  #queueDocumentEvent(name: DocumentName, doc: AnyDocument, meta: DocumentMeta | undefined, interrupted: boolean, time: number): void {
    const entry = this.#queueDocument(name, doc, meta, interrupted);
    const seq = this.#nextSeq++;
    this.#batch.events.push({ seq, topic: 'document', time, dataJson: null, docId: entry.id });
    this.#committed.events.push(textEvent(seq, 'document', time, { name, doc }, documentDataJson(name, entry.json)));
    this.#tail = null;
  }

  #queueDocument(name: DocumentName, doc: AnyDocument, meta: DocumentMeta | undefined, interrupted: boolean): PendingDocument {
    this.#writable();
    if (name === 'start') this.#refuseOpenRun((doc as { uid?: unknown }).uid);
    const json = takeMemo<string>(doc, DOCUMENT_JSON) ?? JSON.stringify(doc);
    const obs = this.#tracker.observe(name, doc, meta, interrupted);
    const entry: PendingDocument = { id: this.#nextDocId++, runUid: obs.runUid, name, json };
    if (obs.start !== undefined) {
      this.#batch.starts.push({ ...obs.start, firstDocId: entry.id });
      if (!obs.start.imported && obs.start.scanId !== null) this.#lastScanId = Math.max(this.#lastScanId, obs.start.scanId);
    }
    this.#batch.documents.push(entry);
    if (obs.stop !== undefined) this.#batch.stops.push({ ...obs.stop, lastDocId: entry.id });
    this.#committed.documents.push({ id: entry.id, runUid: obs.runUid, name, doc });
    return entry;
  }

  #refuseOpenRun(uid: unknown): void {
    if (typeof uid === 'string' && (this.#tracker.isOpen(uid) || this.#batch.starts.some((s) => s.uid === uid))) {
      throw new StoreError('STORE_DUPLICATE_RUN', `a run with uid ${uid} is already open in ${this.location}`);
    }
  }

  #queued(): void {
    this.#pendingCount++;
    if (this.#pendingCount >= this.#maxBatch) { this.#kick(); return; }
    // One commit per event-loop turn: everything appended in this turn shares a transaction.
    this.#immediate ??= setImmediate(this.#endOfTurn);
  }

  readonly #endOfTurn = (): void => {
    this.#immediate = null;
    const wait = this.#lastCommitAt + this.#groupMs - performance.now();
    if (wait > 0) { this.#groupTimer ??= setTimeout(this.#kick, Math.ceil(wait)); return; }
    this.#kick();
  };

  #writable(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', `the store ${this.location} is closed`);
    if (this.#failure !== null) throw this.#failure;
  }

  commit(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#pendingCount === 0 && this.#flight === null) return Promise.resolve();
    // Nothing pending: wait for the batch in flight; else for the pending one.
    const into = this.#pendingCount === 0 && this.#flight !== null ? this.#flight : this.#waiters;
    const done = new Promise<void>((resolve, reject) => { into.push({ resolve, reject }); });
    this.#kick();
    return done;
  }

  /** Start draining unless a write is in flight (the drain loop then takes the pending batch next). */
  readonly #kick = (): void => {
    if (this.#immediate !== null) { clearImmediate(this.#immediate); this.#immediate = null; }
    if (this.#groupTimer !== null) { clearTimeout(this.#groupTimer); this.#groupTimer = null; }
    if (this.#flight !== null || this.#pendingCount === 0 || this.#failure !== null) return;
    void this.#drain();
  };

  async #drain(): Promise<void> {
    // Checked and cleared synchronously with the loop's end, so a kick never finds a drain that will not look again.
    while (this.#pendingCount > 0 && this.#failure === null) {
      const batch = this.#batch;
      const committed = this.#committed;
      const waiters = this.#waiters;
      const tail = this.#tail;
      if (tail !== null) {
        const dataJson = JSON.stringify(tail.data ?? null);
        batch.events.push({ seq: tail.seq, topic: tail.topic, time: tail.time, dataJson, docId: null });
        if (tail.data !== undefined) keepMemo(tail, DATA_JSON, [dataJson]);
      }
      this.#tail = null;
      this.#flight = waiters;
      this.#batch = emptyBatch();
      this.#committed = { documents: [], events: [] };
      this.#waiters = [];
      this.#pendingCount = 0;
      try {
        await this.#writes.run(() => this.#backend.write(batch));
      } catch (e) {
        this.#flight = null;
        this.#fail(new StoreError('STORE_WRITE_FAILED', `could not commit ${batch.documents.length} documents and ${batch.events.length} events to ${this.location}: ${causeText(e)}`, { cause: e }), waiters);
        return;
      }
      const lastDoc = committed.documents[committed.documents.length - 1];
      if (lastDoc !== undefined) this.#committedDocId = lastDoc.id;
      const lastEvent = committed.events[committed.events.length - 1];
      if (lastEvent !== undefined) {
        this.#committedSeq = lastEvent.seq;
        this.#oldestSeq ??= batch.events[0]?.seq ?? null;
      }
      this.#lastCommitAt = performance.now();
      for (const l of this.#commitListeners) {
        try { l(committed); } catch (e) { this.onListenerError(e); }
      }
      this.#flight = null;
      for (const w of waiters) w.resolve();
    }
  }

  #fail(failure: StoreError, waiters: Waiter[]): void {
    this.#failure = failure;
    // What was queued behind the failed batch is refused with it: nothing after a gap is written.
    // Its numbers were never shown to anyone, so numbering resumes after what was committed.
    this.#nextSeq = this.#committedSeq + 1;
    this.#nextDocId = this.#committedDocId + 1;
    const all = [...waiters, ...this.#waiters];
    this.#batch = emptyBatch();
    this.#tail = null;
    this.#committed = { documents: [], events: [] };
    this.#waiters = [];
    this.#pendingCount = 0;
    for (const l of this.#errorListeners) {
      try { l(failure); } catch (e) { this.onListenerError(e); }
    }
    for (const w of all) w.reject(failure);
    // With nobody listening and nobody waiting, fail loudly rather than lose writes quietly.
    if (this.#errorListeners.length === 0 && all.length === 0) this.onListenerError(failure);
  }

  skipSeq(): number {
    if (this.#failure === null) throw new StoreError('STORE_WRITE_FAILED', 'skipSeq: the store works; append the event instead');
    const seq = this.#nextSeq++;
    this.#committedSeq = seq;
    return seq;
  }

  recover(): Promise<void> {
    if (this.#failure === null) return Promise.resolve();
    this.#recovering ??= this.#recover().finally(() => { this.#recovering = null; });
    return this.#recovering;
  }

  async #recover(): Promise<void> {
    const failure = this.#failure;
    if (failure === null || this.#closed) return;
    await this.#writes.settled();
    let backend = this.#backend;
    let state: BackendState;
    try {
      if (this.#reopen !== undefined) {
        try { await backend.close(); } catch { /* it failed already; a fresh one replaces it */ }
        backend = await this.#reopen(backend);
      }
      state = await backend.state();
    } catch (e) {
      throw new StoreError('STORE_WRITE_FAILED', `${failure.message}; reopening ${this.location} failed too: ${causeText(e)}`, { cause: e });
    }
    this.#backend = backend;
    this.#nextSeq = Math.max(state.maxSeq, this.#nextSeq - 1) + 1;
    this.#committedSeq = this.#nextSeq - 1;
    this.#oldestSeq = state.oldestSeq ?? this.#oldestSeq;
    this.#nextDocId = state.maxDocumentId + 1;
    this.#committedDocId = state.maxDocumentId;
    this.#lastScanId = Math.max(this.#lastScanId, state.maxScanId);
    // Runs open when the store failed cannot go on: recovery closes them, naming the cause.
    this.#tracker = new RunTracker();
    this.#failure = null;
    try {
      await this.recoverInterrupted(undefined, { reason: `run storage failed: ${causeText(failure.cause ?? failure)}` });
    } catch (e) {
      throw this.#failure ?? e;
    }
  }

  onCommit(listener: (batch: CommitBatch) => void): () => void {
    this.#commitListeners = [...this.#commitListeners, listener];
    return () => { this.#commitListeners = this.#commitListeners.filter((l) => l !== listener); };
  }

  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners = [...this.#errorListeners, listener];
    return () => { this.#errorListeners = this.#errorListeners.filter((l) => l !== listener); };
  }

  async readEvents(sinceSeq: number, limit: number, throughSeq?: number): Promise<StoredEvent[]> {
    this.#readable();
    return (await this.#backend.readEvents(sinceSeq, limit, throughSeq)).map(eventFromRow);
  }

  oldestSeq(): number | null { return this.#oldestSeq; }
  latestSeq(): number { return this.#committedSeq; }
  appendedSeq(): number { return this.#nextSeq - 1; }

  listRuns(query: ListRunsQuery = {}): Promise<RunSummary[]> { this.#readable(); return this.#backend.listRuns(query); }
  getRun(uid: string): Promise<RunSummary | undefined> { this.#readable(); return this.#backend.getRun(uid); }

  async getDocuments(uid: string, page: Page = {}): Promise<Array<[DocumentName, AnyDocument]>> {
    this.#readable();
    const rows = await this.#backend.documents(uid, { offset: page.offset ?? 0, limit: page.limit ?? Number.MAX_SAFE_INTEGER });
    return rows.map((r) => [r.name, JSON.parse(r.json) as AnyDocument]);
  }

  lastScanId(): number { return this.#lastScanId; }

  async recoverInterrupted(publish?: PublishDocument, options: RecoverOptions = {}): Promise<Array<DocumentMap['stop']>> {
    this.#writable();
    await this.commit();
    const stops: Array<DocumentMap['stop']> = [];
    for (const uid of await this.#backend.unclosedRuns()) {
      if (this.#tracker.isOpen(uid)) continue; // a run of this process, still going
      const stop = composeInterruptedStop(uid, await this.getDocuments(uid), options.time, options.reason);
      this.#queueDocumentEvent('stop', stop, undefined, true, stop.time);
      this.#pendingCount++;
      stops.push(stop);
    }
    await this.commit(); // committed before anyone is told: the write-ahead promise holds for recovery too
    for (const stop of stops) publish?.('stop', stop);
    return stops;
  }

  async *exportRun(uid: string, options: { readonly pageSize?: number } = {}): AsyncGenerator<string> {
    this.#readable();
    if (!await this.#backend.hasRun(uid)) throw new StoreError('STORE_UNKNOWN_RUN', `no run with uid ${uid} in ${this.location}`);
    const limit = Math.max(1, options.pageSize ?? PAGE);
    let afterId = 0;
    for (;;) {
      this.#readable();
      const rows = await this.#backend.documents(uid, { afterId, limit });
      if (rows.length === 0) return;
      let chunk = '';
      for (const r of rows) chunk += `["${r.name}",${r.json}]\n`;
      yield chunk;
      afterId = rows[rows.length - 1]?.id ?? afterId;
      if (rows.length < limit) return;
      // A backend that answers at once (SQLite) would otherwise run the whole export in one turn of the loop.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async importJsonl(lines: Iterable<string>): Promise<ImportResult> {
    this.#writable();
    await this.commit();
    const entries = parseJsonl(lines);
    const known = new Set<string>();
    for (const e of entries) {
      const uid = (e.doc as { uid?: unknown }).uid;
      if (e.name === 'start' && typeof uid === 'string' && await this.#backend.hasRun(uid)) known.add(uid);
    }
    const firstId = this.#nextDocId;
    const plan = planImport(entries, (uid) => known.has(uid), firstId);
    // Numbered before the write so that appends meanwhile cannot take the same ids.
    this.#nextDocId = firstId + plan.batch.documents.length;
    try {
      await this.#writes.run(() => this.#backend.write(plan.batch));
    } catch (e) {
      throw new StoreError('STORE_WRITE_FAILED', `could not import into ${this.location}: ${causeText(e)}`, { cause: e });
    }
    return { runs: plan.runs, documents: plan.batch.documents.length };
  }

  async pruneEvents(rule: RetentionRule): Promise<void> {
    this.#readable();
    await this.commit();
    this.#oldestSeq = await this.#backend.pruneEvents(rule);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#failure === null) await this.commit();
    } finally {
      this.#closed = true;
      await this.#backend.close();
    }
  }

  #readable(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', `the store ${this.location} is closed`);
  }
}

function eventFromRow(r: EventRow): StoredEvent {
  if (r.dataJson !== null) return textEvent(r.seq, r.topic, r.time, JSON.parse(r.dataJson) as unknown, [r.dataJson]);
  if (r.docJson === null || r.docName === null) return { seq: r.seq, topic: r.topic, time: r.time, data: { name: r.docName, doc: null } };
  return textEvent(r.seq, r.topic, r.time, { name: r.docName, doc: JSON.parse(r.docJson) as unknown }, documentDataJson(r.docName, r.docJson));
}
