/**
 * The RunStore contract shared by MemoryStore and SqliteStore: durable
 * documents, the run index, the v2 event log and persistent scan_id.
 * @module
 */
import type { DocumentMap, DocumentName } from '../model/documents.js';
import type { RetentionRule } from './backend.js';

/** Any document as the engine emits it. */
export type AnyDocument = DocumentMap[DocumentName];

/** What the caller knows about a run that the start document does not say. */
export interface DocumentMeta {
  /** The dispatcher's item id for the plan that opened this run. */
  readonly itemId?: string;
  /** Plan name when the start document has none (or a more precise one). */
  readonly planName?: string;
  /** The plan's parameters, stored as JSON. */
  readonly params?: unknown;
}

/** A v2 server event, before its `seq` is assigned. */
export interface EventInput {
  readonly topic: string;
  readonly time: number;
  readonly data: unknown;
  /**
   * Shown, not kept (progress: derivable from the documents, superseded by the next one). Numbered
   * in the same stream and handed to `onCommit` listeners with its batch, in order, but not written
   * to the backend's log, so a replay from the store passes over its seq. The last event of a
   * commit is written whatever it is: the largest seq shown is on disk, and a reopened store never
   * numbers anything with a seq someone has already seen.
   */
  readonly transient?: boolean;
}

/** A v2 server event as stored: `seq` is server-wide, +1 per event, continuing across restarts (transient events are numbered but not stored, so stored seqs have gaps). */
export interface StoredEvent {
  readonly seq: number;
  readonly topic: string;
  readonly time: number;
  readonly data: unknown;
}

/** A document as committed: `id` is the store-wide emission order; `runUid` null if no run claims it. */
export interface StoredDocument {
  readonly id: number;
  readonly runUid: string | null;
  readonly name: DocumentName;
  readonly doc: AnyDocument;
}

/** Everything one commit made durable, in append order; handed to `onCommit` listeners. */
export interface CommitBatch {
  readonly documents: readonly StoredDocument[];
  readonly events: readonly StoredEvent[];
}

/** One row of the run index. */
export interface RunSummary {
  readonly uid: string;
  readonly scanId: number | null;
  readonly planName: string | null;
  readonly itemId: string | null;
  readonly params: unknown;
  /** Start document `time` (seconds since the epoch). */
  readonly startTime: number;
  readonly stopTime: number | null;
  readonly exitStatus: string | null;
  readonly reason: string | null;
  /** Events per stream: the stop document's `num_events` or, without one, the stored events counted. Null while open. */
  readonly numEvents: Readonly<Record<string, number>> | null;
  /** True when the stop document was written by `recoverInterrupted`. */
  readonly interrupted: boolean;
  /** True when the run came from `importJsonl` rather than from this server's engine. */
  readonly imported: boolean;
  /** The server (`--instance`) that recorded it, in a store several servers share (PostgreSQL); absent otherwise. */
  readonly instance?: string;
}

export interface ListRunsQuery {
  /** Default 100. */
  readonly limit?: number;
  readonly offset?: number;
  /** Only runs whose plan name equals this. */
  readonly plan?: string;
  /** Only runs started at or after this time (seconds since the epoch). */
  readonly since?: number;
  /** Only runs whose uid starts with this (the short uids the CLI and panel print). */
  readonly uidPrefix?: string;
  /** Only runs of this server (`--instance`), in a store several servers share; ignored by single-server stores. */
  readonly instance?: string;
}

export interface Page {
  readonly offset?: number;
  readonly limit?: number;
}

/** The publisher of recovered stop documents: same shape as an engine document callback. */
export type PublishDocument = (name: DocumentName, doc: AnyDocument) => void;

export interface ImportResult {
  readonly runs: readonly string[];
  readonly documents: number;
}

/**
 * The run store: the dispatcher's write-ahead subscriber and the one numbered
 * stream of the server (see docs/storage.md).
 *
 * Writing: `appendDocument`/`appendEvent` queue synchronously and return the
 * entry's `seq` at once (call order = seq order = commit order). The queue is
 * committed as one transaction per event-loop turn, when it reaches its size cap,
 * or on `commit()`. `onCommit` listeners get each batch only after it is durable:
 * whoever fans out from `onCommit` (v2, SSE, the bus, document callbacks) never
 * shows anyone a document that a crash could lose. After a failed commit the store
 * refuses appends (STORE_WRITE_FAILED) until reopened.
 *
 * Reading: committed data only, always through promises (a backend may be remote).
 * `location`, `latestSeq`, `oldestSeq` and `lastScanId` are counters the store keeps
 * in memory, hence synchronous.
 */
export interface RunStore {
  /** `memory`, the path of the SQLite file, or the database URL without password. */
  readonly location: string;

