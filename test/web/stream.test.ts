/** The stream's batching: at most one batch per ~frame, events merged, order kept. @module */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Event } from '../../src/protocol/v2/client.js';
import { BATCH_MS, Batcher, type StreamMessage } from '../../src/web/stream.js';

const ev = (seq: number): Event => ({ seq, topic: 'log', time: 0, data: { level: 'info', msg: String(seq), fields: {} } });

it('messages within a batch period arrive as one batch, consecutive events as one list, in order', async () => {
  const batches: StreamMessage[][] = [];
  const b = new Batcher((batch) => batches.push(batch));
  b.push({ kind: 'open' });
  for (let i = 1; i <= 500; i++) b.push({ kind: 'events', events: [ev(i)] });
  b.push({ kind: 'close', code: 1006, reason: '', lastSeq: 500 });
  b.push({ kind: 'events', events: [ev(501)] });
  assert.equal(batches.length, 0, 'nothing is handed on synchronously');
  await new Promise((r) => setTimeout(r, BATCH_MS * 3));
  assert.equal(batches.length, 1);
  const [batch] = batches;
  assert.deepEqual(batch?.map((m) => m.kind), ['open', 'events', 'close', 'events']);
  const first = batch?.[1];
  assert.ok(first?.kind === 'events');
  assert.deepEqual(first.events.map((e) => e.seq), Array.from({ length: 500 }, (_, i) => i + 1));
  b.dispose();
});

it('a steady stream is handed on at most once per batch period', async () => {
  const times: number[] = [];
  const b = new Batcher(() => times.push(performance.now()));
  const t0 = performance.now();
  let i = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      b.push({ kind: 'events', events: [ev(++i)] });
      if (performance.now() - t0 > 200) { clearInterval(tick); resolve(); }
    }, 1);
  });
  b.dispose();
  const gaps = times.slice(1).map((t, k) => t - (times[k] as number));
  // Timers may fire late on a loaded machine, never early.
  assert.ok(gaps.every((g) => g >= BATCH_MS - 3), `gaps ${gaps.map((g) => g.toFixed(1)).join(' ')}`);
  assert.ok(times.length < i, 'fewer batches than messages');
});
