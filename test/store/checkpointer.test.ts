/**
 * WAL checkpoints in a worker thread (src/store/checkpointer.ts): the writing
 * connection never checkpoints by itself, the WAL still starts over during a
 * long stream of commits (it does not grow with the run), a worker that cannot
 * work hands checkpoints back to SQLite, and close leaves no thread or WAL.
 * Real files, a real worker thread, real better-sqlite3.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { Checkpointer } from '../../src/store/checkpointer.js';
import { until } from '../helpers/wait.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });

function walDb(): { db: Database.Database; path: string } {
  const path = join(dirs.make(), 'test.sqlite');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  return { db, path };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a long stream of commits is checkpointed by the worker and the WAL starts over', { timeout: 120_000 }, async () => {
  const { db, path } = walDb();
  // A 4 MiB reset point (the default is 64 MiB) keeps the test short.
  const cp = new Checkpointer(db, path, { resetPages: 1024 });
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the writing connection does not checkpoint by itself');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const many = db.transaction((n: number) => { for (let i = 0; i < n; i++) insert.run(Buffer.alloc(1000, i % 251)); });
  let written = 0;
  // 32 MB in 256 kB commits, with the event loop free between them (as a server's is).
  for (let i = 0; i < 128; i++) {
    many(256);
    written += 256 * 1000;
    cp.committed();
    await pause(2);
  }
  const s = cp.stats;
  assert.equal(s.failure, null);
  assert.ok(s.worker > 0, `the worker checkpointed (${JSON.stringify(s)})`);
  assert.ok(s.tails > 0, `the main thread finished at least one tail, so the WAL could start over (${JSON.stringify(s)})`);
  const wal = statSync(`${path}-wal`).size;
  assert.ok(wal < written / 2, `the WAL (${String(wal)} bytes) stays well below what was written (${String(written)})`);
  await cp.close();
  db.close();
  assert.equal(existsSync(`${path}-wal`), false, 'the last connection checkpointed and removed the WAL');
  const again = new Database(path, { readonly: true });
  try { assert.equal(again.prepare('SELECT count(*) FROM t').pluck().get(), 128 * 256); } finally { again.close(); }
});

test('a checkpoint thread that cannot open the file hands checkpoints back to SQLite', { timeout: 60_000 }, async () => {
  const { db } = walDb();
  const cp = new Checkpointer(db, join(dirs.make(), 'missing', 'nothing.sqlite'));
  await pause(250);
  cp.committed();
  await until('the checkpointer reports its failure', () => cp.stats.failure !== null, 30_000);
  assert.match(cp.stats.failure ?? '', /unable to open|directory does not exist|no such file/i);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000, 'SQLite checkpoints by itself again');
  cp.committed(); // a failed checkpointer is inert
  await cp.close();
  db.close();
});

test('close before any checkpoint starts no thread; close is idempotent', { timeout: 30_000 }, async () => {
  const { db, path } = walDb();
  const cp = new Checkpointer(db, path);
  cp.committed(); // within the first interval: nothing to do yet
  await Promise.all([cp.close(), cp.close()]);
  assert.deepEqual(cp.stats, { worker: 0, tails: 0, last: null, failure: null });
  cp.committed(); // after close: inert
  db.close();
});
