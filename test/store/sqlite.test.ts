/**
 * What only the SQLite store promises: state that survives a reopen (seq,
 * scan_id, open runs to recover) and clear errors for bad data directories.
 * @module
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { DOCUMENT_JSON, keepMemo } from '../../src/model/index.js';
import { DB_FILE, SqliteStore, StoreError } from '../../src/store/index.js';
import { exportLines, exportText, handRun } from './contract.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });

async function withStore<T>(dir: string, fn: (s: SqliteStore) => T | Promise<T>, options = {}): Promise<T> {
  const s = SqliteStore.open(dir, options);
  try { return await fn(s); } finally { await s.close(); }
}

/**
 * Open a store in a child process without write permission anywhere: as an
 * unprivileged user when we are root (root can write anywhere; CI runs as root),
 * else as ourselves.
 */
function openAsUnprivileged(dir: string): { ok?: boolean; code?: string; message?: string } {
  const script = fileURLToPath(new URL('./fixtures/open-store.ts', import.meta.url));
  const node = [process.execPath, '--import', 'tsx', script, dir];
  const argv = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 60_000 });
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { ok?: boolean; code?: string; message?: string };
}

function isStoreError(code: string, ...mentions: string[]): (e: unknown) => boolean {
  return (e) => e instanceof StoreError && e.code === code && mentions.every((m) => e.message.includes(m));
}

describe('SqliteStore across restarts', () => {
  it('creates the data directory and DIR/bluesky.sqlite in WAL mode', async () => {
    const dir = join(dirs.make(), 'nested', 'data');
    await withStore(dir, (s) => { assert.equal(s.path, join(dir, DB_FILE)); });
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    try { assert.equal(db.pragma('journal_mode', { simple: true }), 'wal'); } finally { db.close(); }
  });

  it('commits what is pending at close, and continues seq and scan_id after a reopen', async () => {
    const dir = dirs.make();
    await withStore(dir, (s) => {
      s.appendEvent({ topic: 'state', time: 1, data: {} });
      s.appendEvent({ topic: 'state', time: 2, data: {} });
      for (const [n, d] of handRun('r1', 1, { scanId: 12 })) s.appendDocument(n, d);
    });
    await withStore(dir, async (s) => {
      assert.equal(s.latestSeq(), 6);
      assert.equal(s.lastScanId(), 12);
      assert.equal(s.appendEvent({ topic: 'state', time: 3, data: {} }), 7);
      await s.commit();
      assert.deepEqual((await s.readEvents(0, 10)).map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7]);
      assert.equal((await s.getDocuments('r1')).length, 4);
    });
  });

  it('stores the JSON a document came with (DOCUMENT_JSON, encoded on the engine thread) instead of encoding it again', async () => {
    const dir = dirs.make();
    const [start, descriptor, event, stop] = handRun('r9', 1);
    // The same document, keys in another order: the text stored shows which encoding was used.
    const doc = event?.[1] as Record<string, unknown>;
    const given = JSON.stringify(Object.fromEntries(Object.entries(doc).reverse()));
    assert.notEqual(given, JSON.stringify(doc));
    keepMemo(doc, DOCUMENT_JSON, given);
    await withStore(dir, async (s) => {
      for (const entry of [start, descriptor, event, stop]) if (entry !== undefined) s.appendDocument(entry[0], entry[1]);
      await s.commit();
    });
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    try {
      const stored = db.prepare("SELECT doc FROM documents WHERE name = 'event'").pluck().get();
      assert.equal(stored, given);
      assert.equal(db.prepare("SELECT doc FROM documents WHERE name = 'stop'").pluck().get(), JSON.stringify(stop?.[1]), 'a document without one is encoded here');
    } finally { db.close(); }
  });

  it('keeps the interrupted flag through export and import', async () => {
    const dir = dirs.make();
    const lines = async (s: SqliteStore, uid: string): Promise<string[]> => (await exportText(s, uid)).split('\n').filter((l) => l !== '');
    const open = await withStore(dir, async (s) => {
      for (const [n, d] of handRun('cut', 1, { open: true })) s.appendDocument(n, d);
      await s.commit();
      return lines(s, 'cut');
    });
    const fresh = dirs.make();
    await withStore(fresh, async (s) => { await s.importJsonl(open); assert.deepEqual(await s.recoverInterrupted(), [], 'imported runs are not ours to close'); });
    const closed = await withStore(dir, async (s) => { await s.recoverInterrupted(); return lines(s, 'cut'); });
    const other = dirs.make();
    await withStore(other, async (s) => { await s.importJsonl(closed); assert.equal((await s.getRun('cut'))?.interrupted, true); });
  });

  it('opens with durability full', async () => {
    const dir = dirs.make();
    await withStore(dir, (s) => { s.appendEvent({ topic: 'x', time: 0, data: 1 }); }, { durability: 'full' });
    await withStore(dir, (s) => { assert.equal(s.latestSeq(), 1); });
  });
});

