/**
 * The RunStore contract suite: every storage backend runs it (memory.test.ts,
 * sqlite-contract.test.ts, and a PostgreSQL backend the same way).
 *
 * WHAT A NEW BACKEND MUST IMPLEMENT (read src/store/backend.ts and docs/storage.md):
 *
 * 1. A class implementing `StoreBackend` (src/store/backend.ts): `state()`,
 *    `write(batch)`, `hasRun`, `getRun`, `listRuns`, `documents`, `readEvents`,
 *    `unclosedRuns`, `pruneEvents`, `close()` — all returning promises. Nothing
 *    else: the write-ahead queue, seq/document-id/scan_id numbering, run
 *    tracking, recovery, JSONL import/export and listener fan-out are
 *    `BaseStore`'s (src/store/base.ts), shared by every backend.
 * 2. `write(batch)` applies the whole `WriteBatch` in ONE transaction, in the
 *    order starts → documents → events → stops, or rejects and applies nothing.
 *    It is called one at a time, in order. A start whose uid is already stored
 *    must make it reject (unique key). Store `seq`, document `id`,
 *    `firstDocId`/`lastDocId` exactly as given; store a document's `json`
 *    verbatim (export must be byte-faithful); a `document` event stores only
 *    `docId` (the document is stored once) and `readEvents` joins it back.
 * 3. Reads see committed data only. `listRuns` is newest first (start time, then
 *    insertion order) with the `plan`, `since`, `uidPrefix`, `limit` (default
 *    100), `offset` filters; `documents` pages by `offset` or by `afterId`
 *    (keyset, used to stream exports) in id order; `state()` reports the
 *    largest seq, oldest seq, largest document id and largest non-imported
 *    scan_id, so a reopened store continues numbering.
 * 4. `pruneEvents(rule)` deletes the OLDEST events (never documents) until
 *    `time >= minTime` and the kept events' bytes (payload length +
 *    EVENT_ROW_OVERHEAD each) fit in `maxBytes`; resolves to the oldest seq left.
 * 5. A store is then `new BaseStore(backend, await backend.state(), options)`
 *    (or `BaseStore.over(backend)`); give this suite a `ContractTarget` whose
 *    `openBackend()` makes a fresh, empty backend and whose `reopenBackend()`
 *    opens the storage of the last one again (a restart), and call
 *    `runContract('PostgresStore', target)` from a `*.test.ts` file.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunEngine } from '../../src/engine/index.js';
import { hw } from '../../src/devices/index.js';
import { count } from '../../src/plans/index.js';
import type { DocumentName } from '../../src/model/documents.js';
import { documentErrors } from '../../src/model/validate.js';
import {
  type AnyDocument, BaseStore, INTERRUPTED_REASON, type RunStore, type StoreBackend, type StoreOptions, type WriteBatch, attachStore,
} from '../../src/store/index.js';

export interface ContractTarget {
  /** A fresh, empty backend. */
  openBackend(): StoreBackend | Promise<StoreBackend>;
  /** The storage of the last `openBackend()` opened again, as after a restart; omit for a backend that keeps nothing (memory). */
  reopenBackend?(): StoreBackend | Promise<StoreBackend>;
  /** Release what the opens made (temp directories, databases). Called once per test, after the stores are closed. */
  cleanup(): void | Promise<void>;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A hand-made run: start, one descriptor, `n` events, and a stop unless `open`. */
export function handRun(uid: string, n: number, opts: { open?: boolean; plan?: string; time?: number; scanId?: number } = {}): Array<[DocumentName, AnyDocument]> {
  const time = opts.time ?? 1_700_000_000;
  const desc = `${uid}-d`;
  const docs: Array<[DocumentName, AnyDocument]> = [
    ['start', { uid, time, scan_id: opts.scanId ?? 1, plan_name: opts.plan ?? 'count', plan_type: 'generator' }],
    ['descriptor', { uid: desc, time, run_start: uid, name: 'primary', data_keys: { det: { source: 'SIM:det', dtype: 'number', shape: [] } }, object_keys: { det: ['det'] }, configuration: {}, hints: {} }],
  ];
  for (let i = 1; i <= n; i++) {
    docs.push(['event', { uid: `${uid}-e${i}`, time: time + i, descriptor: desc, seq_num: i, data: { det: i / 3 }, timestamps: { det: time + i }, filled: {} }]);
  }
  if (opts.open !== true) docs.push(['stop', { uid: `${uid}-s`, time: time + n + 1, run_start: uid, exit_status: 'success', reason: '', num_events: { primary: n } }]);
  return docs;
}

