/**
 * RunStore over any StoreBackend: the write-ahead batch (one transaction per
 * event-loop turn), run tracking, seq and scan_id counters, reads, recovery, JSONL.
 * @module
 */
import type { DocumentMap, DocumentName } from '../model/documents.js';
import type { EventRow, PendingDocument, StoreBackend, WriteBatch } from './backend.js';
import { StoreError, causeText } from './errors.js';
import { parseJsonl, planImport } from './jsonl.js';
import { composeInterruptedStop } from './recovery.js';
import { RunTracker } from './tracker.js';
import type {
  AnyDocument, CommitBatch, DocumentMeta, EventInput, ImportResult, ListRunsQuery, Page, PublishDocument,
  RunStore, RunSummary, StoredDocument, StoredEvent,
} from './types.js';

export interface StoreOptions {
  /** Commit as soon as this many entries are pending, without waiting for the turn to end (default 2048). */
  readonly maxBatch?: number;
}

export interface RecoverOptions {
  /** Also log each recovered stop as a v2 `document` event (appendDocumentEvent). */
  readonly logEvents?: boolean;
  /** The stop documents' `time` (default: now). */
  readonly time?: number;
}

function emptyBatch(): WriteBatch { return { starts: [], documents: [], events: [], stops: [] }; }

export class BaseStore implements RunStore {
  readonly #backend: StoreBackend;
  readonly #maxBatch: number;
  readonly #tracker = new RunTracker();
  #batch = emptyBatch();
  /** What listeners get for the pending batch: the caller's own objects, no re-parse. */
  #committed: { documents: StoredDocument[]; events: StoredEvent[] } = { documents: [], events: [] };
  #pendingCount = 0;
  #immediate: NodeJS.Immediate | null = null;
  #commitListeners: Array<(batch: CommitBatch) => void> = [];
  #errorListeners: Array<(error: Error) => void> = [];
  #failure: StoreError | null = null;
  #closed = false;
  #nextSeq: number;
  #committedSeq: number;
  #nextDocId: number;
  #lastScanId: number;
  /** A listener that throws must not undo a commit or starve the other listeners; by default its error surfaces as uncaught. */
  onListenerError: (error: unknown) => void = (e) => { queueMicrotask(() => { throw e; }); };

  constructor(backend: StoreBackend, options: StoreOptions = {}) {
    this.#backend = backend;
    this.#maxBatch = options.maxBatch ?? 2048;
    this.#committedSeq = backend.maxSeq();
    this.#nextSeq = this.#committedSeq + 1;
    this.#nextDocId = backend.maxDocumentId() + 1;
    this.#lastScanId = backend.maxScanId();
  }

