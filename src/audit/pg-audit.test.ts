/**
 * PgAuditLog while the database does not answer: entries wait in the background,
 * at most MAX_WAITING of them; past that each is dropped and counted, so a client
 * repeating refused changes cannot grow the server's memory without end. The pool
 * is a stand-in whose queries hang until released (the test is about the bound,
 * not PostgreSQL; test/services/postgres.test.ts writes to the real one).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type pg from 'pg';
import { MAX_WAITING, PgAuditLog } from './pg-audit.js';

/** Queries hang until `release()`; counts the inserts that reached it. */
function hangingPool(): { pool: pg.Pool; inserts: () => number; release: () => void } {
  let inserts = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => { open = resolve; });
  const pool = { query: async () => { inserts++; await gate; return { rows: [] }; } } as unknown as pg.Pool;
  return { pool, inserts: () => inserts, release: open };
}

const entry = { time: 1, who: 'attacker', protocol: 'v2', op: 'start', params: '{}', outcome: 'forbidden', message: 'needs the control scope' };

test('past MAX_WAITING entries waiting for the database, an entry is dropped and counted, and the rest are written once it answers', async () => {
  const p = hangingPool();
  const errors: string[] = [];
  const log = new PgAuditLog(p.pool, 'beamline', { onError: (e) => errors.push(String(e)) });
  for (let i = 0; i < MAX_WAITING + 5; i++) log.record(entry);
  assert.equal(log.failures, 5, 'the five past the bound are dropped');
  assert.equal(errors.length, 5);
  assert.match(errors[0] ?? '', /audit entry dropped \(start by attacker\): 10000 entries are already waiting for the database/);
  p.release();
  await log.close();
  assert.equal(p.inserts(), MAX_WAITING, 'every entry within the bound was written');
  // Written: room again.
  log.record(entry);
  await log.close();
  assert.equal(p.inserts(), MAX_WAITING + 1);
  assert.equal(log.failures, 5);
});
