/**
 * The v2 ring keeps each event as its number, topic and frame: the frame must be
 * exactly `JSON.stringify(event)` (what a subscriber parses), whether the data's
 * JSON came from the store (a document's text, made once) or not, and the ring
 * must keep nothing else of the event (its data is let go once encoded).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryEventLog, type LoggedEvent } from '../../src/protocol/v2/event-log.js';
import type { Event } from '../../src/protocol/v2/types.js';
import { DOCUMENT_JSON, keepMemo } from '../../src/model/index.js';
import { MemoryStore } from '../../src/store/index.js';

/** Data whose JSON is multi-byte UTF-8, escapes, and (with `big`) too long for Buffer's shared pool. */
function awkward(i: number, big = false): Record<string, unknown> {
  return { i, text: `µ-Å ✓ 😀 "quoted" \\ \n${'x'.repeat(big ? 5000 : 3)}`, nested: { list: [1.5, -0, null, true] } };
}

function all(log: MemoryEventLog): LoggedEvent[] {
  const r = log.since(log.oldest() - 1);
  assert.notEqual(r, 'too_old');
  return [...(r as Iterable<LoggedEvent>)];
}

describe('MemoryEventLog frames', () => {
  test('an appended event (no stored JSON) is framed as JSON.stringify(event)', () => {
    const log = new MemoryEventLog();
    const events = [log.append('state', awkward(1) as never), log.append('log', awkward(2, true) as never)];
    assert.deepEqual(all(log).map((e) => e.frame.toString('utf8')), events.map((e) => JSON.stringify(e)));
  });

  test('without a store, a document that came with its JSON (DOCUMENT_JSON) is framed from that text; one without, by encoding', () => {
    const log = new MemoryEventLog();
    const doc = { uid: 'e1', ...awkward(1) };
    // Keys in another order: the frame shows which encoding was used.
    const carried = JSON.stringify(Object.fromEntries(Object.entries(doc).reverse()));
    keepMemo(doc, DOCUMENT_JSON, carried);
    const event = log.append('document', { name: 'event', doc } as never);
    const plain = log.append('document', { name: 'stop', doc: awkward(2) } as never);
    const [first, second] = all(log).map((e) => e.frame.toString('utf8'));
    assert.equal(first, `{"seq":${String(event.seq)},"topic":"document","time":${JSON.stringify(event.time)},"data":{"name":"event","doc":${carried}}}`);
    assert.equal(second, JSON.stringify(plain));
  });

  test("a store's event (its data's JSON made by the store) is framed as JSON.stringify(event)", async () => {
    const store = new MemoryStore();
    const committed: Event[] = [];
    store.onCommit((b) => { committed.push(...(b.events as Event[])); });
    const docs = [awkward(1), awkward(2, true)];
    store.appendDocument('start', { uid: 'u1', time: 1, ...docs[0] } as never);
    store.appendDocument('stop', { uid: 'u2', run_start: 'u1', time: 2, exit_status: 'success', ...docs[1] } as never);
    store.appendEvent({ topic: 'state', time: 3.25, data: awkward(3) });
    await store.commit();
    assert.equal(committed.length, 3);
    // What JSON.stringify makes of each event, before the log takes the store's text.
    const expected = committed.map((e) => JSON.stringify(e));
    const log = new MemoryEventLog({ startAfter: 0 });
    for (const e of committed) log.push(e);
    const kept = all(log);
    assert.deepEqual(kept.map((e) => e.frame.toString('utf8')), expected);
    assert.deepEqual(kept.map((e) => JSON.parse(e.frame.toString('utf8')) as unknown), committed.map((e) => JSON.parse(JSON.stringify(e)) as unknown));
    await store.close();
  });

  test('the ring hands out number, topic and frame, and bounds its bytes by the frames', () => {
    const log = new MemoryEventLog({ maxBytes: 10_000 });
    for (let i = 0; i < 10; i++) log.append('log', awkward(i, true) as never);
    const kept = all(log);
    for (const e of kept) assert.deepEqual(Object.keys(e).sort(), ['frame', 'seq', 'topic']);
    assert.equal(log.bytes, kept.reduce((n, e) => n + e.frame.length, 0));
    assert.ok(log.bytes <= 10_000, `kept ${String(log.bytes)} bytes`);
    assert.equal(kept.at(-1)?.seq, 10, 'the newest is kept');
  });

  test('frames packed into slabs: across slab ends, larger than a slab, intact after eviction, slabs let go', () => {
    const log = new MemoryEventLog({ maxEvents: 400, maxBytes: 8 * 1024 * 1024 });
    const expected = new Map<number, string>();
    const handedOut: Array<[number, Buffer]> = [];
    const topics = ['state', 'log', 'queue', 'progress', 'exception'] as const;
    for (let i = 0; i < 2000; i++) {
      // Mostly ~5 KB frames (many slab ends crossed), every 250th one of 600 KB (a slab of its own).
      const data = i % 250 === 7 ? { i, blob: 'é'.repeat(300_000) } : awkward(i, true);
      const e = log.append(topics[i % topics.length] as (typeof topics)[number], data as never);
      expected.set(e.seq, JSON.stringify(e));
      if (i % 97 === 0) handedOut.push([e.seq, (log.get(e.seq) as LoggedEvent).frame]);
    }
    const kept = all(log);
    assert.equal(kept.length, 400, 'bounded by count');
    for (const e of kept) {
      assert.equal(e.frame.toString('utf8'), expected.get(e.seq), `seq ${String(e.seq)}`);
      assert.equal(e.topic, topics[(e.seq - 1) % topics.length]);
    }
    // A frame handed to a reader long ago (its event since evicted) still holds its bytes.
    for (const [seq, frame] of handedOut) assert.equal(frame.toString('utf8'), expected.get(seq), `handed-out seq ${String(seq)}`);
    // The ring holds its frames plus at most one slab's slack at each end (not every slab it ever wrote).
    assert.ok(log.slabBytes <= log.bytes + 2 * 256 * 1024 + 1, `slabs ${String(log.slabBytes)} for ${String(log.bytes)} bytes of frames`);
  });

  test('a topic the stream does not have is refused, and the ring is unchanged', () => {
    const log = new MemoryEventLog();
    log.append('state', { state: 'idle' } as never);
    assert.throws(() => log.push({ seq: 2, topic: 'secret', time: 1, data: {} } as never), /unknown topic "secret"; expected one of state, document/);
    assert.equal(log.latest(), 1);
    assert.deepEqual(all(log).map((e) => e.seq), [1]);
  });
});
