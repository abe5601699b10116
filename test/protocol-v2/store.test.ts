/**
 * The server with a run store: seq continues across a restart, `since` replays
 * from disk, `runs.list`/`runs.get`, run index meta, write-ahead for callbacks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import type { pino } from 'pino';
import { type Served, serve } from '../../src/cli/serve.js';
import type { Event } from '../../src/protocol/v2/types.js';
import { createLogger } from '../../src/server/index.js';
import { TempDirs } from '../store/tmp.js';
import { V2Conn } from './helpers.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });
const sink = (): pino.DestinationStream => new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream;

async function up(data: string): Promise<Served & { url: string }> {
  const served = await serve({ port: 0, data, logger: createLogger({ level: 'info', destination: sink() }) });
  return { ...served, url: `${served.server.url}v2` };
}
async function down(s: Served): Promise<void> { await s.dispatcher.stop('test'); await s.store?.close(); }

/** Start `plan` over v2 and wait for the last event of its run (the idle after the stop). */
async function runPlan(c: V2Conn, plan: string, params: Record<string, unknown>): Promise<string> {
  const from = c.events.length;
  const { item_id: itemId } = await c.ok<{ item_id: string }>('start', { plan, params });
  const i = await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'stop', from);
  await c.waitEvent((e) => e.topic === 'state' && (e.data as { new: string }).new === 'idle', i);
  return itemId;
}

describe('serve --data', { timeout: 60_000 }, () => {
  test('seq continues across a restart; since replays from disk; runs.list / runs.get', async () => {
    const dir = dirs.make();
    let s = await up(dir);
    let c = await V2Conn.connect(s.url);
    await c.ok('subscribe', {});
    const itemId = await runPlan(c, 'count', { detectors: ['det'], num: 3 });
    const liveEvents = [...c.events];
    const before = c.events.map((e) => e.seq);
    assert.deepEqual(before, before.map((_x, i) => (before[0] ?? 0) + i), 'seq goes up by 1, with no gap');
    const last = before.at(-1) ?? 0;
    await c.close();
    await down(s);

    s = await up(dir);
    c = await V2Conn.connect(s.url);
    const hello = await c.ok<{ oldest_seq: number; latest_seq: number }>('hello');
    assert.ok(hello.latest_seq >= last, `latest ${String(hello.latest_seq)} ≥ ${String(last)}`);
    assert.equal(hello.oldest_seq, 1);
    await c.ok('subscribe', { since: 0 });
    await c.waitSeq(hello.latest_seq);
    // Everything before the restart, from disk, byte-for-byte the events seen live, except progress:
    // it is shown live but not stored (docs/storage.md), so the replay passes over its seqs.
    const replayed = c.events.filter((e) => e.seq <= last && e.seq >= (before[0] ?? 0));
    const liveBySeq = new Map(liveEvents.map((e) => [e.seq, e]));
    for (const e of replayed) assert.deepEqual(e, liveBySeq.get(e.seq), `seq ${String(e.seq)} replayed as it was seen`);
    assert.deepEqual(replayed.filter((e) => e.topic !== 'progress'), liveEvents.filter((e) => e.topic !== 'progress'), 'every kept event is replayed');
    assert.ok(replayed.length < liveEvents.length, 'progress was not all stored');
    assert.equal(c.events[0]?.seq, 1);
    const replayEnd = c.events.length;
    await runPlan(c, 'count', { detectors: ['det'], num: 2 });
    const seqs = c.events.map((e) => e.seq);
    assert.ok(seqs.every((q, i) => i === 0 || q > (seqs[i - 1] ?? 0)), 'no repeat after the restart');
    const liveAgain = seqs.slice(replayEnd - 1);
    assert.deepEqual(liveAgain, liveAgain.map((_x, i) => (liveAgain[0] ?? 0) + i), 'live events have no gap');

    const { runs } = await c.ok<{ runs: Array<Record<string, unknown>> }>('runs.list', {});
    assert.equal(runs.length, 2);
    const first = runs[1] ?? {};
    assert.equal(first.plan_name, 'count');
    assert.equal(first.item_id, itemId);
    assert.deepEqual((first.params as { num?: number }).num, 3);
    assert.equal(first.exit_status, 'success');
    assert.equal(runs[0]?.scan_id, Number(first.scan_id) + 1, 'scan_id continues after the restart');
    assert.equal((await c.ok<{ runs: unknown[] }>('runs.list', { limit: 1 })).runs.length, 1);
    assert.equal((await c.ok<{ runs: unknown[] }>('runs.list', { plan: 'scan' })).runs.length, 0);
    assert.equal((await c.ok<{ runs: unknown[] }>('runs.list', { since: '2999-01-01T00:00:00Z' })).runs.length, 0);

    const got = await c.ok<{ run: { uid: string }; documents: Array<[string, { uid?: string }]>; more: boolean }>('runs.get', { uid: first.uid, limit: 2 });
    assert.equal(got.run.uid, first.uid);
    assert.deepEqual(got.documents.map(([n]) => n), ['start', 'descriptor']);
    assert.equal(got.more, true);
    const all = await c.ok<{ documents: Array<[string, unknown]>; more: boolean }>('runs.get', { uid: first.uid });
    const live = (c.events as Event[]).filter((e) => e.topic === 'document' && e.seq <= last).map((e) => [(e.data as { name: string }).name, (e.data as { doc: unknown }).doc]);
    assert.deepEqual(all.documents, live);
    assert.equal(all.more, false);
    const missing = await c.request('runs.get', { uid: 'nope' });
    assert.equal(missing.ok, false);
    await c.close();
    await down(s);
  });

  test('a dispatcher callback sees a document only once it is committed', async () => {
    const dir = dirs.make();
    const s = await up(dir);
    // The store's committed seq when each callback ran: at least the seq of that document's event.
    const seen: Array<{ uid: string; committed: number }> = [];
    s.dispatcher.subscribeCallback((_name, doc) => {
      seen.push({ uid: String((doc as { uid?: unknown }).uid), committed: s.store?.latestSeq() ?? -1 });
    });
    const c = await V2Conn.connect(s.url);
    await c.ok('subscribe', {});
    await runPlan(c, 'count', { detectors: ['det'], num: 3 });
    const seqOf = new Map(c.events.filter((e) => e.topic === 'document').map((e) => [String((e.data as { doc: { uid?: unknown } }).doc.uid), e.seq]));
    assert.equal(seen.length, 6);
    for (const { uid, committed } of seen) assert.ok(committed >= (seqOf.get(uid) ?? Infinity), `${uid}: committed ${String(committed)} before the callback`);
    await c.close();
    await down(s);
  });

  test('a corrupt data file stops `serve` with one line and exit code 2', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'bluesky.sqlite'), 'not a database '.repeat(100));
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, 'serve', '--port', '0', '--data', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /STORE_CORRUPT/);
  });

  test('runs.* without a store answer no_store', async () => {
    const s = await serve({ port: 0, logger: createLogger({ level: 'info', destination: sink() }) });
    const c = await V2Conn.connect(`${s.server.url}v2`);
    const r = await c.request('runs.list', {});
    assert.equal(r.ok, false);
    assert.equal((r as { error: { code: string } }).error.code, 'no_store');
    await c.close();
    await s.dispatcher.stop('test');
  });
});