  /**
   * Queue a document and its `document` event (data `{name, doc}`; the JSON is stored once); returns the event's seq.
   * `time` is the event's time (default now). Throws synchronously if the store failed or is closed, or for a start
   * whose uid is open or pending here (a uid already committed fails the commit instead: uids are uuid4s).
   */
  appendDocument(name: DocumentName, doc: AnyDocument, meta?: DocumentMeta, time?: number): number;
  /** Queue a non-document event (state, progress, exception, log); returns its seq. */
  appendEvent(event: EventInput): number;
  /** Resolves once everything appended before the call is committed (and its listeners told); rejects with the commit's failure. */
  commit(): Promise<void>;
  /** Entries appended and not yet committed (for flow control). */
  readonly backlog: number;
  /** Listen to committed batches, in order; returns the removal function. */
  onCommit(listener: (batch: CommitBatch) => void): () => void;
  /** Listen to commit failures (the store refuses further appends after one). */
  onError(listener: (error: Error) => void): () => void;
  /** The failure that stopped the store, or null while it works. */
  readonly failure: Error | null;
  /**
   * After a failure: get a working backend again (reopen it) and continue. Numbering resumes after
   * everything shown; runs open at the failure are closed (exit_status abort, reason naming the
   * failure) and their stops committed and published like any document. Rejects while the cause
   * persists. Call it when no run is in progress. Resolves at once when the store works.
   */
  recover(): Promise<void>;
  /**
   * While failed: the next seq for an event shown to readers but not stored (the failure itself, the
   * states of the aborted plan), so numbering stays one stream. Throws while the store works.
   */
  skipSeq(): number;

  /**
   * Stored events with `seq > sinceSeq` and, when given, `seq <= throughSeq` (transient ones are committed
   * but not stored), oldest first, at most `limit`. A seq range holds at most its width of rows, whatever the gaps.
   */
  readEvents(sinceSeq: number, limit: number, throughSeq?: number): Promise<StoredEvent[]>;
  /** Smallest stored seq, or null when the log is empty. */
  oldestSeq(): number | null;
  /** Largest committed seq (0 when the log is empty). */
  latestSeq(): number;
  /** Largest seq given to an appended event, committed or not (`latestSeq()` once nothing is pending). */
  appendedSeq(): number;

  listRuns(query?: ListRunsQuery): Promise<RunSummary[]>;
  getRun(uid: string): Promise<RunSummary | undefined>;
  /** A run's documents as `[name, doc]` in emission order. */
  getDocuments(uid: string, page?: Page): Promise<Array<[DocumentName, AnyDocument]>>;

  /** The largest scan_id of a run this store recorded (0 if none): the engine continues after it. */
  lastScanId(): number;

  /** Close every run that has a start but no stop and is not open in this process (see recovery.ts); commits, then publishes. */
  recoverInterrupted(publish?: PublishDocument, options?: { readonly time?: number; readonly reason?: string }): Promise<Array<DocumentMap['stop']>>;

  /**
   * One run as suitcase-jsonl, streamed: chunks of whole lines (`JSON.stringify([name, doc])` + `\n`),
   * read page by page so memory stays bounded whatever the run's size. Throws STORE_UNKNOWN_RUN on the first read.
   */
  exportRun(uid: string, options?: { readonly pageSize?: number }): AsyncIterable<string>;
  /** Validate and store whole runs from suitcase-jsonl lines; refuses a run uid the store has. */
  importJsonl(lines: Iterable<string>): Promise<ImportResult>;

  /** Delete the oldest events of the log (documents stay) until the rule holds. */
  pruneEvents(rule: RetentionRule): Promise<void>;

  /** Commit what is pending (unless failed), then release the backend. Further calls throw STORE_CLOSED. */
  close(): Promise<void>;
}

/** A run summary as it goes on a wire (CLI `--json`, protocol v2): bluesky's snake_case names. */
export interface RunSummaryJson {
  uid: string; scan_id: number | null; plan_name: string | null; item_id: string | null; params: unknown;
  start_time: number; stop_time: number | null; exit_status: string | null; reason: string | null;
  num_events: Readonly<Record<string, number>> | null; interrupted: boolean; imported: boolean;
  instance?: string;
}

export function runSummaryJson(r: RunSummary): RunSummaryJson {
  return {
    uid: r.uid, scan_id: r.scanId, plan_name: r.planName, item_id: r.itemId, params: r.params,
    start_time: r.startTime, stop_time: r.stopTime, exit_status: r.exitStatus, reason: r.reason,
    num_events: r.numEvents, interrupted: r.interrupted, imported: r.imported,
    ...(r.instance === undefined ? {} : { instance: r.instance }),
  };
}