describe('SqliteStore refuses bad data directories with a clear error', () => {
  it('a corrupt file: STORE_CORRUPT naming the file', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, DB_FILE), 'this is not a database, it is a text file of some length '.repeat(200));
    assert.throws(() => SqliteStore.open(dir), isStoreError('STORE_CORRUPT', join(dir, DB_FILE), 'not a database'));
  });

  it('a file whose last pages are damaged: one STORE_CORRUPT at open (the integrity check), not a later crash', async () => {
    const dir = dirs.make();
    await withStore(dir, async (s) => {
      for (let r = 0; r < 20; r++) for (const [n, d] of handRun(`run-${String(r)}`, 200)) s.appendDocument(n, d);
      await s.commit();
    });
    const path = join(dir, DB_FILE);
    const bytes = readFileSync(path);
    // Garbage over the last pages (the newest rows), as a torn write or a failing disk leaves them.
    for (let i = bytes.length - 3 * 4096; i < bytes.length; i++) bytes[i] = (i * 131) % 251;
    const copy = dirs.make();
    writeFileSync(join(copy, DB_FILE), bytes);
    assert.throws(() => SqliteStore.open(copy), isStoreError('STORE_CORRUPT', join(copy, DB_FILE), 'damaged'));
    assert.throws(() => SqliteStore.open(copy, { readonly: true }), isStoreError('STORE_CORRUPT', join(copy, DB_FILE)), 'reading it says so too');
  });

  it('a second writer in the same directory: STORE_LOCKED naming this pid; free again after close', async () => {
    const dir = dirs.make();
    const first = SqliteStore.open(dir);
    try {
      assert.throws(() => SqliteStore.open(dir), isStoreError('STORE_LOCKED', dir, `pid ${String(process.pid)}`));
      const reader = SqliteStore.open(dir, { readonly: true });
      await reader.close();
    } finally { await first.close(); }
    await SqliteStore.open(dir).close();
  });

  it('a data directory that is a file: STORE_OPEN_FAILED naming it', () => {
    const file = join(dirs.make(), 'plain-file');
    writeFileSync(file, 'x');
    assert.throws(() => SqliteStore.open(file), isStoreError('STORE_OPEN_FAILED', file));
  });

  it('an unwritable directory: STORE_OPEN_FAILED naming it', () => {
    const dir = dirs.make();
    chmodSync(dir, 0o555);
    try {
      const r = openAsUnprivileged(dir);
      assert.equal(r.code, 'STORE_OPEN_FAILED', JSON.stringify(r));
      assert.ok(r.message?.includes(dir));
      assert.equal(existsSync(join(dir, DB_FILE)), false);
    } finally { chmodSync(dir, 0o755); }
  });

  it('a read-only file: STORE_OPEN_FAILED at open, not at the first document', async () => {
    const dir = dirs.make();
    await withStore(dir, () => {});
    chmodSync(dir, 0o777); // the directory is writable even for the unprivileged child: only the file is not
    chmodSync(join(dir, DB_FILE), 0o444);
    try {
      const r = openAsUnprivileged(dir);
      assert.equal(r.code, 'STORE_OPEN_FAILED', JSON.stringify(r));
      assert.ok(r.message?.includes(join(dir, DB_FILE)));
    } finally { chmodSync(join(dir, DB_FILE), 0o644); }
  });

  it('a newer schema: STORE_SCHEMA_MISMATCH', () => {
    const dir = dirs.make();
    const db = new Database(join(dir, DB_FILE));
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => SqliteStore.open(dir), isStoreError('STORE_SCHEMA_MISMATCH', 'version 99'));
  });

  it('a version-1 file (run uid in every document, topic as text) is upgraded at open; read-only opens ask for that first', async () => {
    const dir = dirs.make();
    const db = new Database(join(dir, DB_FILE));
    db.exec(V1_SCHEMA);
    const docs = handRun('r1', 2);
    const open = handRun('r2', 1, { open: true, time: 1_700_000_100, scanId: 2 });
    const insertDoc = db.prepare('INSERT INTO documents (id, run_uid, name, doc) VALUES (?, ?, ?, ?)');
    const insertEvent = db.prepare('INSERT INTO events (seq, topic, time, data, doc_id) VALUES (?, ?, ?, ?, ?)');
    insertEvent.run(1, 'state', 1, '{"new":"running"}', null);
    [...docs, ...open].forEach(([name, doc], i) => {
      insertDoc.run(i + 1, i < docs.length ? 'r1' : 'r2', name, JSON.stringify(doc));
      insertEvent.run(i + 2, 'document', 2 + i, null, i + 1);
    });
    const last = docs.length + open.length + 2;
    insertEvent.run(last, 'progress', 9, '{"done":1}', null);
    db.prepare(`INSERT INTO runs (uid, scan_id, plan_name, start_time, stop_time, exit_status, reason, num_events, first_doc, last_doc)
      VALUES ('r1', 1, 'count', 1700000000, 1700000003, 'success', '', '{"primary":2}', 1, ?)`).run(docs.length);
    db.prepare("INSERT INTO runs (uid, scan_id, plan_name, start_time, first_doc) VALUES ('r2', 2, 'count', 1700000100, ?)").run(docs.length + 1);
    db.pragma('user_version = 1');
    db.close();

    assert.throws(() => SqliteStore.open(dir, { readonly: true }), isStoreError('STORE_SCHEMA_MISMATCH', 'version 1', 'upgrades it'));
    await withStore(dir, async (s) => {
      assert.equal(s.latestSeq(), last);
      assert.deepEqual((await s.listRuns()).map((r) => [r.uid, r.exitStatus]), [['r2', null], ['r1', 'success']]);
      assert.deepEqual(await s.getDocuments('r1'), docs);
      assert.deepEqual(await exportLines(s, 'r1'), docs.map((d) => JSON.stringify(d)));
      const events = await s.readEvents(0, 100);
      assert.deepEqual(events.map((e) => [e.seq, e.topic]), [[1, 'state'], ...[...docs, ...open].map((_d, i) => [i + 2, 'document']), [last, 'progress']]);
      assert.deepEqual(events[2]?.data, { name: 'descriptor', doc: docs[1]?.[1] });
      // The run left open is closed as after any restart, and joins its documents by the new run key.
      const [stop] = await s.recoverInterrupted();
      assert.deepEqual(stop?.num_events, { primary: 1 });
      assert.equal((await s.getDocuments('r2')).length, open.length + 1);
      assert.equal((await s.readEvents(last, 10))[0]?.seq, last + 1);
    });
    const after = new Database(join(dir, DB_FILE), { readonly: true });
    try {
      assert.equal(after.pragma('user_version', { simple: true }), 2);
      assert.deepEqual(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'v1_%'").all(), [], 'the old tables are gone');
    } finally { after.close(); }
    await withStore(dir, async (s) => { assert.equal((await s.getRun('r2'))?.interrupted, true); });
  });

  it('reading a directory with no store: STORE_OPEN_FAILED, and nothing is created', () => {
    const dir = join(dirs.make(), 'absent');
    assert.throws(() => SqliteStore.open(dir, { readonly: true }), isStoreError('STORE_OPEN_FAILED', dir));
    assert.equal(existsSync(dir), false);
  });
});

/** The schema a version-1 file has (bluesky-dispatcher before the compact layout), as that version created it. */
const V1_SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
  uid TEXT PRIMARY KEY, scan_id INTEGER, plan_name TEXT, item_id TEXT, params TEXT, start_time REAL NOT NULL, stop_time REAL,
  exit_status TEXT, reason TEXT, num_events TEXT, interrupted INTEGER NOT NULL DEFAULT 0, imported INTEGER NOT NULL DEFAULT 0,
  first_doc INTEGER NOT NULL, last_doc INTEGER);
CREATE INDEX runs_by_start ON runs (start_time);
CREATE INDEX runs_by_plan ON runs (plan_name, start_time);
CREATE TABLE documents (id INTEGER PRIMARY KEY, run_uid TEXT, name TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, time REAL NOT NULL, data TEXT, doc_id INTEGER);
`;
