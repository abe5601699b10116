/** The bus's bounded buffer on its own: order, the bounds, drop-oldest with the gap carried to the next entry, in-flight entries never dropped. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BusEntry, PendingEntries } from '../../src/bus/index.js';

const entry = (seq: number, bytes = 10): BusEntry => ({ seq, stream: seq % 2 === 0 ? 'documents' : 'events', fields: ['k', 'v'], bytes, at: 0 });

describe('PendingEntries', () => {
  test('keeps order; take/settle forget what was published and give back the rest in order', () => {
    const p = new PendingEntries({ maxEntries: 100, maxBytes: 1 << 20 });
    for (let s = 1; s <= 10; s++) p.push(entry(s));
    const first = p.take(4);
    assert.deepEqual(first.map((x) => x.entry.seq), [1, 2, 3, 4]);
    p.settle(2);
    assert.equal(p.size, 8);
    assert.deepEqual(p.take(100).map((x) => x.entry.seq), [3, 4, 5, 6, 7, 8, 9, 10]);
    p.settle(8);
    assert.equal(p.size, 0);
    assert.equal(p.bytes, 0);
    assert.equal(p.lost, 0);
  });

  test('full: drops the oldest, counts them, and the next entry carries the gap', () => {
    const p = new PendingEntries({ maxEntries: 5, maxBytes: 1 << 20 });
    let dropped = 0;
    for (let s = 1; s <= 12; s++) dropped += p.push(entry(s));
    assert.equal(dropped, 7);
    assert.equal(p.size, 5);
    assert.equal(p.lost, 7);
    assert.deepEqual(p.lostRanges, [{ first: 1, last: 7, count: 7 }]);
    const items = p.take(10);
    assert.deepEqual(items.map((x) => x.entry.seq), [8, 9, 10, 11, 12]);
    assert.deepEqual(items[0]?.gapBefore, { first: 1, last: 7, count: 7 });
    assert.equal(items[1]?.gapBefore, null);
  });

  test('the byte bound counts too; the newest entry always stays', () => {
    const p = new PendingEntries({ maxEntries: 100, maxBytes: 25 });
    for (let s = 1; s <= 4; s++) p.push(entry(s, 10));
    assert.equal(p.size, 2);
    assert.equal(p.bytes, 20);
    p.push(entry(5, 1000));
    assert.equal(p.size, 1, 'an entry bigger than the bound is kept alone');
    assert.equal(p.lost, 4);
  });

  test('entries in flight are never dropped; what is dropped meanwhile leaves a gap after them', () => {
    const p = new PendingEntries({ maxEntries: 4, maxBytes: 1 << 20 });
    for (let s = 1; s <= 4; s++) p.push(entry(s));
    assert.equal(p.take(2).length, 2); // 1, 2 in flight
    for (let s = 5; s <= 7; s++) p.push(entry(s)); // drops 3, 4, 5
    assert.equal(p.lost, 3);
    p.settle(0); // the pipeline failed: 1 and 2 wait again, before the gap
    const items = p.take(10);
    assert.deepEqual(items.map((x) => x.entry.seq), [1, 2, 6, 7]);
    assert.deepEqual(items[2]?.gapBefore, { first: 3, last: 5, count: 3 });
    p.settle(4);
    assert.equal(p.size, 0);
  });

  test('dropHeadWhile forgets entries Redis already has', () => {
    const p = new PendingEntries({ maxEntries: 10, maxBytes: 1 << 20 });
    for (let s = 1; s <= 6; s++) p.push(entry(s));
    assert.equal(p.dropHeadWhile((e) => e.seq <= 3), 3);
    assert.equal(p.oldestSeq(), 4);
  });

  test('100 000 drops stay cheap (no per-drop copying)', () => {
    const p = new PendingEntries({ maxEntries: 1000, maxBytes: 1 << 30 });
    p.push(entry(0));
    p.take(1); // one in flight: drops take the slow path if there is one
    for (let s = 1; s <= 100_000; s++) p.push(entry(s));
    assert.equal(p.lost, 100_000 - 999);
    p.settle(1);
    assert.equal(p.size, 999);
  });
});