function appendAll(store: RunStore, docs: ReadonlyArray<[DocumentName, AnyDocument]>): void {
  for (const [name, doc] of docs) store.appendDocument(name, doc);
}

/** Every chunk of an export, joined. */
export async function exportText(store: RunStore, uid: string, pageSize?: number): Promise<string> {
  let text = '';
  for await (const chunk of store.exportRun(uid, pageSize === undefined ? {} : { pageSize })) text += chunk;
  return text;
}

/** An export as its lines (without the newlines). */
export async function exportLines(store: RunStore, uid: string): Promise<string[]> {
  return (await exportText(store, uid)).split('\n').filter((l) => l !== '');
}

/** A backend whose next writes fail while `failing` is set (a full disk, a lost connection). */
export class FailingBackend implements StoreBackend {
  failing = false;
  /** Writes wait for this first (a test reads while a commit is held back). */
  hold: Promise<void> | null = null;
  readonly inner: StoreBackend;
  constructor(inner: StoreBackend) { this.inner = inner; }
  get location(): string { return this.inner.location; }
  state(): ReturnType<StoreBackend['state']> { return this.inner.state(); }
  async write(batch: WriteBatch): Promise<void> {
    if (this.hold !== null) await this.hold;
    if (this.failing) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    await this.inner.write(batch);
  }
  hasRun(uid: string): ReturnType<StoreBackend['hasRun']> { return this.inner.hasRun(uid); }
  getRun(uid: string): ReturnType<StoreBackend['getRun']> { return this.inner.getRun(uid); }
  listRuns(q: Parameters<StoreBackend['listRuns']>[0]): ReturnType<StoreBackend['listRuns']> { return this.inner.listRuns(q); }
  documents(uid: string, page: Parameters<StoreBackend['documents']>[1]): ReturnType<StoreBackend['documents']> { return this.inner.documents(uid, page); }
  readEvents(since: number, limit: number, through?: number): ReturnType<StoreBackend['readEvents']> { return this.inner.readEvents(since, limit, through); }
  unclosedRuns(): ReturnType<StoreBackend['unclosedRuns']> { return this.inner.unclosedRuns(); }
  pruneEvents(rule: Parameters<StoreBackend['pruneEvents']>[0]): ReturnType<StoreBackend['pruneEvents']> { return this.inner.pruneEvents(rule); }
  close(): Promise<void> { return this.inner.close(); }
}

interface Opener {
  open(options?: StoreOptions): Promise<BaseStore>;
  reopen(options?: StoreOptions): Promise<BaseStore>;
  failing(options?: StoreOptions): Promise<{ store: BaseStore; backend: FailingBackend }>;
}

/** Open stores for one test and always close them and clean up. */
async function using(target: ContractTarget, fn: (o: Opener) => Promise<void>): Promise<void> {
  const opened: BaseStore[] = [];
  const keep = (s: BaseStore): BaseStore => { opened.push(s); return s; };
  try {
    await fn({
      open: async (options) => keep(await BaseStore.over(await target.openBackend(), options)),
      reopen: async (options) => {
        if (target.reopenBackend === undefined) throw new Error('reopen: this target keeps nothing');
        return keep(await BaseStore.over(await target.reopenBackend(), options));
      },
      failing: async (options) => {
        const backend = new FailingBackend(await target.openBackend());
        const store = keep(await BaseStore.over(backend, options));
        return { store, backend };
      },
    });
  } finally {
    for (const s of opened) { try { await s.close(); } catch { /* already closed or failed */ } }
    await target.cleanup();
  }
}

