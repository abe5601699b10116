/**
 * The side connections (queue, audit log, control lock, keys) never checkpoint
 * the shared WAL on the server's thread, and fsync only with `durability: full`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openSideConnection } from './side-connection.js';

function tempFile(): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'side-connection-'));
  return { path: join(dir, 'db.sqlite'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('settings: WAL, synchronous from the durability, no automatic checkpoint, the busy timeout asked for', () => {
  const f = tempFile();
  try {
    const normal = openSideConnection(f.path);
    assert.equal(normal.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(normal.pragma('synchronous', { simple: true }), 1, 'NORMAL: no fsync at a commit');
    assert.equal(normal.pragma('wal_autocheckpoint', { simple: true }), 0);
    assert.equal(normal.pragma('busy_timeout', { simple: true }), 5000);
    normal.close();
    const full = openSideConnection(f.path, { durability: 'full', busyTimeoutMs: 0 });
    assert.equal(full.pragma('synchronous', { simple: true }), 2, 'FULL: fsync at every commit');
    assert.equal(full.pragma('busy_timeout', { simple: true }), 0);
    full.close();
  } finally { f.done(); }
});

test('a commit on a side connection with 1,000+ pages in the WAL does not checkpoint it', () => {
  const f = tempFile();
  const main = new Database(f.path);
  try {
    main.pragma('journal_mode = WAL');
    main.pragma('wal_autocheckpoint = 0'); // as the run store's connection, whose checkpointer does it
    main.exec('CREATE TABLE runs (v BLOB)');
    const side = openSideConnection(f.path);
    side.exec('CREATE TABLE audit (v TEXT)');
    // About 1,200 pages of WAL, as a fast scan leaves between two checkpoints.
    const put = main.prepare('INSERT INTO runs (v) VALUES (?)');
    main.transaction(() => { for (let i = 0; i < 1200; i++) put.run(Buffer.alloc(4000)); })();
    side.prepare('INSERT INTO audit (v) VALUES (?)').run('an audited operation');
    // Had that commit checkpointed the whole WAL, the next write would start the WAL afresh (a few frames).
    put.run(Buffer.alloc(10));
    const [r] = main.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    assert.ok((r?.log ?? 0) > 1200, `the WAL was left for the checkpointer: ${String(r?.log)} frames`);
    side.close();
  } finally { main.close(); f.done(); }
});
