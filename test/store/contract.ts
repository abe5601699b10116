/**
 * The RunStore contract, run against every implementation (memory.test.ts,
 * sqlite.test.ts): batching and write-ahead, the run index, the event log, JSONL.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunEngine } from '../../src/engine/index.js';
import { hw } from '../../src/devices/index.js';
import { count } from '../../src/plans/index.js';
import type { DocumentName } from '../../src/model/documents.js';
import { documentErrors } from '../../src/model/validate.js';
import { attachStore, type AnyDocument, type RunStore } from '../../src/store/index.js';

export interface ContractTarget {
  /** A fresh, empty store. */
  open(): RunStore;
  /** Release what `open` made (temp directories). Called once per test, after the stores are closed. */
  cleanup(): void;
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

/** Open a store for one test and always close it and clean up. */
async function using(target: ContractTarget, fn: (open: () => RunStore) => Promise<void> | void): Promise<void> {
  const opened: RunStore[] = [];
  try {
    await fn(() => { const s = target.open(); opened.push(s); return s; });
  } finally {
    for (const s of opened) { try { s.close(); } catch { /* already closed */ } }
    target.cleanup();
  }
}

export function runContract(label: string, target: ContractTarget): void {
  describe(`RunStore contract: ${label}`, () => {
    it('commits the pending batch at the end of the turn, in one commit, and readers see committed data only', () => using(target, async (open) => {
      const store = open();
      const batches: number[] = [];
      store.onCommit((b) => { batches.push(b.documents.length); });
      appendAll(store, handRun('r1', 3));
      assert.equal(store.getRun('r1'), undefined, 'nothing is visible before the commit');
      await turn();
      assert.deepEqual(batches, [6]);
      assert.equal(store.getRun('r1')?.exitStatus, 'success');
    }));

    it('notifies onCommit only after the batch is durable (write-ahead)', () => using(target, async (open) => {
      const store = open();
      const seen: string[] = [];
      store.onCommit((b) => {
        for (const d of b.documents) {
          const stored = d.runUid === null ? [] : store.getDocuments(d.runUid).map(([, doc]) => (doc as { uid: string }).uid);
          assert.ok(stored.includes((d.doc as { uid: string }).uid), 'the document is readable when listeners hear of it');
          seen.push(d.name);
        }
      });
      appendAll(store, handRun('r1', 2));
      store.flush();
      assert.deepEqual(seen, ['start', 'descriptor', 'event', 'event', 'stop']);
    }));

    it('commits synchronously when the batch reaches its cap', () => using(target, (open) => {
      const store = open();
      let commits = 0;
      store.onCommit(() => { commits++; });
      for (let i = 0; i < 3000; i++) store.appendEvent({ topic: 'log', time: i, data: { i } });
      assert.equal(commits, 1);
      assert.equal(store.latestSeq(), 2048);
      store.flush();
      assert.equal(store.latestSeq(), 3000);
    }));

    it('indexes runs: scan_id, plan, item id, params, times, exit status, events per stream', () => using(target, (open) => {
      const store = open();
      const docs = handRun('r1', 4, { scanId: 7 });
      const [first, ...rest] = docs;
      assert.ok(first !== undefined);
      store.appendDocument(first[0], first[1], { itemId: 'item-9', params: { num: 4, detectors: ['det'] } });
      appendAll(store, rest);
      store.flush();
      assert.deepEqual(store.getRun('r1'), {
        uid: 'r1', scanId: 7, planName: 'count', itemId: 'item-9', params: { num: 4, detectors: ['det'] },
        startTime: 1_700_000_000, stopTime: 1_700_000_005, exitStatus: 'success', reason: '', numEvents: { primary: 4 },
        interrupted: false, imported: false,
      });
      assert.equal(store.lastScanId(), 7);
    }));

    it('returns documents in emission order, paged', () => using(target, (open) => {
      const store = open();
      const docs = handRun('r1', 5);
      appendAll(store, docs);
      store.flush();
      assert.deepEqual(store.getDocuments('r1'), docs);
      assert.deepEqual(store.getDocuments('r1', { offset: 2, limit: 3 }), docs.slice(2, 5));
      assert.deepEqual(store.getDocuments('nope'), []);
    }));

    it('keeps interleaved runs apart', () => using(target, (open) => {
      const store = open();
      const a = handRun('a', 2);
      const b = handRun('b', 3);
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const x = a[i];
        const y = b[i];
        if (x !== undefined) store.appendDocument(x[0], x[1]);
        if (y !== undefined) store.appendDocument(y[0], y[1]);
      }
      store.flush();
      assert.deepEqual(store.getDocuments('a'), a);
      assert.deepEqual(store.getDocuments('b'), b);
      assert.deepEqual(store.getRun('b')?.numEvents, { primary: 3 });
    }));

    it('lists runs newest first with plan, since, uid prefix, limit and offset filters', () => using(target, (open) => {
      const store = open();
      appendAll(store, handRun('old', 1, { time: 100 }));
      appendAll(store, handRun('mid', 1, { time: 200, plan: 'scan' }));
      appendAll(store, handRun('new', 1, { time: 300 }));
      store.flush();
      const uids = (q = {}): string[] => store.listRuns(q).map((r) => r.uid);
      assert.deepEqual(uids(), ['new', 'mid', 'old']);
      assert.deepEqual(uids({ plan: 'count' }), ['new', 'old']);
      assert.deepEqual(uids({ since: 200 }), ['new', 'mid']);
      assert.deepEqual(uids({ limit: 1, offset: 1 }), ['mid']);
      assert.deepEqual(uids({ uidPrefix: 'm' }), ['mid']);
      assert.deepEqual(uids({ uidPrefix: '' }), ['new', 'mid', 'old']);
      assert.deepEqual(uids({ uidPrefix: 'mid-' }), []);
    }));

    it('counts events when the stop has no num_events, including event pages', () => using(target, (open) => {
      const store = open();
      const docs = handRun('r1', 2, { open: true });
      docs.push(['event_page', { uid: ['p1', 'p2'], time: [1, 2], descriptor: 'r1-d', seq_num: [3, 4], data: { det: [1, 2] }, timestamps: { det: [1, 2] }, filled: {} }]);
      docs.push(['stop', { uid: 'r1-s', time: 9, run_start: 'r1', exit_status: 'success' }]);
      appendAll(store, docs);
      store.flush();
      assert.deepEqual(store.getRun('r1')?.numEvents, { primary: 4 });
    }));

    it('refuses a second start with a stored uid, synchronously', () => using(target, (open) => {
      const store = open();
      appendAll(store, handRun('r1', 1));
      assert.throws(() => { store.appendDocument('start', { uid: 'r1', time: 1 }); }, { code: 'STORE_DUPLICATE_RUN' });
      store.flush();
      assert.throws(() => { store.appendDocument('start', { uid: 'r1', time: 1 }); }, { code: 'STORE_DUPLICATE_RUN' });
    }));

    it('keeps a server-wide event log: seq +1 per event, document events stored once, replay by since/limit', () => using(target, (open) => {
      const store = open();
      assert.equal(store.oldestSeq(), null);
      assert.equal(store.latestSeq(), 0);
      assert.equal(store.appendEvent({ topic: 'state', time: 1, data: { state: 'running' } }), 1);
      const docs = handRun('r1', 1);
      const seqs = docs.map(([name, doc], i) => store.appendDocumentEvent(name, doc, 2 + i));
      assert.deepEqual(seqs, [2, 3, 4, 5]);
      assert.equal(store.appendEvent({ topic: 'state', time: 9, data: { state: 'idle' } }), 6);
      assert.equal(store.latestSeq(), 0, 'latestSeq counts committed events');
      store.flush();
      assert.equal(store.oldestSeq(), 1);
      assert.equal(store.latestSeq(), 6);
      const replay = store.readEvents(2, 2);
      assert.deepEqual(replay, [
        { seq: 3, topic: 'document', time: 3, data: { name: 'descriptor', doc: docs[1]?.[1] } },
        { seq: 4, topic: 'document', time: 4, data: { name: 'event', doc: docs[2]?.[1] } },
      ]);
      assert.deepEqual(store.readEvents(5, 100).map((e) => e.seq), [6]);
      assert.deepEqual(store.getDocuments('r1'), docs, 'document events also file the documents');
    }));

    it('hands listeners the committed events in seq order', () => using(target, (open) => {
      const store = open();
      const seen: number[] = [];
      store.onCommit((b) => { seen.push(...b.events.map((e) => e.seq)); });
      store.appendEvent({ topic: 'state', time: 1, data: {} });
      store.appendDocumentEvent('start', { uid: 'r', time: 1 }, 2);
      store.flush();
      assert.deepEqual(seen, [1, 2]);
    }));

    it('stores what a RunEngine emits, valid, and continues scan_id from the store', () => using(target, async (open) => {
      const store = open();
      appendAll(store, handRun('earlier', 0, { scanId: 41 }));
      const re = new RunEngine();
      const detach = attachStore(re, store, { meta: () => ({ itemId: 'it-1', params: { num: 3 } }) });
      const uids = await re.run(count([hw().det], { num: 3 })) as string[];
      detach();
      const uid = uids[0] ?? '';
      const run = store.getRun(uid);
      assert.equal(run?.scanId, 42);
      assert.equal(run?.itemId, 'it-1');
      assert.deepEqual(run?.numEvents, { primary: 3 });
      const lines = store.exportRun(uid);
      assert.equal(lines.length, 6);
      for (const line of lines) {
        const [name, doc] = JSON.parse(line) as [DocumentName, unknown];
        assert.deepEqual(documentErrors(name, doc), [], line);
      }
    }));

    it('does not close a run that is still open in this process', () => using(target, (open) => {
      const store = open();
      appendAll(store, handRun('live', 2, { open: true }));
      store.flush();
      assert.deepEqual(store.recoverInterrupted(), []);
      assert.equal(store.getRun('live')?.stopTime, null);
    }));

    it('round-trips export → import into a fresh store → export, byte for byte', () => using(target, (open) => {
      const a = open();
      appendAll(a, handRun('r1', 3));
      a.flush();
      const lines = a.exportRun('r1');
      const b = open();
      assert.deepEqual(b.importJsonl(lines), { runs: ['r1'], documents: 6 });
      assert.deepEqual(b.exportRun('r1'), lines);
      assert.equal(b.getRun('r1')?.imported, true);
      assert.deepEqual(b.getRun('r1')?.numEvents, { primary: 3 });
      assert.equal(b.lastScanId(), 0, 'imported runs do not move the scan_id');
      assert.throws(() => b.importJsonl(lines), (e: Error & { code?: string }) => e.code === 'STORE_DUPLICATE_RUN' && e.message.includes('r1'));
    }));

    it('refuses an import with an invalid document, naming the line, and stores nothing', () => using(target, (open) => {
      const store = open();
      const lines = handRun('r1', 2).map(([n, d]) => JSON.stringify([n, d]));
      lines[2] = JSON.stringify(['event', { uid: 'x', descriptor: 'r1-d' }]);
      assert.throws(() => store.importJsonl(lines), (e: Error & { code?: string }) =>
        e.code === 'STORE_IMPORT_INVALID' && /line 3 event/.test(e.message));
      assert.throws(() => store.importJsonl(['not json']), { code: 'STORE_IMPORT_INVALID' });
      assert.throws(() => store.importJsonl([JSON.stringify(['event', handRun('z', 1)[2]?.[1]])]), /belongs to no run/);
      assert.equal(store.listRuns().length, 0);
    }));

    it('refuses use after close', () => using(target, (open) => {
      const store = open();
      store.close();
      assert.throws(() => { store.appendEvent({ topic: 'x', time: 0, data: null }); }, { code: 'STORE_CLOSED' });
      assert.throws(() => store.listRuns(), { code: 'STORE_CLOSED' });
      store.close();
    }));
  });
}