export function runContract(label: string, target: ContractTarget): void {
  describe(`RunStore contract: ${label}`, () => {
    it('commits the pending batch at the end of the turn, in one commit, and readers see committed data only', () => using(target, async ({ failing }) => {
      // The commit is held back while the test reads: a read of an asynchronous database takes
      // several turns, and the end-of-turn commit could otherwise finish before the read runs.
      const { store, backend } = await failing();
      let release!: () => void;
      backend.hold = new Promise<void>((resolve) => { release = resolve; });
      const batches: number[] = [];
      store.onCommit((b) => { batches.push(b.documents.length); });
      appendAll(store, handRun('r1', 3));
      assert.equal(store.backlog, 6);
      assert.equal(await store.getRun('r1'), undefined, 'nothing is visible before the commit');
      release();
      await turn();
      await store.commit();
      assert.deepEqual(batches, [6]);
      assert.equal(store.backlog, 0);
      assert.equal((await store.getRun('r1'))?.exitStatus, 'success');
    }));

    it('notifies onCommit only after the batch is durable (write-ahead), and commit() resolves after the listeners', () => using(target, async ({ open }) => {
      const store = await open();
      const checks: Array<Promise<void>> = [];
      const seen: string[] = [];
      store.onCommit((b) => {
        for (const d of b.documents) {
          seen.push(d.name);
          const uid = (d.doc as { uid: string }).uid;
          checks.push(store.getDocuments(d.runUid ?? '').then((docs) => {
            assert.ok(docs.some(([, doc]) => (doc as { uid: string }).uid === uid), 'the document is readable when listeners hear of it');
          }));
        }
      });
      appendAll(store, handRun('r1', 2));
      await store.commit();
      assert.deepEqual(seen, ['start', 'descriptor', 'event', 'event', 'stop']);
      await Promise.all(checks);
    }));

    it('starts a commit when the batch reaches its cap; appends meanwhile go into the next commit, in order', () => using(target, async ({ open }) => {
      const store = await open({ maxBatch: 100 });
      const batches: number[][] = [];
      store.onCommit((b) => { batches.push(b.events.map((e) => e.seq)); });
      for (let i = 0; i < 250; i++) store.appendEvent({ topic: 'log', time: i, data: { i } });
      await store.commit();
      assert.equal(store.latestSeq(), 250);
      assert.ok(batches.length >= 2, `the cap started commits (${String(batches.length)})`);
      assert.deepEqual(batches.flat(), Array.from({ length: 250 }, (_x, i) => i + 1));
      assert.ok(batches.every((b) => b.length <= 250));
      assert.deepEqual((await store.readEvents(0, 1000)).map((e) => e.seq), Array.from({ length: 250 }, (_x, i) => i + 1));
    }));

    it('indexes runs: scan_id, plan, item id, params, times, exit status, events per stream', () => using(target, async ({ open }) => {
      const store = await open();
      const docs = handRun('r1', 4, { scanId: 7 });
      const [first, ...rest] = docs;
      assert.ok(first !== undefined);
      store.appendDocument(first[0], first[1], { itemId: 'item-9', params: { num: 4, detectors: ['det'] } });
      appendAll(store, rest);
      await store.commit();
      // A store several servers share also says which one recorded the run (`instance`); that is checked in its own suite.
      const { instance: _instance, ...run } = (await store.getRun('r1')) ?? { uid: 'missing' };
      assert.deepEqual(run, {
        uid: 'r1', scanId: 7, planName: 'count', itemId: 'item-9', params: { num: 4, detectors: ['det'] },
        startTime: 1_700_000_000, stopTime: 1_700_000_005, exitStatus: 'success', reason: '', numEvents: { primary: 4 },
        interrupted: false, imported: false,
      });
      assert.equal(store.lastScanId(), 7);
    }));

    it('returns documents in emission order, paged', () => using(target, async ({ open }) => {
      const store = await open();
      const docs = handRun('r1', 5);
      appendAll(store, docs);
      await store.commit();
      assert.deepEqual(await store.getDocuments('r1'), docs);
      assert.deepEqual(await store.getDocuments('r1', { offset: 2, limit: 3 }), docs.slice(2, 5));
      assert.deepEqual(await store.getDocuments('nope'), []);
    }));

    it('keeps interleaved runs apart', () => using(target, async ({ open }) => {
      const store = await open();
      const a = handRun('a', 2);
      const b = handRun('b', 3);
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const x = a[i];
        const y = b[i];
        if (x !== undefined) store.appendDocument(x[0], x[1]);
        if (y !== undefined) store.appendDocument(y[0], y[1]);
      }
      await store.commit();
      assert.deepEqual(await store.getDocuments('a'), a);
      assert.deepEqual(await store.getDocuments('b'), b);
      assert.deepEqual((await store.getRun('b'))?.numEvents, { primary: 3 });
      assert.equal(await exportText(store, 'a', 1), a.map(([n, d]) => `${JSON.stringify([n, d])}\n`).join(''));
    }));

    it('lists runs newest first with plan, since, uid prefix, limit and offset filters', () => using(target, async ({ open }) => {
      const store = await open();
      appendAll(store, handRun('old', 1, { time: 100 }));
      appendAll(store, handRun('mid', 1, { time: 200, plan: 'scan' }));
      appendAll(store, handRun('new', 1, { time: 300 }));
      await store.commit();
      const uids = async (q = {}): Promise<string[]> => (await store.listRuns(q)).map((r) => r.uid);
      assert.deepEqual(await uids(), ['new', 'mid', 'old']);
      assert.deepEqual(await uids({ plan: 'count' }), ['new', 'old']);
      assert.deepEqual(await uids({ since: 200 }), ['new', 'mid']);
      assert.deepEqual(await uids({ limit: 1, offset: 1 }), ['mid']);
      assert.deepEqual(await uids({ uidPrefix: 'm' }), ['mid']);
      assert.deepEqual(await uids({ uidPrefix: '' }), ['new', 'mid', 'old']);
      assert.deepEqual(await uids({ uidPrefix: 'mid-' }), []);
    }));

    it('counts events when the stop has no num_events, including event pages', () => using(target, async ({ open }) => {
      const store = await open();
      const docs = handRun('r1', 2, { open: true });
      docs.push(['event_page', { uid: ['p1', 'p2'], time: [1, 2], descriptor: 'r1-d', seq_num: [3, 4], data: { det: [1, 2] }, timestamps: { det: [1, 2] }, filled: {} }]);
      docs.push(['stop', { uid: 'r1-s', time: 9, run_start: 'r1', exit_status: 'success' }]);
      appendAll(store, docs);
      await store.commit();
      assert.deepEqual((await store.getRun('r1'))?.numEvents, { primary: 4 });
    }));

    it('refuses a second start of an open run synchronously; a start whose uid is already committed fails the commit, and nothing of that batch is stored', () => using(target, async ({ open }) => {
      const store = await open();
      appendAll(store, handRun('open', 1, { open: true }));
      assert.throws(() => { store.appendDocument('start', { uid: 'open', time: 1 }); }, { code: 'STORE_DUPLICATE_RUN' });
      appendAll(store, handRun('r1', 1));
      await store.commit();
      const errors: Error[] = [];
      store.onError((e) => { errors.push(e); });
      store.appendDocument('start', { uid: 'r1', time: 1 });
      store.appendEvent({ topic: 'state', time: 1, data: {} });
      await assert.rejects(store.commit(), (e: Error & { code?: string }) => e.code === 'STORE_WRITE_FAILED' && e.message.includes(store.location));
      assert.equal(errors.length, 1);
      assert.equal(store.failure, errors[0]);
      assert.throws(() => store.appendEvent({ topic: 'state', time: 2, data: {} }), { code: 'STORE_WRITE_FAILED' });
      assert.equal((await store.getRun('r1'))?.exitStatus, 'success', 'the stored run is untouched');
      assert.equal((await store.readEvents(0, 100)).length, 7, 'the failed batch left nothing');
    }));

    it('keeps a server-wide event log: seq +1 per event, document events stored once, replay by since/limit', () => using(target, async ({ open }) => {
      const store = await open();
      assert.equal(store.oldestSeq(), null);
      assert.equal(store.latestSeq(), 0);
      assert.equal(store.appendEvent({ topic: 'state', time: 1, data: { state: 'running' } }), 1);
      const docs = handRun('r1', 1);
      const seqs = docs.map(([name, doc], i) => store.appendDocument(name, doc, undefined, 2 + i));
      assert.deepEqual(seqs, [2, 3, 4, 5]);
      assert.equal(store.appendEvent({ topic: 'state', time: 9, data: { state: 'idle' } }), 6);
      assert.equal(store.latestSeq(), 0, 'latestSeq counts committed events');
      await store.commit();
      assert.equal(store.oldestSeq(), 1);
      assert.equal(store.latestSeq(), 6);
      assert.deepEqual(await store.readEvents(2, 2), [
        { seq: 3, topic: 'document', time: 3, data: { name: 'descriptor', doc: docs[1]?.[1] } },
        { seq: 4, topic: 'document', time: 4, data: { name: 'event', doc: docs[2]?.[1] } },
      ]);
      assert.deepEqual((await store.readEvents(5, 100)).map((e) => e.seq), [6]);
      assert.deepEqual(await store.getDocuments('r1'), docs, 'document events also file the documents');
    }));

    it('reads the event log by seq range: the stored seqs after one, through another, whatever the gaps', () => using(target, async ({ open }) => {
      const store = await open();
      for (let i = 1; i <= 10; i++) store.appendEvent({ topic: i % 2 === 0 ? 'progress' : 'state', time: i, data: { i }, transient: i % 2 === 0 });
      store.appendEvent({ topic: 'state', time: 11, data: { i: 11 } });
      await store.commit();
      // Stored: the odd seqs (progress is transient) and 11; the range's bound is a seq, not a row count.
      assert.deepEqual((await store.readEvents(2, 100, 7)).map((e) => e.seq), [3, 5, 7]);
      assert.deepEqual((await store.readEvents(2, 2, 9)).map((e) => e.seq), [3, 5], 'the limit still holds');
      assert.deepEqual((await store.readEvents(7, 100, 8)).map((e) => e.seq), [], 'a range of unstored seqs is empty');
      assert.deepEqual((await store.readEvents(8, 100)).map((e) => e.seq), [9, 11], 'no upper bound: to the end');
    }));

    it('hands listeners the committed documents and events in seq order', () => using(target, async ({ open }) => {
      const store = await open();
      const seen: number[] = [];
      const docs: number[] = [];
      store.onCommit((b) => { seen.push(...b.events.map((e) => e.seq)); docs.push(...b.documents.map((d) => d.id)); });
      store.appendEvent({ topic: 'state', time: 1, data: {} });
      store.appendDocument('start', { uid: 'r', time: 1 }, undefined, 2);
      store.appendDocument('stop', { uid: 's', time: 2, run_start: 'r', exit_status: 'success' }, undefined, 3);
      await store.commit();
      assert.deepEqual(seen, [1, 2, 3]);
      assert.equal(docs.length, 2);
      assert.ok((docs[0] ?? 0) < (docs[1] ?? 0));
    }));

    it('stores what a RunEngine emits, valid, and continues scan_id from the store', () => using(target, async ({ open }) => {
      const store = await open();
      appendAll(store, handRun('earlier', 0, { scanId: 41 }));
      const re = new RunEngine();
      const detach = attachStore(re, store, { meta: () => ({ itemId: 'it-1', params: { num: 3 } }) });
      const uids = await re.run(count([hw().det], { num: 3 })) as string[];
      await detach();
      const uid = uids[0] ?? '';
      const run = await store.getRun(uid);
      assert.equal(run?.scanId, 42);
      assert.equal(run?.itemId, 'it-1');
      assert.deepEqual(run?.numEvents, { primary: 3 });
      const lines = (await exportText(store, uid)).split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 6);
      for (const line of lines) {
        const [name, doc] = JSON.parse(line) as [DocumentName, unknown];
        assert.deepEqual(documentErrors(name, doc), [], line);
      }
    }));

    it('does not close a run that is still open in this process', () => using(target, async ({ open }) => {
      const store = await open();
      appendAll(store, handRun('live', 2, { open: true }));
      await store.commit();
      assert.deepEqual(await store.recoverInterrupted(), []);
      assert.equal((await store.getRun('live'))?.stopTime, null);
    }));

    it('round-trips export (streamed in chunks) → import into a fresh store → export, byte for byte', () => using(target, async ({ open }) => {
      const a = await open();
      appendAll(a, handRun('r1', 3));
      await a.commit();
      const text = await exportText(a, 'r1');
      assert.equal(await exportText(a, 'r1', 2), text, 'the page size changes nothing');
      const chunks: string[] = [];
      for await (const c of a.exportRun('r1', { pageSize: 2 })) chunks.push(c);
      assert.equal(chunks.length, 3, 'six documents in pages of two');
      assert.ok(chunks.every((c) => c.endsWith('\n')), 'chunks are whole lines');
      const lines = text.split('\n').filter((l) => l !== '');
      const b = await open();
      assert.deepEqual(await b.importJsonl(lines), { runs: ['r1'], documents: 6 });
      assert.equal(await exportText(b, 'r1'), text);
      const run = await b.getRun('r1');
      assert.equal(run?.imported, true);
      assert.deepEqual(run?.numEvents, { primary: 3 });
      assert.equal(b.lastScanId(), 0, 'imported runs do not move the scan_id');
      await assert.rejects(b.importJsonl(lines), (e: Error & { code?: string }) => e.code === 'STORE_DUPLICATE_RUN' && e.message.includes('r1'));
      await assert.rejects(exportText(b, 'nope'), { code: 'STORE_UNKNOWN_RUN' });
    }));

    it('refuses an import with an invalid document, naming the line, and stores nothing', () => using(target, async ({ open }) => {
      const store = await open();
      const lines = handRun('r1', 2).map(([n, d]) => JSON.stringify([n, d]));
      lines[2] = JSON.stringify(['event', { uid: 'x', descriptor: 'r1-d' }]);
      await assert.rejects(store.importJsonl(lines), (e: Error & { code?: string }) =>
        e.code === 'STORE_IMPORT_INVALID' && /line 3 event/.test(e.message));
      await assert.rejects(store.importJsonl(['not json']), { code: 'STORE_IMPORT_INVALID' });
      await assert.rejects(store.importJsonl([JSON.stringify(['event', handRun('z', 1)[2]?.[1]])]), /belongs to no run/);
      assert.equal((await store.listRuns()).length, 0);
    }));

    it('keeps the event log within a retention rule (age, then size); documents stay', () => using(target, async ({ open }) => {
      const store = await open();
      for (let i = 1; i <= 10; i++) store.appendEvent({ topic: 'progress', time: i, data: { done: i } });
      appendAll(store, handRun('r1', 2, { time: 20 }));
      await store.commit();
      await store.pruneEvents({ minTime: 5 });
      assert.equal(store.oldestSeq(), 5);
      assert.equal((await store.readEvents(0, 100))[0]?.seq, 5);
      const size = JSON.stringify({ done: 10 }).length;
      await store.pruneEvents({ maxBytes: 5 * 32 + size + 32 });
      assert.equal(store.oldestSeq(), 10, 'the newest events that fit: the run’s five document events and one progress event');
      assert.deepEqual((await store.readEvents(0, 100)).map((e) => e.seq), [10, 11, 12, 13, 14, 15]);
      assert.equal((await store.getDocuments('r1')).length, 5, 'documents are never pruned');
      assert.equal(store.latestSeq(), 15);
      assert.equal(store.appendEvent({ topic: 'state', time: 30, data: {} }), 16);
    }));

    it('after a failed commit: rejects waiters, tells onError, refuses appends, keeps what was committed readable', () => using(target, async ({ failing }) => {
      const { store, backend } = await failing();
      appendAll(store, handRun('r1', 1));
      await store.commit();
      const errors: Error[] = [];
      store.onError((e) => { errors.push(e); });
      backend.failing = true;
      appendAll(store, handRun('r2', 1, { open: true }));
      await assert.rejects(store.commit(), (e: Error & { code?: string }) => e.code === 'STORE_WRITE_FAILED' && /disk is full/.test(e.message));
      assert.equal(errors.length, 1);
      assert.throws(() => store.appendEvent({ topic: 'log', time: 1, data: {} }), { code: 'STORE_WRITE_FAILED' });
      assert.equal(store.backlog, 0, 'what was pending is dropped with the failed batch');
      assert.equal((await store.getRun('r1'))?.exitStatus, 'success');
      assert.equal(await store.getRun('r2'), undefined);
      await store.close();
    }));

    it('recovers once the cause is fixed: numbering continues after what was shown, runs open at the failure are closed naming it', () => using(target, async ({ failing }) => {
      const { store, backend } = await failing();
      const seen: number[] = [];
      store.onCommit((b) => { seen.push(...b.events.map((e) => e.seq)); });
      store.onError(() => {});
      const run = handRun('r1', 2, { open: true });
      appendAll(store, run.slice(0, 3));
      await store.commit();
      assert.throws(() => store.skipSeq(), 'skipSeq only while failed');
      backend.failing = true;
      store.appendDocument(...(run[3] as [DocumentName, AnyDocument]));
      await assert.rejects(store.commit());
      assert.equal(store.latestSeq(), 3, 'the failed batch showed nothing');
      assert.equal(store.skipSeq(), 4, 'an unstored event takes the next number');
      assert.equal(store.latestSeq(), 4);
      await assert.rejects(store.recover(), { code: 'STORE_WRITE_FAILED' }, 'the cause persists');
      assert.notEqual(store.failure, null);
      backend.failing = false;
      await store.recover();
      assert.equal(store.failure, null);
      const closed = await store.getRun('r1');
      assert.equal(closed?.exitStatus, 'abort');
      assert.equal(closed?.interrupted, true);
      assert.match(closed?.reason ?? '', /^run storage failed: .*disk is full/);
      assert.deepEqual(closed?.numEvents, { primary: 1 });
      assert.deepEqual(seen, [1, 2, 3, 5], 'the recovered stop is committed and published after the skipped seq');
      assert.equal(store.appendEvent({ topic: 'state', time: 1, data: {} }), 6);
      await store.commit();
      assert.deepEqual((await store.readEvents(0, 100)).map((e) => e.seq), [1, 2, 3, 5, 6], 'the unstored seq is a gap on disk');
      appendAll(store, handRun('r2', 1));
      await store.commit();
      assert.equal((await store.getRun('r2'))?.exitStatus, 'success');
      await store.recover(); // a working store: nothing to do
    }));

    it('refuses use after close', () => using(target, async ({ open }) => {
      const store = await open();
      await store.close();
      assert.throws(() => { store.appendEvent({ topic: 'x', time: 0, data: null }); }, { code: 'STORE_CLOSED' });
      assert.throws(() => store.listRuns(), { code: 'STORE_CLOSED' });
      await store.close();
    }));

    if (target.reopenBackend !== undefined) {
      it('continues seq, document ids and scan_id after a reopen, and closes the run left open (committed before it is published)', () => using(target, async ({ open, reopen }) => {
        const a = await open();
        a.appendEvent({ topic: 'state', time: 1, data: {} });
        appendAll(a, handRun('done', 1, { scanId: 12 }));
        appendAll(a, handRun('left', 2, { open: true, scanId: 13 }));
        await a.commit();
        const seqBefore = a.latestSeq();
        await a.close();
        const b = await reopen();
        assert.equal(b.latestSeq(), seqBefore);
        assert.equal(b.oldestSeq(), 1);
        assert.equal(b.lastScanId(), 13);
        const published: Array<Promise<unknown>> = [];
        const stops = await b.recoverInterrupted((name, doc) => {
          published.push(b.getRun((doc as { run_start: string }).run_start).then((r) => { assert.equal(r?.interrupted, true, `${name} committed before published`); }));
        }, { time: 1_800_000_000 });
        await Promise.all(published);
        assert.equal(stops.length, 1);
        assert.deepEqual(stops[0]?.num_events, { primary: 2 });
        const run = await b.getRun('left');
        assert.equal(run?.exitStatus, 'abort');
        assert.equal(run?.reason, INTERRUPTED_REASON);
        const last = (await b.readEvents(seqBefore, 10));
        assert.deepEqual(last.map((e) => [e.seq, (e.data as { name?: string }).name]), [[seqBefore + 1, 'stop']], 'the recovered stop is in the log, numbered after the last seq');
        assert.equal(b.appendEvent({ topic: 'state', time: 2, data: {} }), seqBefore + 2);
        appendAll(b, handRun('next', 1, { scanId: 14 }));
        await b.commit();
        assert.equal((await b.getDocuments('next')).length, 4, 'document ids continue without a clash');
        assert.deepEqual(await b.recoverInterrupted(), [], 'recovery is idempotent');
      }));
    }
  });
}
