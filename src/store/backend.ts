/**
 * The storage half of a RunStore: what a backend (memory, SQLite, PostgreSQL)
 * must do. Everything else — the write-ahead batch, seq and id assignment, run
 * tracking, recovery, JSONL — lives once, in base.ts, so every backend behaves
 * the same and passes the same contract suite (test/store/contract.ts).
 *
 * A backend only stores and reads back what it is given: it never numbers
 * anything itself (`seq`, document `id`, `firstDocId`/`lastDocId` arrive in the
 * batch) and never interprets documents. Every method may be truly asynchronous
 * (PostgreSQL) or synchronous underneath (SQLite, memory); all return promises.
 * @module
 */
import type { DocumentName } from '../model/documents.js';
import type { RunStopUpdate } from './tracker.js';
import type { ListRunsQuery, RunSummary } from './types.js';

/** A document ready to write; `json` is its text, made once at append time (store it verbatim: export is byte-faithful). */
export interface PendingDocument {
  readonly id: number;
  readonly runUid: string | null;
  readonly name: DocumentName;
  readonly json: string;
}

/** An event ready to write: either its own `dataJson` or (a `document` event) a reference `docId` to a document of the same or an earlier batch. */
export interface PendingEvent {
  readonly seq: number;
  readonly topic: string;
  readonly time: number;
  readonly dataJson: string | null;
  readonly docId: number | null;
}

/** A new index row and the id of its start document (a run's documents are read from that id on). */
export type PendingStart = RunSummary & { readonly firstDocId: number };
/** A run's stop and the id of its stop document (the end of the run's id range). */
export type PendingStop = RunStopUpdate & { readonly lastDocId: number };

/**
 * One transaction's worth of writes, applied in this order: runs started, documents, events, runs stopped.
 * A start whose uid the backend already has must fail the whole write (a unique constraint).
 */
export interface WriteBatch {
  readonly starts: PendingStart[];
  readonly documents: PendingDocument[];
  readonly events: PendingEvent[];
  readonly stops: PendingStop[];
}

/** An event row as read back; a document event carries the document's name and text instead of `dataJson`. */
export interface EventRow {
  readonly seq: number;
  readonly topic: string;
  readonly time: number;
  readonly dataJson: string | null;
  readonly docName: string | null;
  readonly docJson: string | null;
}

export interface DocumentRow { readonly id: number; readonly name: DocumentName; readonly json: string }

/** Which of a run's documents to read: after a document id (keyset, for streaming) or from an offset; at most `limit`. */
export interface DocumentPage { readonly afterId?: number; readonly offset?: number; readonly limit: number }

/** What the store needs to know once, at open, to continue numbering. */
export interface BackendState {
  /** Largest event seq stored (0 if none). */
  readonly maxSeq: number;
  /** Smallest event seq still stored (null if none). */
  readonly oldestSeq: number | null;
  /** Largest document id stored (0 if none). */
  readonly maxDocumentId: number;
  /** Largest scan_id among runs this instance recorded, imported runs excluded (0 if none). */
  readonly maxScanId: number;
}

/** How much of the event log to keep: drop the oldest events until every given bound holds. */
export interface RetentionRule {
  /** Drop events whose `time` (s since the epoch) is older than this. */
  readonly minTime?: number;
  /** Keep at most this many bytes of events: each counts its `dataJson` length plus {@link EVENT_ROW_OVERHEAD} (a document reference counts the overhead only). */
  readonly maxBytes?: number;
}

/** The per-row cost the size bound charges every event, whatever its payload. */
export const EVENT_ROW_OVERHEAD = 32;

export interface StoreBackend {
  /** What error messages and `/healthz` name: a path, a URL without password, or `memory`. */
  readonly location: string;
  /** The counters at open. Called once, before anything else. */
  state(): Promise<BackendState>;
  /** Apply the whole batch atomically (one transaction), or reject and apply nothing. Called one at a time, in order. */
  write(batch: WriteBatch): Promise<void>;
  hasRun(uid: string): Promise<boolean>;
  getRun(uid: string): Promise<RunSummary | undefined>;
  /** Newest first (start time, then insertion order); every filter of {@link ListRunsQuery}; limit default 100. */
  listRuns(query: ListRunsQuery): Promise<RunSummary[]>;
  /** A run's documents in id order ([] for an unknown run). */
  documents(runUid: string, page: DocumentPage): Promise<DocumentRow[]>;
  /**
   * Events with seq > `sinceSeq` (and <= `throughSeq` when given), in seq order, at most `limit`; document
   * events joined with their document. Both bounds are a range of the seq key (an index range, not a scan).
   */
  readEvents(sinceSeq: number, limit: number, throughSeq?: number): Promise<EventRow[]>;
  /** Runs with a start, no stop, not imported, oldest first. */
  unclosedRuns(): Promise<string[]>;
  /** Delete the oldest events (any topic; documents are never deleted) until the rule holds; resolves to the oldest seq left (null if none). */
  pruneEvents(rule: RetentionRule): Promise<number | null>;
  /** Release connections and files. */
  close(): Promise<void>;
}
