/**
 * Replay from the store across the seqs it did not keep: progress is shown live
 * but not written (transient), so the log on disk has gaps; a `since` replay
 * older than the ring must pass over them, page after page, and then continue
 * seamlessly with the ring.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from '../../src/store/index.js';
import { StoreEventLog } from '../../src/protocol/v2/store-log.js';
import type { LoggedEvent } from '../../src/protocol/v2/event-log.js';
import type { Event } from '../../src/protocol/v2/types.js';

/** Read everything after `since` as a v2 session does: iterate, and when the log runs dry, wait for a wake. */
async function replay(log: StoreEventLog, since: number): Promise<LoggedEvent[]> {
  const out: LoggedEvent[] = [];
  let cursor = since;
  while (cursor < log.latest()) {
    const woken = new Promise<void>((resolve) => { const off = log.onCommitted(() => { off(); resolve(); }); });
    const events = log.since(cursor);
    assert.notEqual(events, 'too_old');
    if (events === 'too_old') break;
    for (const e of events) { assert.ok(e.seq > cursor, `seq ${String(e.seq)} after ${String(cursor)}`); cursor = e.seq; out.push(e); }
    if (cursor < log.latest()) await woken;
  }
  return out;
}

describe('StoreEventLog replays across unstored seqs', () => {
  test('transient events are live, absent from disk, and a replay from disk skips them across several pages', async () => {
    const store = new MemoryStore();
    const log = new StoreEventLog(store, { maxEvents: 50 });
    const live: Event[] = [];
    log.onCommitted(() => { /* counted below from the ring */ });
    store.onCommit((b) => { live.push(...(b.events as Event[])); });
    // 1500 kept events, each followed by a transient one: 3000 seqs, more than two disk pages of kept rows.
    for (let i = 0; i < 1500; i++) {
      store.appendEvent({ topic: 'state', time: i, data: { i } });
      store.appendEvent({ topic: 'progress', time: i, data: { done: i }, transient: true });
      if (i % 100 === 99) await store.commit();
    }
    await store.commit();
    assert.equal(live.length, 3000, 'every event was handed to the listeners');
    assert.deepEqual(live.map((e) => e.seq), live.map((_e, i) => i + 1), 'live seqs have no gap');
    const stored = (await store.readEvents(0, 10_000)).map((e) => e.seq);
    // Only a commit's last event is written when it is transient (the largest seq shown is on disk).
    const tails = stored.filter((q) => q % 2 === 0);
    assert.deepEqual(tails, Array.from({ length: 15 }, (_x, i) => (i + 1) * 200));
    assert.equal(stored.length, 1500 + 15);

    const got = await replay(log, 0);
    const ringFrom = log.memory.oldest();
    assert.ok(ringFrom > 2000, 'the replay started on disk');
    const fromDisk = got.filter((e) => e.seq < ringFrom).map((e) => e.seq);
    assert.deepEqual(fromDisk, stored.filter((q) => q < ringFrom));
    const fromRing = got.filter((e) => e.seq >= ringFrom).map((e) => e.seq);
    assert.deepEqual(fromRing, Array.from({ length: 3000 - ringFrom + 1 }, (_x, i) => ringFrom + i), 'then the ring, with its transient events');
    // A replay that starts on an unstored seq, and one that starts in the middle of a gap-ridden page.
    assert.deepEqual((await replay(log, 1001)).slice(0, 3).map((e) => e.seq), [1003, 1005, 1007]);
    assert.deepEqual((await replay(log, 1998)).slice(0, 2).map((e) => e.seq), [1999, 2000]);
    log.dispose();
    await store.close();
  });

  test('a replay from disk reads each stored row once: a page is its block of seqs, not a row count that runs into the next block', async () => {
    const store = new MemoryStore();
    const log = new StoreEventLog(store, { maxEvents: 50 });
    // Every other seq transient: a block of 1000 seqs holds about 500 stored rows.
    for (let i = 0; i < 2000; i++) {
      store.appendEvent({ topic: 'state', time: i, data: { i } });
      store.appendEvent({ topic: 'progress', time: i, data: { done: i }, transient: true });
      if (i % 100 === 99) await store.commit();
    }
    await store.commit();
    const stored = (await store.readEvents(0, 10_000)).map((e) => e.seq);
    const returned: number[] = [];
    const readEvents = store.readEvents.bind(store);
    store.readEvents = async (...a: Parameters<typeof readEvents>) => {
      const rows = await readEvents(...a);
      returned.push(...rows.map((e) => e.seq));
      return rows;
    };
    const got = (await replay(log, 0)).map((e) => e.seq);
    const ringFrom = log.memory.oldest();
    assert.ok(ringFrom > 3000, 'the replay started on disk and crossed several pages');
    const expected = [...stored.filter((q) => q < ringFrom), ...Array.from({ length: 4000 - ringFrom + 1 }, (_x, i) => ringFrom + i)];
    assert.deepEqual(got, expected, 'the disk, then the ring: in order, none lost, none twice');
    assert.deepEqual(returned, stored, 'every stored row read once, in order');
    log.dispose();
    await store.close();
  });

  test('a reopened store continues after the largest seq shown, even when it was transient', async () => {
    const store = new MemoryStore();
    store.appendEvent({ topic: 'state', time: 1, data: {} });
    store.appendEvent({ topic: 'progress', time: 2, data: {}, transient: true });
    await store.commit();
    assert.equal(store.latestSeq(), 2);
    assert.deepEqual((await store.readEvents(0, 10)).map((e) => [e.seq, e.topic]), [[1, 'state'], [2, 'progress']]);
    await store.close();
  });
});
