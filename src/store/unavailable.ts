/**
 * A database that did not answer, said once for every store beside the runs
 * (queue, keys, audit log, control lock) and the run store's backends: the
 * store turns its driver's failure into StoreError `STORE_UNAVAILABLE` where
 * it happens, so the operations (`src/ops/invoke.ts`) recognise one code, not
 * each driver's.
 * @module
 */
import { CodedError } from '../model/errors.js';
import { StoreError } from './errors.js';

/** Network errors of a database client, PostgreSQL's connection (08), shutdown (57P0x) and resource (53) classes, SQLite's busy and I/O codes. */
const UNAVAILABLE_CODE = /^(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|08\w{3}|57P0\d|53\w{3}|SQLITE_(?:BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)\w*)$/;
/**
 * node-postgres's own words for a connection it lost or could not make. It throws
 * these without a code (a plain Error), so its text is all there is to tell them by;
 * this is the one place that reads a driver's English.
 */
const UNAVAILABLE_TEXT = /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection refused/i;

function didNotAnswer(e: unknown): boolean {
  if (!(e instanceof Error) || e instanceof CodedError) return false;
  const code = (e as { code?: unknown }).code;
  return (typeof code === 'string' && UNAVAILABLE_CODE.test(code)) || UNAVAILABLE_TEXT.test(e.message);
}

/**
 * What to throw for a database failure `e`: StoreError STORE_UNAVAILABLE (with `e` as its cause) when
 * the database did not answer, `e` itself otherwise (a bug or a constraint is not the database's absence).
 * `message`: the wrapper's (one naming the database); by default `e`'s own, so what callers see is unchanged.
 */
export function unavailableOr(e: unknown, message?: string): unknown {
  return didNotAnswer(e) ? new StoreError('STORE_UNAVAILABLE', message ?? (e as Error).message, { cause: e }) : e;
}

/** `work` on a database (synchronous, as better-sqlite3's, or not): its failure as `unavailableOr` says. */
export async function withDatabase<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw unavailableOr(e);
  }
}
