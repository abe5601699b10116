/**
 * Backpressure: a subscriber that stops reading is cut off with 4008 (its
 * reason carrying the last seq it was sent) while the plan keeps running, a
 * healthy subscriber misses nothing, and the server's memory stays bounded.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { pino } from 'pino';
import { MemoryEventLog } from '../../src/protocol/v2/event-log.js';
import { lastSeqFromReason } from '../../src/protocol/v2/types.js';
import { createLogger } from '../../src/server/index.js';
import { V2Conn, type V2TestServer, invalidDocuments, startV2Server } from './helpers.js';

const LIMIT = 64 * 1024;
// The ring a subscriber may lag by: ~0.2 s of a count at full speed through a worker engine (about
// 100,000 events/s). The healthy subscriber shares the server's thread, which that engine keeps busy;
// with 3,000 events (a sixth of that, set when the server ran a count at 20,000 events/s) it fell a
// ring behind now and then and was cut off itself (4008 at 12-16k events, 2 runs in 5 on a loaded machine).
const LOG_EVENTS = 20_000;
const LOG_BYTES = 8 * 1024 * 1024;
let s: V2TestServer;
before(async () => {
  const sink = new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream;
  s = await startV2Server({ logger: createLogger({ level: 'info', destination: sink }), v2: { maxBufferedBytes: LIMIT, logMaxEvents: LOG_EVENTS, logMaxBytes: LOG_BYTES } });
});
after(async () => { await s.close(); });

test('a client that stops reading is closed with 4008; the plan runs on; memory stays bounded', { timeout: 60_000 }, async () => {
  const healthy = await V2Conn.connect(s.url);
  const slow = await V2Conn.connect(s.url);
  const first = await healthy.ok<{ seq: number }>('subscribe', {});
  await slow.ok('subscribe', {});
  // Stop reading: the kernel buffers fill, then ws's own buffer, then the log moves past its cursor.
  const raw = (slow.ws as unknown as { _socket: Socket })._socket;
  raw.pause();
  await healthy.ok('start', { plan: 'count', params: { detectors: ['det'], num: 1_000_000 } });
  const log = s.server.v2.hub.log as MemoryEventLog;
  let maxBuffered = 0;
  let maxLogBytes = 0;
  let seen = 0;
  // Every progress event the healthy client receives is a sample of the server's memory.
  const warnAt = await healthy.waitEvent((e) => {
    seen++;
    if (seen % 200 === 0) {
      maxBuffered = Math.max(maxBuffered, ...s.server.v2.bufferedAmounts());
      maxLogBytes = Math.max(maxLogBytes, log.bytes);
    }
    return e.topic === 'log' && (e.data as { msg: string }).msg.includes('fell behind');
  });
  assert.equal(s.dispatcher.state, 'running', 'the plan was never slowed or stopped');
  await healthy.ok('abort', { reason: 'test over' });
  raw.resume();
  const closed = await slow.closed;
  assert.equal(closed.code, 4008);
  const lastSeq = lastSeqFromReason(closed.reason);
  assert.ok(lastSeq !== null, closed.reason);
  // What the slow client did get is a gap-free prefix ending exactly at the seq in the reason.
  assert.deepEqual(slow.events.map((e) => e.seq), Array.from({ length: slow.events.length }, (_, i) => first.seq + 1 + i));
  assert.ok((slow.events.at(-1)?.seq ?? first.seq) <= lastSeq);
  // Bounded: the log by its limits, each connection's unsent bytes by the limit plus one frame.
  assert.ok(log.size <= LOG_EVENTS && log.bytes <= LOG_BYTES && maxLogBytes <= LOG_BYTES);
  assert.ok(maxBuffered < LIMIT + 16 * 1024, `buffered ${String(maxBuffered)}`);
  // The healthy subscriber missed nothing.
  await s.dispatcher.whenIdle();
  const latest = log.latest();
  await healthy.waitSeq(latest);
  assert.deepEqual(healthy.events.map((e) => e.seq), Array.from({ length: latest - first.seq }, (_, i) => first.seq + 1 + i));
  assert.ok(warnAt > 0);
  assert.deepEqual(invalidDocuments(healthy.events.slice(0, 2000)), []);
  await healthy.close();
});
