/**
 * The storage half of a RunStore: what a backend (memory, SQLite) must do.
 * Batching, run tracking, recovery and JSONL live once, in base.ts.
 * @module
 */
import type { DocumentName } from '../model/documents.js';
import type { RunStopUpdate } from './tracker.js';
import type { ListRunsQuery, RunSummary } from './types.js';

/** A document ready to write; `json` is its text, made once at append time. */
export interface PendingDocument {
  readonly id: number;
  readonly runUid: string | null;
  readonly name: DocumentName;
  readonly json: string;
}

/** An event ready to write: either its own `dataJson` or a reference to a document of the same or an earlier batch. */
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

/** One transaction's worth of writes, applied in this order: runs started, documents, events, runs stopped. */
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

export interface DocumentRow { readonly name: DocumentName; readonly json: string }

export interface StoreBackend {
  readonly location: string;
  /** Apply the whole batch atomically, or throw and apply nothing. */
  write(batch: WriteBatch): void;
  hasRun(uid: string): boolean;
  getRun(uid: string): RunSummary | undefined;
  listRuns(query: ListRunsQuery): RunSummary[];
  documents(runUid: string, offset: number, limit: number): DocumentRow[];
  readEvents(sinceSeq: number, limit: number): EventRow[];
  oldestSeq(): number | null;
  maxSeq(): number;
  maxDocumentId(): number;
  /** Largest scan_id among runs not imported (0 if none). */
  maxScanId(): number;
  /** Runs with a start, no stop, not imported. */
  unclosedRuns(): string[];
  close(): void;
}