  get location(): string { return this.#backend.location; }

  appendDocument(name: DocumentName, doc: AnyDocument, meta?: DocumentMeta): void {
    this.#queueDocument(name, doc, meta, false);
  }

  appendEvent(event: EventInput): number {
    this.#writable();
    const seq = this.#nextSeq++;
    const dataJson = JSON.stringify(event.data ?? null);
    this.#batch.events.push({ seq, topic: event.topic, time: event.time, dataJson, docId: null });
    this.#committed.events.push({ seq, topic: event.topic, time: event.time, data: event.data });
    this.#queued();
    return seq;
  }

  appendDocumentEvent(name: DocumentName, doc: AnyDocument, time: number, meta?: DocumentMeta): number {
    const stored = this.#queueDocument(name, doc, meta, false, true);
    const seq = this.#nextSeq++;
    this.#batch.events.push({ seq, topic: 'document', time, dataJson: null, docId: stored.id });
    this.#committed.events.push({ seq, topic: 'document', time, data: { name, doc } });
    this.#queued();
    return seq;
  }

  #queueDocument(name: DocumentName, doc: AnyDocument, meta: DocumentMeta | undefined, interrupted: boolean, deferSchedule = false): StoredDocument {
    this.#writable();
    if (name === 'start') this.#refuseKnownRun((doc as { uid?: unknown }).uid);
    const json = JSON.stringify(doc);
    const obs = this.#tracker.observe(name, doc, meta, interrupted);
    const entry: PendingDocument = { id: this.#nextDocId++, runUid: obs.runUid, name, json };
    if (obs.start !== undefined) {
      this.#batch.starts.push({ ...obs.start, firstDocId: entry.id });
      if (!obs.start.imported && obs.start.scanId !== null) this.#lastScanId = Math.max(this.#lastScanId, obs.start.scanId);
    }
    this.#batch.documents.push(entry);
    if (obs.stop !== undefined) this.#batch.stops.push({ ...obs.stop, lastDocId: entry.id });
    const stored: StoredDocument = { id: entry.id, runUid: obs.runUid, name, doc };
    this.#committed.documents.push(stored);
    if (!deferSchedule) this.#queued();
    return stored;
  }

  #refuseKnownRun(uid: unknown): void {
    const pending = (u: string): boolean => this.#tracker.isOpen(u) || this.#batch.starts.some((s) => s.uid === u);
    if (typeof uid === 'string' && (pending(uid) || this.#backend.hasRun(uid))) {
      throw new StoreError('STORE_DUPLICATE_RUN', `a run with uid ${uid} is already stored in ${this.location}`);
    }
  }

  #queued(): void {
    this.#pendingCount++;
    if (this.#pendingCount >= this.#maxBatch) { this.flush(); return; }
    // One commit per event-loop turn: everything appended in this turn shares a transaction.
    this.#immediate ??= setImmediate(() => { this.#immediate = null; this.#flushFromTimer(); });
  }

  #writable(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', `the store ${this.location} is closed`);
    if (this.#failure !== null) throw this.#failure;
  }

  #flushFromTimer(): void {
    try { this.flush(); } catch (e) {
      // With nobody listening for errors, crash loudly rather than lose writes quietly.
      if (this.#errorListeners.length === 0) throw e;
    }
  }

  flush(): void {
    if (this.#immediate !== null) { clearImmediate(this.#immediate); this.#immediate = null; }
    if (this.#pendingCount === 0) return;
    const batch = this.#batch;
    const committed = this.#committed;
    this.#batch = emptyBatch();
    this.#committed = { documents: [], events: [] };
    this.#pendingCount = 0;
    try {
      this.#backend.write(batch);
    } catch (e) {
      this.#failure = new StoreError('STORE_WRITE_FAILED', `could not commit ${batch.documents.length} documents and ${batch.events.length} events to ${this.location}: ${causeText(e)}`, { cause: e });
      for (const l of this.#errorListeners) l(this.#failure);
      throw this.#failure;
    }
    const lastEvent = committed.events[committed.events.length - 1];
    if (lastEvent !== undefined) this.#committedSeq = lastEvent.seq;
    for (const l of this.#commitListeners) {
      try { l(committed); } catch (e) { this.onListenerError(e); }
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

  readEvents(sinceSeq: number, limit: number): StoredEvent[] {
    this.#readable();
    return this.#backend.readEvents(sinceSeq, limit).map(eventFromRow);
  }

  oldestSeq(): number | null { this.#readable(); return this.#backend.oldestSeq(); }
  latestSeq(): number { this.#readable(); return this.#committedSeq; }

  listRuns(query: ListRunsQuery = {}): RunSummary[] { this.#readable(); return this.#backend.listRuns(query); }
  getRun(uid: string): RunSummary | undefined { this.#readable(); return this.#backend.getRun(uid); }

  getDocuments(uid: string, page: Page = {}): Array<[DocumentName, AnyDocument]> {
    this.#readable();
    const rows = this.#backend.documents(uid, page.offset ?? 0, page.limit ?? Number.MAX_SAFE_INTEGER);
    return rows.map((r) => [r.name, JSON.parse(r.json) as AnyDocument]);
  }

  lastScanId(): number { return this.#lastScanId; }

  recoverInterrupted(publish?: PublishDocument, options: RecoverOptions = {}): Array<DocumentMap['stop']> {
    this.#writable();
    this.flush();
    const stops: Array<DocumentMap['stop']> = [];
    for (const uid of this.#backend.unclosedRuns()) {
      if (this.#tracker.isOpen(uid)) continue; // a run of this process, still going
      const stop = composeInterruptedStop(uid, this.getDocuments(uid), options.time);
      const stored = this.#queueDocument('stop', stop, undefined, true, true);
      if (options.logEvents === true) {
        const seq = this.#nextSeq++;
        this.#batch.events.push({ seq, topic: 'document', time: stop.time, dataJson: null, docId: stored.id });
        this.#committed.events.push({ seq, topic: 'document', time: stop.time, data: { name: 'stop', doc: stop } });
      }
      this.#pendingCount++;
      stops.push(stop);
    }
    this.flush(); // committed before anyone is told: the write-ahead promise holds for recovery too
    for (const stop of stops) publish?.('stop', stop);
    return stops;
  }

  exportRun(uid: string): string[] {
    this.#readable();
    if (!this.#backend.hasRun(uid)) throw new StoreError('STORE_UNKNOWN_RUN', `no run with uid ${uid} in ${this.location}`);
    return this.#backend.documents(uid, 0, Number.MAX_SAFE_INTEGER).map((r) => `["${r.name}",${r.json}]`);
  }

  importJsonl(lines: Iterable<string>): ImportResult {
    this.#writable();
    this.flush();
    const entries = parseJsonl(lines);
    const firstId = this.#nextDocId;
    const plan = planImport(entries, (uid) => this.#backend.hasRun(uid), firstId);
    try {
      this.#backend.write(plan.batch);
    } catch (e) {
      throw new StoreError('STORE_WRITE_FAILED', `could not import into ${this.location}: ${causeText(e)}`, { cause: e });
    }
    this.#nextDocId = firstId + plan.batch.documents.length;
    return { runs: plan.runs, documents: plan.batch.documents.length };
  }

  close(): void {
    if (this.#closed) return;
    try { if (this.#failure === null) this.flush(); } finally {
      this.#closed = true;
      this.#backend.close();
    }
  }

  #readable(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', `the store ${this.location} is closed`);
  }
}

function eventFromRow(r: EventRow): StoredEvent {
  const data = r.dataJson !== null ? JSON.parse(r.dataJson) as unknown
    : { name: r.docName, doc: r.docJson === null ? null : JSON.parse(r.docJson) as unknown };
  return { seq: r.seq, topic: r.topic, time: r.time, data };
}
