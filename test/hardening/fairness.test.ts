/**
 * Issue 10, fair to everyone: a v2 subscriber that stops reading costs no store
 * reads until it drains (it used to re-read a page of events from SQLite at every
 * commit) and then resumes gap-free; v1 connections idle past --idle-timeout are
 * closed (4408) while subscribers stay; at --max-connections new clients get a
 * clear 503 and a warning; a client's repeated warnings are rate-limited.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import type { pino } from 'pino';
import { WebSocket } from 'ws';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE_IDLE, WarnLimiter, createDispatcher, createLogger, serverOf } from '../../src/server/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { testEngine } from '../helpers/engine.js';
import { Client, subscribe } from '../protocol-v1/helpers.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { rawGet, startServe } from './helpers.js';

describe('backpressure', () => {
  test('a v2 subscriber that stops reading costs no store reads until it drains, then gets every event', { timeout: 120_000 }, async () => {
    // A small memory ring: the blocked reader's cursor falls behind it, where a pump reads pages from disk.
    const dir = mkdtempSync(join(tmpdir(), 'hardening-'));
    const store = SqliteStore.open(dir);
    const d = createDispatcher({ engine: testEngine('inprocess'), server: { port: 0, store, logger: createLogger({ level: 'silent' }), v2: { logMaxEvents: 2000 } } });
    await d.start();
    const server = serverOf(d);
    assert.ok(server !== null);
    try {
      const slow = await V2Conn.connect(`${server.url}v2`);
      const first = await slow.ok<{ seq: number }>('subscribe', { topics: ['document'] });
      const raw = (slow.ws as unknown as { _socket: Socket })._socket;
      raw.pause();
      let reads = 0;
      const readEvents = store.readEvents.bind(store);
      store.readEvents = (...a: Parameters<typeof readEvents>) => { reads++; return readEvents(...a); };
      const started = await d.startScan('count', { detectors: ['det'], num: 40_000 });
      assert.ok(started.ok);
      await d.whenIdle();
      await store.commit();
      const latest = server.v2.hub.log.latest();
      const readsWhileBlocked = reads;
      raw.resume();
      await slow.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'stop');
      // Before: a page of 1000 events read from SQLite at every commit, for a reader that could take none.
      assert.ok(readsWhileBlocked <= 2, `store reads while the subscriber was blocked: ${String(readsWhileBlocked)}`);
      const seqs = slow.events.map((e) => e.seq);
      assert.ok(seqs.length > 40_000);
      assert.ok(seqs[0] !== undefined && seqs[0] > first.seq && (seqs.at(-1) ?? 0) <= latest);
      for (let i = 1; i < seqs.length; i++) assert.ok((seqs[i] ?? 0) > (seqs[i - 1] ?? 0), 'in order, no repeats');
      await slow.close();
    } finally {
      await d.stop('test over');
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('idle timeout', () => {
  test('a v1 connection that sends nothing is closed with 4408 and a reason; a subscriber is not', { timeout: 30_000 }, async () => {
    const s = await startServe({ idleTimeout: 0.4 });
    try {
      const sub = await subscribe(s.server.url);
      const silent = await Client.connect(s.server.url);
      const keep = await Client.connect(s.server.url);
      keep.send({ type: 'state', keep_open: true });
      const t0 = performance.now();
      const closed = await silent.closed;
      assert.equal(closed.code, CLOSE_IDLE);
      assert.match(closed.reason, /idle timeout/);
      assert.ok(performance.now() - t0 >= 300);
      assert.equal((await keep.closed).code, CLOSE_IDLE, 'keep_open without subscribing is idle too');
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(sub.ws.readyState, WebSocket.OPEN, 'the subscriber stays');
      await sub.close();
    } finally {
      await s.close();
    }
  });
});

describe('connection limit', () => {
  test('beyond --max-connections: websocket upgrades and HTTP get 503 with a reason, and a warning is logged', { timeout: 30_000 }, async () => {
    const s = await startServe({ maxConnections: 3 });
    const held: Client[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push(await Client.connect(s.server.url));
      const refused = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(s.server.url);
        ws.once('open', () => { ws.close(); resolve(0); });
        ws.once('unexpected-response', (_q, res) => { res.resume(); resolve(res.statusCode ?? 0); });
        ws.once('error', reject);
      });
      assert.equal(refused, 503);
      const h = await rawGet(s.server.port, '/healthz');
      assert.equal(h.status, 503);
      assert.equal((JSON.parse(h.body) as { code: string }).code, 'too_many_connections');
      assert.ok(s.lines.some((l) => /connection limit reached/.test(l.msg)));
      await Promise.all(held.splice(0).map((c) => c.close()));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await rawGet(s.server.port, '/healthz')).status, 200, 'served again once below the limit');
    } finally {
      await Promise.all(held.map((c) => c.close()));
      await s.close();
    }
  });
});

describe('WarnLimiter', () => {
  test('the first 5 warnings per client per interval, then one summary line', () => {
    const lines: Array<{ msg: string; peer?: string; suppressed?: number }> = [];
    const sink = new Writable({ write(c: Buffer, _e, cb) { lines.push(JSON.parse(String(c)) as { msg: string }); cb(); } });
    const log = createLogger({ level: 'info', destination: sink as unknown as pino.DestinationStream });
    const w = new WarnLimiter(log, { burst: 5, intervalMs: 60_000 });
    for (let i = 0; i < 1000; i++) w.warn('10.0.0.9', {}, 'websocket error');
    w.warn('10.0.0.7', {}, 'websocket error');
    w.stop();
    assert.equal(lines.filter((l) => l.msg === 'websocket error').length, 6);
    const summary = lines.filter((l) => /suppressed/.test(l.msg));
    assert.equal(summary.length, 1);
    assert.equal(summary[0]?.suppressed, 995);
    assert.equal(summary[0]?.peer, '10.0.0.9');
  });
});
