/**
 * Between two items the queue writes once: the item's end and the next item's
 * start in one transaction (one round trip to PostgreSQL). What that write must
 * keep: a `queue.stop` that arrives while it runs still stops the queue after
 * the item, with the next item back at the front in the store and in memory;
 * a write that fails stops the queue without running the next item. A store
 * whose writes wait on a gate stands in for a slow database.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, registerStandardPlans } from '../../src/dispatcher/index.js';
import { MemoryQueueStore, type QueueChange, QueueScheduler, type QueueWrite, attachQueue, detachQueue } from '../../src/queue/index.js';
import { until } from '../helpers/wait.js';

const COUNT = { plan: 'count', params: { detectors: ['det'], num: 1 } };

/** Records every write; a write that ends an item waits for `release()` (or fails, with `failEnds`). */
class SlowStore extends MemoryQueueStore {
  readonly writes: QueueWrite[] = [];
  failEnds = false;
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;
  ending = false;
  hold(): void { this.#gate = new Promise((resolve) => { this.#open = resolve; }); }
  release(): void { this.#open?.(); this.#gate = null; }
  override async write(change: QueueWrite): Promise<void> {
    this.writes.push(structuredClone(change));
    if (change.history !== undefined && change.history.length > 0) {
      this.ending = true;
      if (this.#gate !== null) await this.#gate;
      this.ending = false;
      if (this.failEnds) throw new Error('disk full (test)');
    }
    await super.write(change);
  }
}

describe('the write between two items', () => {
  let d: Dispatcher;
  let q: QueueScheduler;
  let store: SlowStore;
  let changes: QueueChange[];
  let errors: string[];
  beforeEach(async () => {
    d = new Dispatcher({ devices: hw().devices });
    registerStandardPlans(d);
    await d.open();
    store = new SlowStore();
    errors = [];
    q = new QueueScheduler(d, { store, onError: (m) => errors.push(m) });
    attachQueue(q);
    changes = [];
    q.onChange((c) => changes.push(c));
  });
  afterEach(async () => { detachQueue(q); q.dispose(); await d.shutdown(); });

  it('ends one item and starts the next in one write', async () => {
    const [a, b] = (await q.add([COUNT, COUNT], {}, 'tester')).items;
    q.start();
    await until('both items', () => q.state === 'stopped');
    const between = store.writes.filter((w) => (w.history?.length ?? 0) > 0);
    assert.equal(between.length, 2);
    assert.deepEqual(between[0]?.items, [{ op: 'delete', item_uid: b?.item_uid }], 'the end of the first is the start of the second');
    assert.equal(between[0]?.running?.item.item_uid, b?.item_uid);
    assert.equal(between[1]?.running, null, 'the last: nothing next');
    assert.deepEqual(q.history(0, 10).entries.map((e) => e.item.item_uid), [b?.item_uid, a?.item_uid]);
    const snap = await store.load();
    assert.deepEqual([snap.items.length, snap.running, snap.history.length], [0, null, 2]);
  });

  it('the event loop turns between items (the in-process engine runs a quick item in promise callbacks alone)', async () => {
    await q.add(Array.from({ length: 50 }, () => COUNT), {}, 'tester');
    q.start();
    // Before, a timer (or a request: a stop, a pause) waited for the whole queue: nothing else ran.
    const doneAtTimer = await new Promise<number>((resolve) => { setTimeout(() => resolve(q.history(0, 1).total), 0); });
    assert.ok(doneAtTimer < 50, `the timer ran after ${String(doneAtTimer)} of 50 items`);
    q.stop();
    await until('the queue to stop', () => q.state === 'stopped');
    assert.ok(q.history(0, 1).total < 50, 'and the stop was taken before the end');
  });

  it('loop mode with one item: the item put back at the end is the next one, taken in the same write', async () => {
    await q.setMode({ loop: true });
    await q.add([COUNT], {}, 'tester');
    q.start();
    await until('three rounds', () => q.history(0, 10).total >= 3);
    q.stop();
    await until('the queue to stop', () => q.state === 'stopped');
    const ran = q.history(0, 100).entries.map((e) => e.item.item_uid);
    assert.equal(new Set(ran).size, ran.length, 'each round a new item uid');
    const first = store.writes.find((w) => (w.history?.length ?? 0) > 0);
    const [put, del] = first?.items ?? [];
    assert.ok(put?.op === 'put' && del?.op === 'delete' && del.item_uid === put.item.item_uid, JSON.stringify(first?.items));
    assert.equal(first?.running?.item.item_uid, put.item.item_uid);
    const snap = await store.load();
    assert.equal(snap.running, null);
    assert.equal(snap.items.length, 1, 'the next round waits, pending');
    assert.deepEqual(q.view().items.map((i) => i.item_uid), snap.items.map((x) => x.item.item_uid));
  });

  it('a queue.stop while that write runs: the item ends, the next goes back to the front and does not run', async () => {
    const [, b] = (await q.add([COUNT, COUNT], {}, 'tester')).items;
    store.hold();
    q.start();
    await until('the first item\'s end being written', () => store.ending);
    q.stop();
    store.release();
    await until('the queue to stop', () => q.state === 'stopped');
    assert.equal(q.view().items[0]?.item_uid, b?.item_uid, 'still first, in memory');
    const snap = await store.load();
    assert.equal(snap.running, null);
    assert.deepEqual(snap.items.map((s) => s.item.item_uid), [b?.item_uid], 'and in the store');
    assert.equal(q.history(0, 10).total, 1);
    assert.ok(!changes.some((c) => c.change === 'running' && c.running.item.item_uid === b?.item_uid), 'never started');
    assert.equal(d.busy, false);
  });

  it('the server stopping while that write runs: the next item goes back to the front and does not run', async () => {
    const [, b] = (await q.add([COUNT, COUNT], {}, 'tester')).items;
    store.hold();
    q.start();
    await until('the first item\'s end being written', () => store.ending);
    q.beginShutdown('server stopping (test)', true);
    store.release();
    await until('the queue to stop', () => q.state === 'stopped');
    assert.equal(q.view().items[0]?.item_uid, b?.item_uid);
    assert.deepEqual((await store.load()).items.map((s) => s.item.item_uid), [b?.item_uid]);
    assert.ok(!changes.some((c) => c.change === 'running' && c.running.item.item_uid === b?.item_uid), 'never started');
  });

  it('a write that fails: the history keeps what happened in memory, the queue stops, the next item stays', async () => {
    const [, b] = (await q.add([COUNT, COUNT], {}, 'tester')).items;
    store.failEnds = true;
    q.start();
    await until('the queue to stop', () => q.state === 'stopped');
    assert.equal(q.history(0, 10).total, 1);
    assert.equal(q.view().items[0]?.item_uid, b?.item_uid);
    assert.match(errors.join('\n'), /could not record how its item ended, nor the next item; the queue stops/);
    assert.ok(!changes.some((c) => c.change === 'running' && c.running.item.item_uid === b?.item_uid));
  });
});
