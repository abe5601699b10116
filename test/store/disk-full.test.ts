/**
 * A real full disk (a small tmpfs under the data directory; needs root, skipped
 * otherwise): the plan is aborted, `start` is refused with store_failed, /healthz
 * answers 503 with the reason, v2 subscribers get the failure as an event; once
 * space is freed the server recovers by itself, and the aborted run's stop
 * document names the real cause.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import type { pino } from 'pino';
import { serve } from '../../src/cli/serve.js';
import type { Event, LogData } from '../../src/protocol/v2/types.js';
import { createLogger } from '../../src/server/index.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
const mounts: string[] = [];
after(() => {
  for (const m of mounts.splice(0)) spawnSync('umount', ['-l', m], { timeout: 10_000 });
  dirs.cleanup();
});

function mount(dir: string, size: string, remount = false): boolean {
  const opts = remount ? `remount,size=${size}` : `size=${size}`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { timeout: 10_000 });
  return r.status === 0;
}

const isFailure = (e: Event): boolean => e.topic === 'log' && (e.data as LogData).fields.code === 'store_failed';

test('a full disk is reported, refuses start with store_failed, and the server recovers once space is freed', { timeout: 120_000 }, async (t) => {
  const dir = dirs.make();
  if (!mount(dir, '600k')) { t.skip('needs root to mount a small tmpfs (a real full disk)'); return; }
  mounts.push(dir);
  const sink = new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream;
  const s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'info', destination: sink }) });
  const http = `http://127.0.0.1:${String(s.server.port)}`;
  const c = await V2Conn.connect(`${s.server.url}v2`);
  try {
    await c.ok('subscribe', {});
    await c.ok('start', { plan: 'count', params: { detectors: ['det'], num: 1_000_000 } });
    const at = await c.waitEvent(isFailure);
    const failure = c.events[at] as Event;
    assert.equal((failure.data as LogData).level, 'error');
    await s.dispatcher.whenIdle();
    // The aborted plan's states still reach subscribers, unstored.
    await c.waitEvent((e) => e.topic === 'state' && (e.data as { new: string }).new === 'idle', at);
    const seqs = c.events.map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_x, i) => (seqs[0] ?? 0) + i), 'one stream: no gap, no repeat');

    const refused = await c.request('start', { plan: 'count', params: { detectors: ['det'], num: 1 } });
    assert.equal(refused.ok, false);
    const err = (refused as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'store_failed');
    assert.match(err.message, /full/);
    const health = await fetch(`${http}/healthz`);
    assert.equal(health.status, 503);
    const body = await health.json() as { status: string; store: { ok: boolean; error: string } };
    assert.equal(body.status, 'store_failed');
    assert.match(body.store.error, /full/);

    // The operator frees space: the server notices by itself.
    assert.ok(mount(dir, '64m', true), 'remount bigger');
    const t0 = Date.now();
    while ((await fetch(`${http}/healthz`)).status !== 200) {
      assert.ok(Date.now() - t0 < 20_000, 'recovered within 20 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const from = c.events.length;
    await c.ok('start', { plan: 'count', params: { detectors: ['det'], num: 2 } });
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'stop', from);
    const { runs } = await c.ok<{ runs: Array<{ exit_status: string; reason: string; interrupted: boolean }> }>('runs.list', {});
    assert.equal(runs.length, 2);
    assert.equal(runs[0]?.exit_status, 'success');
    assert.equal(runs[1]?.exit_status, 'abort');
    assert.match(runs[1]?.reason ?? '', /run storage failed: .*full/, 'the stop names the real cause');
  } finally {
    await c.close();
    await s.dispatcher.stop('test');
    await s.store?.close().catch(() => undefined);
  }
});
