/**
 * The store's coded errors (`STORE_*`): each names the path or uid involved
 * and the cause, so a start-up failure is one readable line.
 * @module
 */
import { CodedError, type ErrorDetail } from '../model/errors.js';

export type StoreErrorCode =
  | 'STORE_OPEN_FAILED'        // directory or file cannot be created/opened/written
  | 'STORE_LOCKED'             // another server holds the data directory
  | 'STORE_CORRUPT'            // the file is not a SQLite database or fails its integrity check
  | 'STORE_SCHEMA_MISMATCH'    // a database written by a newer, incompatible version
  | 'STORE_WRITE_FAILED'       // a commit failed; the store refuses further appends
  | 'STORE_CLOSED'             // used after close()
  | 'STORE_DUPLICATE_RUN'      // a start document (or import) with a run uid already stored
  | 'STORE_BAD_DOCUMENT'       // a document the store cannot file (no uid, unknown run)
  | 'STORE_IMPORT_INVALID'     // an import line that is not valid JSON or not a valid document
  | 'STORE_UNKNOWN_RUN'        // export/get of a uid the store does not have
  | 'STORE_UNAVAILABLE';       // the database did not answer (PostgreSQL down or unreachable, SQLite busy or failing I/O): retry later

export class StoreError extends CodedError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options: { cause?: unknown; details?: readonly ErrorDetail[] } = {}) {
    super(code, message, options);
  }
}

/** The message of any thrown value, for "… : cause" texts. */
export function causeText(e: unknown): string {
  if (e instanceof Error) {
    // A database that did not answer is named by its driver's code (SQLITE_BUSY, 57P01): STORE_UNAVAILABLE is for programs.
    const code = e instanceof StoreError && e.code === 'STORE_UNAVAILABLE' ? (e.cause as { code?: unknown } | undefined)?.code : (e as { code?: unknown }).code;
    return typeof code === 'string' && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
  }
  return String(e);
}
