/**
 * The event log's retention through `serve`: a restart with a small
 * `eventsMaxBytes` prunes the oldest events at start (documents stay readable
 * through runs.get); `since` older than what is kept is replay_unavailable.
 * @module
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import type { pino } from 'pino';
import { serve } from '../../src/cli/serve.js';
import { createLogger } from '../../src/server/index.js';
import { EVENT_ROW_OVERHEAD } from '../../src/store/index.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { TempDirs } from './tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });
const sink = (): pino.DestinationStream => new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream;

test('serve prunes the event log to its retention rule; documents stay', { timeout: 120_000 }, async () => {
  const dir = dirs.make();
  let s = await serve({ port: 0, data: dir, logger: createLogger({ level: 'info', destination: sink() }) });
  let c = await V2Conn.connect(`${s.server.url}v2`);
  await c.ok('subscribe', {});
  await c.ok('start', { plan: 'count', params: { detectors: ['det'], num: 200 } });
  await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'stop');
  await c.close();
  await s.dispatcher.stop('test');
  await s.store?.close();

  s = await serve({ port: 0, data: dir, eventsMaxBytes: 4000, logger: createLogger({ level: 'info', destination: sink() }) });
  try {
    c = await V2Conn.connect(`${s.server.url}v2`);
    const hello = await c.ok<{ oldest_seq: number; latest_seq: number }>('hello');
    assert.ok(hello.oldest_seq > 1, `the oldest events are pruned (oldest_seq ${String(hello.oldest_seq)})`);
    const r = await c.request('subscribe', { since: 0 });
    assert.equal((r as { error?: { code: string } }).error?.code, 'replay_unavailable');
    // What is kept fits the rule: every kept row costs at least EVENT_ROW_OVERHEAD of the 4000 bytes.
    // (How many seqs that spans depends on how many progress events were shown but not stored.)
    await c.ok('subscribe', { since: hello.oldest_seq - 1 });
    await c.waitEvent((e) => e.seq === hello.latest_seq);
    const kept = c.events.filter((e) => e.seq >= hello.oldest_seq && e.seq <= hello.latest_seq).length;
    assert.ok(kept > 0 && kept <= Math.floor(4000 / EVENT_ROW_OVERHEAD), `kept ${String(kept)} events of ${String(hello.latest_seq)}`);
    const { runs } = await c.ok<{ runs: Array<{ uid: string }> }>('runs.list', {});
    const got = await c.ok<{ documents: unknown[] }>('runs.get', { uid: runs[0]?.uid });
    assert.equal(got.documents.length, 203, 'every document is still stored');
    await c.close();
  } finally {
    await s.dispatcher.stop('test');
    await s.store?.close();
  }
});
