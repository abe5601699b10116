/** Durable runs: the RunStore contract, its memory and SQLite implementations, recovery and JSONL. @module */
export type {
  AnyDocument, DocumentMeta, EventInput, StoredEvent, StoredDocument, CommitBatch, RunSummary, ListRunsQuery, Page,
  PublishDocument, ImportResult, RunStore,
} from './types.js';
export { runSummaryJson } from './types.js';
export type { RunSummaryJson } from './types.js';
export { BaseStore, takeStoredDataJson } from './base.js';
export type { StoreOptions, RecoverOptions } from './base.js';
export { MemoryStore, MemoryBackend } from './memory.js';
export { EVENT_ROW_OVERHEAD } from './backend.js';
export type {
  StoreBackend, BackendState, WriteBatch, PendingDocument, PendingEvent, PendingStart, PendingStop, EventRow, DocumentRow, DocumentPage,
  RetentionRule,
} from './backend.js';
export type { RunStopUpdate } from './tracker.js';
export { SqliteStore, SqliteBackend, openSqliteBackend, DB_FILE } from './sqlite.js';
export type { SqliteStoreOptions } from './sqlite.js';
export { StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { unavailableOr, withDatabase } from './unavailable.js';
export { INTERRUPTED_REASON, composeInterruptedStop, countEvents } from './recovery.js';
export { attachStore } from './attach.js';
export type { AttachOptions, DocumentSource } from './attach.js';
export { openStore, DEFAULT_DATA_DIR } from './open.js';
export { DataDirLock, LOCK_FILE, PID_FILE } from './lock.js';
export { openSideConnection } from './side-connection.js';
export type { SideConnectionOptions } from './side-connection.js';
export { QUICK_CHECK_MAX_BYTES } from './integrity.js';

export type { PostgresBackend, PostgresBackendOptions } from './pg/index.js';

/**
 * Connect to PostgreSQL and create or migrate the schema: the backend of `options.instance`, whose
 * pool the queue, keys, audit log and control lock share (`pg` is loaded only when this is called).
 * @throws StoreError STORE_OPEN_FAILED, STORE_SCHEMA_MISMATCH
 */
export async function openPostgres(...args: Parameters<typeof import('./pg/index.js').PostgresBackend.open>): Promise<import('./pg/index.js').PostgresBackend> {
  const pg = await import('./pg/index.js');
  return pg.PostgresBackend.open(...args);
}

/** The PostgreSQL store (`pg` is loaded only when this is called). */
export async function openPostgresStore(...args: Parameters<typeof import('./pg/index.js').openPostgresStore>): Promise<import('./base.js').BaseStore> {
  const pg = await import('./pg/index.js');
  return pg.openPostgresStore(...args);
}
