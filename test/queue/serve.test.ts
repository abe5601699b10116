/**
 * The queue in real `serve --data DIR` processes: three items run in order
 * with the right history and `queue` events; a failure stops the queue unless
 * ignore_failures; `kill -9` during the second of three items, a restart on the
 * same directory: the item is in the history as interrupted and back at the
 * front (not with --no-requeue), the queue is stopped, and started again all complete.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { Operations } from '../../src/ops/index.js';
import type { Event } from '../../src/protocol/v2/types.js';
import type { QueueChange } from '../../src/queue/index.js';
import { TEST_PLANS } from '../helpers/engine.js';
import { startServe } from '../helpers/child.js';
import { assertRequeuedAfterCrash } from '../helpers/queue.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { TempDirs } from '../store/tmp.js';

const dirs = new TempDirs();
after(() => { dirs.cleanup(); });

type Res<N extends keyof Operations> = Operations[N]['result'];
const quick = (num: number) => ({ plan: 'count', params: { detectors: ['det'], num } });
const queueEvents = (events: readonly Event[]): QueueChange[] => events.filter((e) => e.topic === 'queue').map((e) => e.data as QueueChange);

async function queueStopped(c: V2Conn, from = 0): Promise<number> {
  return c.waitEvent((e) => e.topic === 'queue' && (e.data as QueueChange).change === 'state' && (e.data as { state: string }).state === 'stopped', from);
}

it('three items run in order: history, item ids in the start documents, queue events', { timeout: 120_000 }, async () => {
  const dir = dirs.make();
  const { child, v2 } = await startServe(['--port', '0', '--data', dir], { deadlineMs: 120_000 });
  try {
    const c = await V2Conn.connect(v2);
    await c.ok('subscribe', { topics: ['queue', 'document'] });
    const added = await c.ok<Res<'queue.add'>>('queue.add', { items: [quick(1), quick(2), quick(3)] });
    const uids = added.items.map((i) => i.item_uid);
    await c.ok('queue.start');
    await queueStopped(c);
    const starts = c.events.filter((e) => e.topic === 'document' && (e.data as { name: string }).name === 'start').map((e) => (e.data as unknown as { doc: { item_id: string; uid: string } }).doc);
    assert.deepEqual(starts.map((s) => s.item_id), uids);
    const h = await c.ok<Res<'history.get'>>('history.get');
    assert.deepEqual(h.entries.map((x) => x.item.item_uid), [...uids].reverse());
    assert.deepEqual(h.entries.map((x) => x.result.exit_status), ['completed', 'completed', 'completed']);
    assert.deepEqual(h.entries.map((x) => x.result.run_uids[0]), [...starts.map((s) => s.uid)].reverse());
    // The runs in the store carry the item's uid.
    const runs = await c.ok<Res<'runs.list'>>('runs.list');
    assert.deepEqual(new Set(runs.runs.map((r) => r.item_id)), new Set(uids));
    const changes = queueEvents(c.events).map((x) => x.change);
    assert.deepEqual(changes, ['added', 'state', 'running', 'run', 'finished', 'running', 'run', 'finished', 'running', 'run', 'finished', 'state']);
    // Replay: the queue events are in the durable log like any other.
    const r = await V2Conn.connect(v2);
    await r.ok('subscribe', { topics: ['queue'], since: 0 });
    await r.waitSeq(c.events.filter((e) => e.topic === 'queue').at(-1)?.seq ?? 0);
    assert.deepEqual(queueEvents(r.events).map((x) => x.change), changes);
    await r.close();
    await c.close();
  } finally {
    await child.stop('SIGTERM');
  }
});

it('a failed item stops the queue; with ignore_failures it goes on', { timeout: 120_000 }, async () => {
  const dir = dirs.make();
  const { child, v2 } = await startServe(['--port', '0', '--data', dir, '--plans', TEST_PLANS], { deadlineMs: 120_000 });
  try {
    const c = await V2Conn.connect(v2);
    await c.ok('subscribe', { topics: ['queue'] });
    const [, bad, last] = (await c.ok<Res<'queue.add'>>('queue.add', { items: [quick(1), { plan: 'fails_at_once' }, quick(1)] })).items.map((i) => i.item_uid);
    await c.ok('queue.start');
    let at = await queueStopped(c);
    const failed = await c.ok<Res<'item.get'>>('item.get', { item_uid: bad as string });
    assert.equal(failed.exit_status, 'failed');
    assert.equal(failed.error?.type, 'RangeError');
    assert.equal(failed.error?.message, 'bad setup');
    assert.equal((await c.ok<Res<'item.get'>>('item.get', { item_uid: last as string })).status, 'pending');

    await c.ok('queue.add', { item: { plan: 'fails_at_once' }, pos: 'front' });
    await c.ok('queue.mode', { ignore_failures: true });
    await c.ok('queue.start');
    at = await queueStopped(c, at + 1);
    assert.equal((await c.ok<Res<'item.get'>>('item.get', { item_uid: last as string })).exit_status, 'completed');
    const h = await c.ok<Res<'history.get'>>('history.get');
    assert.deepEqual(h.entries.map((x) => x.result.exit_status), ['completed', 'failed', 'failed', 'completed']);
    assert.equal((await c.ok<Res<'queue.get'>>('queue.get')).mode.ignore_failures, true);
    await c.close();
  } finally {
    await child.stop('SIGTERM');
  }
});

it('kill -9 during the second of three items: interrupted in the history, requeued at the front, stopped; started again all complete', { timeout: 180_000 }, async () => {
  const dir = dirs.make();
  const long = { plan: 'count', params: { detectors: ['det'], num: 10_000, delay: 0.002 } };
  const first = await startServe(['--port', '0', '--data', dir], { deadlineMs: 120_000 });
  let uids: string[];
  try {
    const c = await V2Conn.connect(first.v2);
    await c.ok('subscribe', { topics: ['queue', 'document'] });
    uids = (await c.ok<Res<'queue.add'>>('queue.add', { items: [quick(1), long, quick(2)] })).items.map((i) => i.item_uid);
    await c.ok('queue.start');
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string; doc: { seq_num?: number } }).name === 'event' && Number((e.data as { doc: { seq_num?: number } }).doc.seq_num) >= 20 && c.events.filter((x) => x.topic === 'document' && (x.data as { name: string }).name === 'start').length === 2);
    await first.child.stop('SIGKILL');
    await c.closed;
  } finally {
    await first.child.stop('SIGKILL');
  }
  const [u1, u2, u3] = uids as [string, string, string];

  const second = await startServe(['--port', '0', '--data', dir], { deadlineMs: 120_000 });
  try {
    const c = await V2Conn.connect(second.v2);
    const h = await assertRequeuedAfterCrash(c, [u1, u2, u3]);
    assert.match(h.entries[0]?.result.runs[0]?.reason ?? '', /interrupt/i);
    const two = await c.ok<Res<'item.get'>>('item.get', { item_uid: u2 });
    assert.equal(two.status, 'pending');
    assert.equal(two.attempts[0]?.result.exit_status, 'interrupted');

    await c.ok('queue.update', { item_uid: u2, params: { detectors: ['det'], num: 3 } });
    await c.ok('queue.start');
    await queueStopped(c);
    const all = await c.ok<Res<'history.get'>>('history.get');
    assert.deepEqual(all.entries.map((x) => [x.item.item_uid, x.result.exit_status]), [[u3, 'completed'], [u2, 'completed'], [u2, 'interrupted'], [u1, 'completed']]);
    assert.equal((await c.ok<Res<'queue.get'>>('queue.get')).items.length, 0);
    await c.close();
  } finally {
    await second.child.stop('SIGTERM');
  }
});

it('serve --no-requeue: the interrupted item is only in the history', { timeout: 120_000 }, async () => {
  const dir = dirs.make();
  const first = await startServe(['--port', '0', '--data', dir], { deadlineMs: 120_000 });
  let uid = '';
  try {
    const c = await V2Conn.connect(first.v2);
    await c.ok('subscribe', { topics: ['queue'] });
    uid = (await c.ok<Res<'queue.add'>>('queue.add', { items: [{ plan: 'count', params: { detectors: ['det'], num: 10_000, delay: 0.002 } }, quick(1)] })).items[0]?.item_uid ?? '';
    await c.ok('queue.start');
    await c.waitEvent((e) => e.topic === 'queue' && (e.data as QueueChange).change === 'run');
    await first.child.stop('SIGKILL');
  } finally {
    await first.child.stop('SIGKILL');
  }
  const second = await startServe(['--port', '0', '--data', dir, '--no-requeue'], { deadlineMs: 120_000 });
  try {
    const c = await V2Conn.connect(second.v2);
    const view = await c.ok<Res<'queue.get'>>('queue.get');
    assert.equal(view.items.length, 1);
    assert.notEqual(view.items[0]?.item_uid, uid);
    assert.equal((await c.ok<Res<'item.get'>>('item.get', { item_uid: uid })).exit_status, 'interrupted');
    await c.close();
  } finally {
    await second.child.stop('SIGTERM');
  }
});
