/**
 * The RunStore contract shared by MemoryStore and SqliteStore: durable
 * documents, the run index, the v2 event log and persistent scan_id.
 * @module
 */
import type { DocumentMap, DocumentName } from '../model/documents.js';

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
}

/** A v2 server event as stored: `seq` is server-wide, +1 per event, continuing across restarts. */
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
 * Write-ahead: `appendDocument`/`appendEvent`/`appendDocumentEvent` return once
 * the entry sits in the pending batch; the batch commits in one transaction at
 * the end of the event-loop turn (setImmediate), when it reaches the size cap,
 * or on `flush()`. Listeners of `onCommit` get each batch only after it is
 * durable, so a publisher that fans out from `onCommit` never shows anyone a
 * document that a crash could lose. Readers see committed data only.
 */
export interface RunStore {
  /** `memory` or the path of the SQLite file. */
  readonly location: string;

  /** Queue a document; throws synchronously if the store failed or the document cannot be stored (duplicate run uid, no uid). */
  appendDocument(name: DocumentName, doc: AnyDocument, meta?: DocumentMeta): void;
  /** Queue a server event; returns its `seq`. */
  appendEvent(event: EventInput): number;
  /** Queue a document and a `document` event whose data is `{name, doc}`, storing the JSON once; returns the seq. */
  appendDocumentEvent(name: DocumentName, doc: AnyDocument, time: number, meta?: DocumentMeta): number;
  /** Commit the pending batch now (no-op when empty), then notify `onCommit` listeners. */
  flush(): void;
  /** Listen to committed batches; returns the removal function. */
  onCommit(listener: (batch: CommitBatch) => void): () => void;
  /** Listen to commit failures (the store refuses further appends after one). */
  onError(listener: (error: Error) => void): () => void;

  /** Committed events with `seq > sinceSeq`, oldest first, at most `limit`. */
  readEvents(sinceSeq: number, limit: number): StoredEvent[];
  /** Smallest stored seq, or null when the log is empty. */
  oldestSeq(): number | null;
  /** Largest committed seq (0 when the log is empty). */
  latestSeq(): number;

  listRuns(query?: ListRunsQuery): RunSummary[];
  getRun(uid: string): RunSummary | undefined;
  /** A run's documents as `[name, doc]` in emission order. */
  getDocuments(uid: string, page?: Page): Array<[DocumentName, AnyDocument]>;

  /** The largest scan_id of a run this store recorded (0 if none): give it to `RunEngine` as `md.scan_id`. */
  lastScanId(): number;

  /** Close every run that has a start but no stop (see recovery.ts); returns the stop documents. */
  recoverInterrupted(publish?: PublishDocument): Array<DocumentMap['stop']>;

  /** suitcase-jsonl lines (`JSON.stringify([name, doc])`) of one run. */
  exportRun(uid: string): string[];
  /** Validate and store whole runs from suitcase-jsonl lines; refuses a run uid the store has. */
  importJsonl(lines: Iterable<string>): ImportResult;

  /** Flush, then release the file. Further calls throw. */
  close(): void;
}

/** A run summary as it goes on a wire (CLI `--json`, protocol v2): bluesky's snake_case names. */
export interface RunSummaryJson {
  uid: string; scan_id: number | null; plan_name: string | null; item_id: string | null; params: unknown;
  start_time: number; stop_time: number | null; exit_status: string | null; reason: string | null;
  num_events: Readonly<Record<string, number>> | null; interrupted: boolean; imported: boolean;
}

export function runSummaryJson(r: RunSummary): RunSummaryJson {
  return {
    uid: r.uid, scan_id: r.scanId, plan_name: r.planName, item_id: r.itemId, params: r.params,
    start_time: r.startTime, stop_time: r.stopTime, exit_status: r.exitStatus, reason: r.reason,
    num_events: r.numEvents, interrupted: r.interrupted, imported: r.imported,
  };
}
