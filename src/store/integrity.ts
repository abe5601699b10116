/**
 * The start-up integrity check of a SQLite store, bounded in time: the pages a
 * crash or a failing disk is most likely to have damaged (the newest rows of
 * every table, at the right edge of each B-tree) are always read back, and the
 * whole file is checked with `PRAGMA quick_check` when it is small enough for
 * that to take well under a second. A damaged file becomes one STORE_CORRUPT
 * error at open, not a crash in the middle of a run or an export.
 * @module
 */
import type Database from 'better-sqlite3';
import { StoreError, causeText } from './errors.js';

/** Files up to this size get a full `quick_check` (about 0.3 s per 100 MiB here). */
export const QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024;

/** Rows read back from the end of each table. */
const TAIL_ROWS = 200;

const TAILS = [
  `SELECT id, run, name, length(doc) FROM documents ORDER BY id DESC LIMIT ${TAIL_ROWS}`,
  `SELECT seq, topic, time, length(data), doc_id FROM events ORDER BY seq DESC LIMIT ${TAIL_ROWS}`,
  `SELECT * FROM runs ORDER BY rowid DESC LIMIT ${TAIL_ROWS}`,
  'SELECT * FROM topics',
  // The run index's own B-trees (start time, plan) at their ends too.
  'SELECT max(start_time), min(start_time) FROM runs',
  'SELECT count(*) FROM (SELECT plan_name FROM runs ORDER BY plan_name DESC, start_time DESC LIMIT 50)',
];

export function checkIntegrity(db: Database.Database, path: string, fileBytes: number): void {
  const fail = (what: string, cause?: unknown): never => {
    throw new StoreError('STORE_CORRUPT', `the data file ${path} is damaged (${what}); move it away (keep it for recovery with the sqlite3 tool's .recover) and start again, or point --data elsewhere`, cause === undefined ? {} : { cause });
  };
  try {
    for (const sql of TAILS) db.prepare(sql).all();
  } catch (e) {
    fail(causeText(e), e);
  }
  if (fileBytes > QUICK_CHECK_MAX_BYTES) return;
  let rows: unknown[];
  try { rows = db.pragma('quick_check(5)', { simple: false }) as unknown[]; } catch (e) { return fail(causeText(e), e); }
  const problems = rows.map((r) => String(Object.values(r as Record<string, unknown>)[0])).filter((t) => t !== 'ok');
  if (problems.length > 0) fail(`quick_check: ${problems.join('; ')}`);
}
