/**
 * Every queue operation through the table (`invoke`), on an in-process engine:
 * results, refusals with their codes and detail paths, each position rule, the
 * scopes, and the queue running items back to back with the right history.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, registerStandardPlans } from '../../src/dispatcher/index.js';
import { ANONYMOUS, type Caller, type OpContext, type Operations, type Scope, invoke } from '../../src/ops/index.js';
import { MemoryQueueStore, type QueueChange, QueueScheduler, attachQueue, detachQueue } from '../../src/queue/index.js';
import { refusal, until } from '../helpers/wait.js';

function caller(...scopes: Scope[]): Caller { return { name: 'tester', scopes: new Set(scopes), protocol: 'library' }; }

type R<N extends keyof Operations> = Operations[N]['result'];
const COUNT = { plan: 'count', params: { detectors: ['det'], num: 1 } };

describe('queue operations', () => {
  let d: Dispatcher;
  let q: QueueScheduler;
  let ctx: OpContext;
  let changes: QueueChange[];
  const call = async <N extends keyof Operations>(name: N, params: Operations[N]['params'] | Record<string, unknown> = {}): Promise<R<N>> => invoke(name, params, ctx) as Promise<R<N>>;
  const uids = async (): Promise<string[]> => (await call('queue.get')).items.map((i) => i.item_uid);

  beforeEach(async () => {
    d = new Dispatcher({ devices: hw().devices });
    registerStandardPlans(d);
    d.addScan('fail', async () => { await Promise.resolve(); throw new Error('boom'); });
    d.addScan('nap', async (_re, hook, _p, c) => { hook('running', 'idle'); await c.sleep(0.2); hook('idle', 'running'); });
    await d.open();
    q = new QueueScheduler(d, { store: new MemoryQueueStore() });
    attachQueue(q);
    changes = [];
    q.onChange((c) => changes.push(c));
    ctx = { dispatcher: d, runs: null, latestSeq: () => 7, caller: caller('read', 'queue', 'control') };
  });
  afterEach(async () => { detachQueue(q); q.dispose(); await d.shutdown(); });

  it('queue.get: empty and stopped, with the stream seq', async () => {
    assert.deepEqual(await call('queue.get'), { items: [], running: null, mode: { loop: false, ignore_failures: false }, state: 'stopped', stop_pending: false, seq: 7 });
  });

  it('queue.add one item: uid, user, time; params as given; an event', async () => {
    const r = await call('queue.add', { item: { plan: 'count', params: { detectors: ['det'], num: 2 }, md: { sample: 'Si' } } });
    assert.equal(r.index, 0);
    const [item] = r.items;
    assert.ok(item !== undefined);
    assert.match(item.item_uid, /^[0-9a-f-]{36}$/);
    assert.equal(item.user, 'tester');
    assert.equal(item.item_type, 'plan');
    assert.deepEqual(item.params, { detectors: ['det'], num: 2 });
    assert.deepEqual(item.md, { sample: 'Si' });
    assert.ok(Math.abs(item.time_added - Date.now() / 1000) < 60);
    assert.deepEqual(changes, [{ change: 'added', index: 0, items: [item] }]);
  });

  it('queue.add refuses what start refuses, with start\'s codes and paths under /item', async () => {
    const unknown = await refusal(call('queue.add', { item: { plan: 'cuont' } }));
    assert.equal(unknown.code, 'unknown_plan');
    assert.equal(unknown.details[0]?.path, '/item/plan');
    const bad = await refusal(call('queue.add', { item: { plan: 'count', params: { detectors: ['det'], num: -1 } } }));
    assert.equal(bad.code, 'invalid_params');
    assert.ok(bad.details.some((x) => x.path.startsWith('/item/params/num')), JSON.stringify(bad.details));
    const md = await refusal(call('queue.add', { item: { plan: 'count', params: { detectors: ['det'] }, md: { uid: 7 } } }));
    assert.equal(md.code, 'invalid_params');
    assert.ok(md.details.some((x) => x.path.startsWith('/item/md')), JSON.stringify(md.details));
    // item_id is the server's: the runs of a queue item carry its uid.
    const spoof = await refusal(call('queue.add', { item: { ...COUNT, md: { item_id: 'SPOOFED' } } }));
    assert.equal(spoof.code, 'invalid_params');
    assert.equal(spoof.details[0]?.path, '/item/md/item_id');
    assert.equal((await refusal(call('queue.add', {}))).code, 'bad_request');
    assert.equal((await refusal(call('queue.add', { item: COUNT, items: [COUNT] }))).code, 'bad_request');
    assert.equal((await refusal(call('queue.add', { item: { params: {} } }))).details[0]?.path, '/item/plan');
    assert.equal((await refusal(call('queue.add', { item: { instruction: 'queue_stop', plan: 'count' } }))).code, 'bad_request');
    assert.equal((await refusal(call('queue.add', { item: { instruction: 'reboot' } }))).code, 'bad_request');
    assert.equal((await refusal(call('queue.add', { item: COUNT, extra: 1 }))).code, 'bad_request');
    assert.deepEqual(await uids(), []);
  });

  it('queue.add batch: all or none, each refused item named', async () => {
    const e = await refusal(call('queue.add', { items: [COUNT, { plan: 'nope' }, COUNT, { plan: 'count', params: { detectors: ['det'], num: 'x' } }] }));
    assert.equal(e.code, 'invalid_items');
    assert.match(e.message, /^2 of 4 items are invalid: item 1: no plan named "nope"/);
    assert.ok(e.details.some((x) => x.path === '/items/1/plan'));
    assert.ok(e.details.some((x) => x.path.startsWith('/items/3/params/num')));
    assert.deepEqual(await uids(), []);
    const ok = await call('queue.add', { items: [COUNT, { instruction: 'queue_stop' }, COUNT] });
    assert.equal(ok.items.length, 3);
    assert.equal(ok.items[1]?.item_type, 'instruction');
    assert.deepEqual(await uids(), ok.items.map((i) => i.item_uid));
  });

  it('positions: back, front, index (clamped, negative from the end), before/after a uid', async () => {
    const add = async (pos: Record<string, unknown>): Promise<string> => (await call('queue.add', { item: COUNT, ...pos })).items[0]?.item_uid ?? '';
    const a = await add({});
    const b = await add({ pos: 'back' });
    const c = await add({ pos: 'front' });
    assert.deepEqual(await uids(), [c, a, b]);
    const e = await add({ pos: 1 });
    assert.deepEqual(await uids(), [c, e, a, b]);
    const f = await add({ pos: 99 });
    const g = await add({ pos: -1 });
    assert.deepEqual(await uids(), [c, e, a, b, f, g]);
    const h = await add({ pos: -2 });
    assert.deepEqual(await uids(), [c, e, a, b, f, h, g]);
    const i = await add({ pos: -99 });
    const j = await add({ before_uid: a });
    const k = await add({ after_uid: g });
    assert.deepEqual(await uids(), [i, c, e, j, a, b, f, h, g, k]);
    const unknown = await refusal(call('queue.add', { item: COUNT, after_uid: 'nope' }));
    assert.equal(unknown.code, 'unknown_item');
    assert.equal(unknown.details[0]?.path, '/after_uid');
    // Positions are relative to pending items: the message says so (it claimed no running item had the uid).
    assert.equal(unknown.details[0]?.message, 'no pending item has this uid: a position is before or after a pending item');
    const two = await refusal(call('queue.add', { item: COUNT, pos: 'front', before_uid: a }));
    assert.equal(two.code, 'bad_request');
    assert.equal((await refusal(call('queue.add', { item: COUNT, pos: 'middle' }))).code, 'bad_request');
  });

  it('queue.move: every position rule, read against the queue without the item', async () => {
    const added = await call('queue.add', { items: [COUNT, COUNT, COUNT, COUNT] });
    const [a, b, c, e] = added.items.map((i) => i.item_uid) as [string, string, string, string];
    assert.deepEqual(await call('queue.move', { item_uid: a, pos: 'back' }), { index: 3 });
    assert.deepEqual(await uids(), [b, c, e, a]);
    await call('queue.move', { item_uid: a, pos: 'front' });
    assert.deepEqual(await uids(), [a, b, c, e]);
    await call('queue.move', { item_uid: a, pos: 2 });
    assert.deepEqual(await uids(), [b, c, a, e]);
    await call('queue.move', { item_uid: b, pos: -1 });
    assert.deepEqual(await uids(), [c, a, e, b]);
    await call('queue.move', { item_uid: b, before_uid: c });
    assert.deepEqual(await uids(), [b, c, a, e]);
    await call('queue.move', { item_uid: b, after_uid: e });
    assert.deepEqual(await uids(), [c, a, e, b]);
    assert.deepEqual(await call('queue.move', { item_uid: b, after_uid: b }), { index: 3 });
    assert.equal(changes.filter((x) => x.change === 'moved').length, 6);
    assert.equal((await refusal(call('queue.move', { item_uid: b }))).code, 'bad_request');
    assert.equal((await refusal(call('queue.move', { item_uid: 'zzz', pos: 0 }))).code, 'unknown_item');
  });

  it('queue.update replaces params (checked as start checks); queue.remove; queue.clear', async () => {
    const [a, b] = (await call('queue.add', { items: [COUNT, COUNT] })).items.map((i) => i.item_uid) as [string, string];
    const u = await call('queue.update', { item_uid: a, params: { detectors: ['det'], num: 5 } });
    assert.deepEqual(u.item.params, { detectors: ['det'], num: 5 });
    assert.equal(u.item.item_uid, a);
    assert.deepEqual(await uids(), [a, b]);
    const bad = await refusal(call('queue.update', { item_uid: a, params: { detectors: ['det'], num: -3 } }));
    assert.equal(bad.code, 'invalid_params');
    assert.equal((await refusal(call('queue.update', { item_uid: 'zzz', params: {} }))).code, 'unknown_item');
    assert.deepEqual((await call('queue.remove', { item_uid: a })).item.item_uid, a);
    assert.deepEqual(await uids(), [b]);
    assert.equal((await refusal(call('queue.remove', { item_uid: a }))).code, 'unknown_item');
    await call('queue.add', { items: [COUNT, COUNT] });
    assert.deepEqual(await call('queue.clear'), { removed: 3 });
    assert.deepEqual(await uids(), []);
    assert.deepEqual(changes.at(-1), { change: 'cleared' });
  });

  it('queue.mode sets loop and ignore_failures, each alone', async () => {
    assert.deepEqual(await call('queue.mode', { loop: true }), { mode: { loop: true, ignore_failures: false } });
    assert.deepEqual(await call('queue.mode', { ignore_failures: true }), { mode: { loop: true, ignore_failures: true } });
    assert.deepEqual(await call('queue.mode', {}), { mode: { loop: true, ignore_failures: true } });
    assert.equal((await refusal(call('queue.mode', { loop: 'yes' }))).code, 'bad_request');
  });

  it('scopes: edits need queue, reads need read', async () => {
    const reader = { ...ctx, caller: caller('read') };
    assert.equal((await refusal(invoke('queue.add', { item: COUNT }, reader))).code, 'forbidden');
    assert.equal((await refusal(invoke('queue.start', {}, reader))).code, 'forbidden');
    assert.equal((await refusal(invoke('history.clear', {}, reader))).code, 'forbidden');
    const controller = { ...ctx, caller: caller('control') };
    assert.equal((await refusal(invoke('queue.get', {}, controller))).code, 'forbidden');
    await invoke('queue.get', {}, reader);
    await invoke('history.get', {}, reader);
  });

  it('runs three items back to back: history newest first, item ids in the start documents, item.get', async () => {
    const starts: Array<Record<string, unknown>> = [];
    d.listenDocuments((name, doc) => { if (name === 'start') starts.push(doc as Record<string, unknown>); });
    const added = (await call('queue.add', { items: [COUNT, { plan: 'count', params: { detectors: ['det'], num: 2 } }, COUNT] })).items.map((i) => i.item_uid);
    assert.deepEqual(await call('queue.start'), { state: 'running', stop_pending: false });
    await until('the queue to stop', () => q.state === 'stopped');
    assert.deepEqual(starts.map((s) => s.item_id), added);
    const h = await call('history.get');
    assert.equal(h.total, 3);
    assert.deepEqual(h.entries.map((x) => x.item.item_uid), [...added].reverse());
    for (const x of h.entries) {
      assert.equal(x.result.exit_status, 'completed');
      assert.equal(x.result.runs.length, 1);
      assert.equal(x.result.runs[0]?.exit_status, 'success');
      assert.ok(x.result.time_stop >= x.result.time_start);
    }
    const page = await call('history.get', { offset: 1, limit: 1 });
    assert.deepEqual(page.entries.map((x) => x.item.item_uid), [added[1]]);
    const one = await call('item.get', { item_uid: added[0] as string });
    assert.equal(one.status, 'done');
    assert.equal(one.exit_status, 'completed');
    assert.equal(one.runs[0]?.uid, starts[0]?.uid);
    assert.equal(one.error, null);
    assert.equal((await refusal(call('item.get', { item_uid: 'nope' }))).code, 'unknown_item');
    assert.equal((await refusal(call('queue.remove', { item_uid: added[0] as string }))).code, 'item_not_pending');
    assert.deepEqual(await call('history.clear'), { removed: 3 });
    assert.equal((await call('history.get')).total, 0);
  });

  it('a change a listener keeps still says what it said when told (the running item is replaced, never changed in place)', async () => {
    const told: string[] = [];
    q.onChange((c) => told.push(JSON.stringify(c)));
    await call('queue.add', { items: [COUNT, { plan: 'count', params: { detectors: ['det'], num: 2 } }, COUNT] });
    const from = changes.length;
    await call('queue.start');
    await until('the queue to stop', () => q.state === 'stopped');
    const kept = changes.slice(from).map((c) => JSON.stringify(c));
    assert.deepEqual(kept, told.slice(told.length - kept.length));
    // The running item was told before its run opened, and with no run verdict while it ran.
    const running = changes.slice(from).filter((c) => c.change === 'running');
    assert.equal(running.length, 3);
    for (const c of running) assert.deepEqual(c.change === 'running' ? c.running.runs : null, []);
    const runs = changes.slice(from).flatMap((c) => (c.change === 'run' ? [c.run] : []));
    assert.deepEqual(runs.map((r) => r.exit_status), [null, null, null]);
    const finished = changes.slice(from).flatMap((c) => (c.change === 'finished' ? [c.entry] : []));
    assert.deepEqual(finished.map((e) => e.result.runs.map((r) => r.exit_status)), [['success'], ['success'], ['success']]);
  });

  it('a failed item stops the queue; with ignore_failures the queue goes on', async () => {
    const [f1, c1] = (await call('queue.add', { items: [{ plan: 'fail' }, COUNT] })).items.map((i) => i.item_uid) as [string, string];
    await call('queue.start');
    await until('the queue to stop', () => q.state === 'stopped');
    const failed = await call('item.get', { item_uid: f1 });
    assert.equal(failed.exit_status, 'failed');
    assert.deepEqual(failed.error, { type: 'Error', message: 'boom' });
    assert.equal((await call('item.get', { item_uid: c1 })).status, 'pending');
    await call('queue.add', { item: { plan: 'fail' }, pos: 'front' });
    await call('queue.mode', { ignore_failures: true });
    await call('queue.start');
    await until('the queue to stop', () => q.state === 'stopped');
    assert.equal((await call('item.get', { item_uid: c1 })).exit_status, 'completed');
    assert.deepEqual((await call('history.get')).entries.map((x) => x.result.exit_status), ['completed', 'failed', 'failed']);
  });

  it('start while the queue runs is busy; queue.stop waits for the item; stop_cancel; queue_stop instruction', async () => {
    const [n1, n2] = (await call('queue.add', { items: [{ plan: 'nap' }, { plan: 'nap' }, { instruction: 'queue_stop' }, COUNT] })).items.map((i) => i.item_uid) as [string, string];
    await call('queue.start');
    assert.equal((await refusal(call('queue.start'))).code, 'illegal_state');
    const busy = await refusal(call('start', COUNT));
    assert.equal(busy.code, 'busy');
    assert.match(busy.message, /the queue/);
    assert.equal((await call('item.get', { item_uid: n1 })).status, 'running');
    assert.equal((await refusal(call('queue.stop_cancel'))).code, 'illegal_state');
    assert.deepEqual(await call('queue.stop'), { state: 'running', stop_pending: true });
    assert.deepEqual(await call('queue.stop_cancel'), { state: 'running', stop_pending: false });
    await until('the queue_stop instruction', () => q.state === 'stopped');
    assert.equal((await call('item.get', { item_uid: n2 })).exit_status, 'completed');
    assert.equal((await call('queue.get')).items.length, 1);
    await call('queue.start');
    await until('the last item', () => q.state === 'stopped');
    assert.equal((await refusal(call('queue.stop'))).code, 'illegal_state');
    assert.equal((await refusal(call('queue.start'))).code, 'illegal_state');
    // queue.stop during an item: the item completes, the next waits.
    await call('queue.add', { items: [{ plan: 'nap' }, COUNT] });
    await call('queue.start');
    await call('queue.stop');
    await until('the queue to stop', () => q.state === 'stopped');
    assert.equal((await call('queue.get')).items.length, 1);
    assert.equal((await call('history.get')).entries[0]?.result.exit_status, 'completed');
  });

  it('a direct start keeps queue.start busy; abort of a queue item is recorded and stops the queue', async () => {
    const long = { plan: 'count', params: { detectors: ['det'], num: 1000, delay: 0.01 } };
    await call('queue.add', { items: [long, COUNT] });
    await call('start', { plan: 'nap' });
    assert.equal((await refusal(call('queue.start'))).code, 'busy');
    await d.whenIdle();
    await call('queue.start');
    await until('the count to run', () => d.state === 'running');
    await call('abort', { reason: 'bad sample' });
    await until('the queue to stop', () => q.state === 'stopped');
    const [last] = (await call('history.get')).entries;
    assert.equal(last?.result.exit_status, 'aborted');
    assert.equal((await call('queue.get')).items.length, 1);
  });

  it('loop mode puts each item that ran back at the end as a new item', async () => {
    await call('queue.mode', { loop: true });
    const [a] = (await call('queue.add', { items: [COUNT, { instruction: 'queue_stop' }] })).items.map((i) => i.item_uid);
    await call('queue.start');
    await until('the queue_stop', () => q.state === 'stopped');
    const items = (await call('queue.get')).items;
    assert.equal(items.length, 2);
    assert.notEqual(items[0]?.item_uid, a);
    assert.deepEqual(items.map((i) => i.item_type), ['plan', 'instruction']);
  });

  it('without a queue the ops answer unavailable', async () => {
    detachQueue(q);
    assert.equal((await refusal(call('queue.get'))).code, 'unavailable');
    attachQueue(q);
  });

  it('ANONYMOUS may do everything', async () => {
    await invoke('queue.add', { item: COUNT }, { ...ctx, caller: ANONYMOUS });
    assert.equal((await call('queue.get')).items[0]?.user, 'anonymous');
  });
});
