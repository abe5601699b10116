/**
 * WAL checkpoints in a worker thread (src/store/checkpointer.ts): the writing
 * connection never checkpoints by itself, the WAL still starts over during a
 * long stream of commits (it does not grow with the run), a worker that cannot
 * work hands checkpoints back to SQLite, and close leaves no thread or WAL.
 * Real files, a real worker thread, real better-sqlite3.
 * @module
 */
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Checkpointer, type CheckpointerOptions } from '../../src/store/checkpointer.js';
import { TestChild } from '../helpers/child.js';
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

/**
 * Streams commits through a checkpointer with `options` until its thread has finished a checkpoint
 * (so the WAL can start over), then checks that the next commits did start it over, that close leaves
 * no WAL and that nothing was lost. Free-running, as a server commits: 256 kB commits with the event
 * loop free between them, for as long as it takes this machine (bounded at 128 MB), since how many
 * commits pass before the worker reports a small enough tail depends on the load.
 */
async function walStartsOver(options: CheckpointerOptions & { resetPages: number }): Promise<void> {
  const { db, path } = walDb();
  const cp = new Checkpointer(db, path, options);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const many = db.transaction((n: number) => { for (let i = 0; i < n; i++) insert.run(Buffer.alloc(1000, i % 251)); });
  let commits = 0;
  const commit = async (): Promise<void> => {
    many(256);
    commits++;
    cp.committed();
    await pause(2);
  };
  try {
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'the writing connection does not checkpoint by itself');
    while (cp.stats.tails === 0 && commits < 512) await commit();
    const s = cp.stats;
    assert.equal(s.failure, null);
    assert.ok(s.worker > 0, `the worker checkpointed (${JSON.stringify(s)})`);
    assert.ok(s.tails > 0, `the main thread finished a checkpoint within 128 MB of commits (${JSON.stringify(s)})`);
    const before = statSync(`${path}-wal`).size;
    // The next commit finds the WAL fully checkpointed: it starts over from the beginning of the file,
    // which is cut back to the reset size (journal_size_limit); three more 256 kB commits fit in it.
    for (let i = 0; i < 4; i++) await commit();
    const wal = statSync(`${path}-wal`).size;
    const limit = options.resetPages * 4096;
    assert.ok(wal <= limit, `the WAL started over: ${String(wal)} bytes after the checkpoint (${String(before)} before it, reset size ${String(limit)})`);
  } finally {
    // Also after a failed assertion: an open connection and thread must not outlive the test.
    await cp.close();
    db.close();
  }
  assert.equal(existsSync(`${path}-wal`), false, 'the last connection checkpointed and removed the WAL');
  const again = new Database(path, { readonly: true });
  try { assert.equal(again.prepare('SELECT count(*) FROM t').pluck().get(), commits * 256); } finally { again.close(); }
}

test('a long stream of commits is checkpointed by the worker and the WAL starts over', { timeout: 120_000 }, async () => {
  // A 4 MiB reset point (the default is 64 MiB) keeps the test short.
  await walStartsOver({ resetPages: 1024 });
});

test('a worker that never leaves a small tail: the bound still restarts the WAL', { timeout: 120_000 }, async () => {
  // tailPages -1: no worker checkpoint ever counts as "small", as when a slow disk cannot keep up with the
  // commits. Before the bound existed the WAL then grew for the whole run (to 32 MB here).
  await walStartsOver({ resetPages: 1024, tailPages: -1, maxPages: 2048 });
});

test('a process that never closes its checkpointer still exits', { timeout: 60_000 }, async () => {
  // A test that failed before close(), or a server that dies without closing its store, must not hang:
  // the thread is unref'd after its listeners (adding a 'message' listener refs the worker's port again).
  const dir = dirs.make();
  const script = join(dir, 'leave-open.mts');
  writeFileSync(script, [
    `import Database from ${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))};`,
    `import { Checkpointer } from ${JSON.stringify(fileURLToPath(new URL('../../src/store/checkpointer.ts', import.meta.url)))};`,
    `const path = ${JSON.stringify(join(dir, 'open.sqlite'))};`,
    "const db = new Database(path); db.pragma('journal_mode = WAL'); db.exec('CREATE TABLE t (v BLOB)');",
    'const cp = new Checkpointer(db, path, { everyMs: 0 });',
    "const insert = db.prepare('INSERT INTO t VALUES (?)');",
    // Until the thread has answered once (it starts slowly on a loaded machine), at most 20 s.
    'for (let i = 0; i < 4000 && cp.stats.worker === 0; i++) { insert.run(Buffer.alloc(1000)); cp.committed(); await new Promise((r) => setTimeout(r, 5)); }',
    "if (cp.stats.worker === 0) throw new Error('the worker never checkpointed');",
    "console.log('left open');",
  ].join('\n'));
  const child = new TestChild(process.execPath, ['--import', 'tsx', script], { deadlineMs: 50_000 });
  const exit = await child.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, `the process exited by itself (stderr: ${child.err})`);
  assert.match(child.out, /left open/);
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

test('startNow: the thread starts with the checkpointer, before any commit, and close ends it', { timeout: 30_000 }, async () => {
  // serve's warm-up opens the store this way, so that the thread's start-up is not paid inside the first
  // run. Seen from outside by the thread's own connection: to a missing file it fails with no commit at all.
  const { db } = walDb();
  const early = new Checkpointer(db, join(dirs.make(), 'missing', 'nothing.sqlite'), { startNow: true });
  await until('the thread, started without a commit, reports that it cannot open the file', () => early.stats.failure !== null, 20_000);
  assert.match(early.stats.failure ?? '', /unable to open|directory does not exist|no such file/i);
  await early.close();
  db.close();
  // To a good file it checkpoints at the first commit asked for, and close waits for it to end.
  const good = walDb();
  const cp = new Checkpointer(good.db, good.path, { startNow: true, everyMs: 0 });
  good.db.prepare('INSERT INTO t (v) VALUES (?)').run(Buffer.alloc(1000));
  cp.committed();
  await until('the started thread checkpoints', () => cp.stats.worker === 1, 20_000);
  await cp.close();
  assert.equal(cp.stats.failure, null);
  good.db.close();
});
