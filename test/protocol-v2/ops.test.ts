/**
 * Protocol v2 request/reply: every op, every error code, the subscribe
 * snapshot and `since` replay, the log topic, and v1/v2 seeing the same transitions.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { Event, StateData } from '../../src/protocol/v2/types.js';
import { createLogger } from '../../src/server/index.js';
import { Client } from '../protocol-v1/helpers.js';
import { Gate, V2Conn, type V2TestServer, invalidDocuments, startV2Server } from './helpers.js';

const sink = (): pino.DestinationStream => new Writable({ write(_c, _e, cb) { cb(); } }) as unknown as pino.DestinationStream;

let s: V2TestServer;
const conns: V2Conn[] = [];
async function conn(): Promise<V2Conn> { const c = await V2Conn.connect(s.url); conns.push(c); return c; }

before(async () => { s = await startV2Server({ logger: createLogger({ level: 'info', destination: sink() }), v2: { maxRequestBytes: 4096, logMaxEvents: 5000 } }); });
after(async () => { await Promise.all(conns.map((c) => c.close())); await s.close(); });

const states = (events: readonly Event[]): string[] => events.filter((e) => e.topic === 'state').map((e) => (e.data as StateData).new);

describe('v2 introspection', () => {
  test('hello, status, plans, devices, ping', async () => {
    const c = await conn();
    const hello = await c.ok<{ protocol: number; server: { id: string; version: string }; limits: Record<string, number>; topics: string[] }>('hello');
    assert.equal(hello.protocol, 2);
    assert.match(hello.server.id, /^[0-9a-f-]{36}$/);
    assert.equal(hello.limits.max_request_bytes, 4096);
    assert.equal(hello.limits.log_max_events, 5000);
    assert.deepEqual(hello.topics, ['state', 'document', 'exception', 'progress', 'log', 'queue']);
    const status = await c.ok<Record<string, unknown>>('status');
    assert.deepEqual({ ...status, seq: 0 }, { state: 'idle', busy: false, plan: null, item_id: null, run_uid: null, run_start_time: null, seq: 0 });
    const { plans } = await c.ok<{ plans: Array<{ name: string; params: { properties?: Record<string, unknown> } | null }> }>('plans');
    const count = plans.find((p) => p.name === 'count');
    assert.ok(count?.params?.properties?.num !== undefined);
    const { devices } = await c.ok<{ devices: Array<{ name: string; kind: string; describe: Record<string, unknown> }> }>('devices');
    const det = devices.find((d) => d.name === 'det');
    assert.equal(det?.kind, 'SynGauss');
    assert.ok('det' in (det?.describe ?? {}));
    const pong = await c.ok<{ pong: boolean; time: number }>('ping');
    assert.equal(pong.pong, true);
  });

  test('validate: defaults, unknown_plan, invalid_params, bad_request; never starts anything', async () => {
    const c = await conn();
    const ok = await c.ok<{ plan: string; params: Record<string, unknown> }>('validate', { plan: 'slow_count', params: { num: 2 } });
    assert.deepEqual(ok, { plan: 'slow_count', params: { num: 2, delay: 0.2 } });
    const unknown = await c.request('validate', { plan: 'cuont', params: {} });
    assert.ok(!unknown.ok && unknown.error.code === 'unknown_plan' && unknown.error.message.includes('did you mean "count"'));
    const invalid = await c.request('validate', { plan: 'slow_count', params: { nmu: 2 } });
    assert.ok(!invalid.ok && invalid.error.code === 'invalid_params');
    assert.equal(invalid.error.details[0]?.path, '/params/nmu');
    const noPlan = await c.request('validate', { params: {} });
    assert.ok(!noPlan.ok && noPlan.error.code === 'bad_request' && noPlan.error.details[0]?.path === '/plan');
    assert.equal(s.dispatcher.busy, false);
  });
});

describe('v2 malformed requests', () => {
  test('bad_request, unknown_op, too_large; the connection stays open', async () => {
    const c = await conn();
    const notJson = await c.raw('{nope', null);
    assert.ok(!notJson.ok && notJson.error.code === 'bad_request' && notJson.id === null);
    const binary = await c.raw(Buffer.from('{"id":1,"op":"ping"}'), null);
    assert.ok(!binary.ok && binary.error.code === 'bad_request' && /binary frames are not accepted/.test(binary.error.message), JSON.stringify(binary));
    const notObject = await c.raw('[1,2]', null);
    assert.ok(!notObject.ok && notObject.error.code === 'bad_request');
    const noId = await c.raw({ op: 'ping' }, null);
    assert.ok(!noId.ok && noId.error.code === 'bad_request' && noId.error.details[0]?.path === '/id');
    const noOp = await c.raw({ id: 'x' }, 'x');
    assert.ok(!noOp.ok && noOp.error.code === 'bad_request' && noOp.error.details[0]?.path === '/op');
    const unknownOp = await c.request('explode');
    assert.ok(!unknownOp.ok && unknownOp.error.code === 'unknown_op');
    const big = await c.raw({ id: 'big', op: 'ping', pad: 'x'.repeat(5000) }, null);
    assert.ok(!big.ok && big.error.code === 'too_large');
    const badTopics = await c.request('subscribe', { topics: ['state', 'gossip'] });
    assert.ok(!badTopics.ok && badTopics.error.code === 'bad_request' && badTopics.error.details[0]?.path === '/topics');
    const badSince = await c.request('subscribe', { since: -1 });
    assert.ok(!badSince.ok && badSince.error.code === 'bad_request');
    // A misspelt field is refused, as the table's ops refuse one: `sinse` was taken as no `since`, and
    // the client believed it had resumed while it streamed live from now.
    const typo = await c.request('subscribe', { sinse: 0, topics: ['state'] });
    assert.ok(!typo.ok && typo.error.code === 'bad_request' && typo.error.details[0]?.path === '/sinse', JSON.stringify(typo));
    assert.match(typo.ok ? '' : typo.error.message, /subscribe takes no field "sinse" \(only topics, since, batch beside id and op\)/);
    for (const op of ['hello', 'ping', 'unsubscribe']) {
      const extra = await c.request(op, { verbose: true });
      assert.ok(!extra.ok && extra.error.code === 'bad_request' && extra.error.details[0]?.path === '/verbose', op);
    }
    const badDefer = await c.request('pause', { defer: 'yes' });
    assert.ok(!badDefer.ok && badDefer.error.code === 'bad_request');
    assert.equal((await c.ok<{ pong: boolean }>('ping')).pong, true);
  });
});

describe('v2 runs', () => {
  test('start → item id; busy; pause/resume/stop; documents valid; progress to 1; exceptions', async () => {
    const c = await conn();
    const sub = await c.ok<{ seq: number; status: { state: string }; open_run: unknown }>('subscribe', {});
    assert.equal(sub.status.state, 'idle');
    assert.equal(sub.open_run, null);
    s.gate = new Gate();
    const started = await c.ok<{ item_id: string; plan: string }>('start', { plan: 'gated', params: {}, md: { sample: 'Si' } });
    const busy = await c.request('start', { plan: 'fast_count' });
    assert.ok(!busy.ok && busy.error.code === 'busy');
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'event');
    // The reply carries the state when it was sent: the engine may already have paused.
    assert.match((await c.ok<{ state: string }>('pause', { defer: false })).state, /^paus(ing|ed)$/);
    await c.waitEvent((e) => e.topic === 'state' && (e.data as StateData).new === 'paused');
    const pauseTwice = await c.request('pause');
    assert.ok(!pauseTwice.ok && pauseTwice.error.code === 'illegal_state');
    await c.ok('resume');
    await c.waitEvent((e) => e.topic === 'state' && (e.data as StateData).new === 'running' && (e.data as StateData).old === 'paused');
    await c.ok('stop');
    const idleAt = await c.waitEvent((e) => e.topic === 'state' && (e.data as StateData).new === 'idle');
    const evs = c.events.slice(0, idleAt + 1);
    const startDoc = evs.find((e) => e.topic === 'document' && (e.data as { name: string }).name === 'start');
    assert.equal((startDoc?.data as { doc: { sample?: string } }).doc.sample, 'Si');
    const stateItems = evs.filter((e) => e.topic === 'state').map((e) => (e.data as StateData).item_id);
    assert.ok(stateItems.every((id) => id === started.item_id));
    assert.deepEqual(states(evs).filter((x, i, a) => a[i - 1] !== x), ['running', 'pausing', 'paused', 'running', 'stopping', 'idle']);
    assert.deepEqual(invalidDocuments(evs), []);
    // seq strictly +1 from the snapshot on
    evs.forEach((e, i) => assert.equal(e.seq, sub.seq + i + 1));

    const scanItem = await c.ok<{ item_id: string }>('start', { plan: 'scan', params: { detectors: ['det'], args: ['motor', -1, 1], num: 5 } });
    const last = await c.waitEvent((e) => e.topic === 'state' && (e.data as StateData).new === 'idle' && (e.data as StateData).item_id === scanItem.item_id);
    const progress = c.events.slice(idleAt + 1, last).filter((e) => e.topic === 'progress').map((e) => e.data as { done: number; total: number; fraction: number; eta_s: number | null });
    // At the start, then after each burst of points handed over together (one per point when they come one by one).
    const done = progress.map((p) => p.done);
    assert.equal(done[0], 0);
    assert.equal(done.at(-1), 5);
    assert.ok(done.every((d, i) => i === 0 || d > (done[i - 1] ?? 0)), `progress goes up: ${done.join(', ')}`);
    assert.equal(progress.at(-1)?.fraction, 1);
    assert.equal(progress.at(-1)?.total, 5);
    // Each one's fraction and ETA are those of its own count (worked out when it is sent, not per point).
    for (const p of progress) {
      assert.equal(p.fraction, p.done / 5, JSON.stringify(p));
      if (p.done === 0) assert.equal(p.eta_s, null);
      else assert.ok(typeof p.eta_s === 'number' && p.eta_s >= 0 && (p.done < 5 || p.eta_s === 0), JSON.stringify(p));
    }

    await c.ok('start', { plan: 'failing' });
    const exAt = await c.waitEvent((e) => e.topic === 'exception', last);
    assert.match((c.events[exAt]?.data as { message: string }).message, /planned failure/);
    await s.dispatcher.whenIdle();
  });

  test('abort carries the reason; halt; control verbs when idle are illegal_state', async () => {
    const c = await conn();
    await c.ok('subscribe', { topics: ['document'] });
    for (const op of ['resume', 'stop', 'abort', 'halt']) {
      const r = await c.request(op);
      assert.ok(!r.ok && r.error.code === 'illegal_state', op);
    }
    s.gate = new Gate();
    await c.ok('start', { plan: 'gated' });
    await c.waitEvent((e) => (e.data as { name: string }).name === 'event');
    await c.ok('abort', { reason: 'beam lost' });
    const stopAt = await c.waitEvent((e) => (e.data as { name: string }).name === 'stop');
    const stop = (c.events[stopAt]?.data as unknown as { doc: { exit_status: string; reason: string } }).doc;
    assert.deepEqual([stop.exit_status, stop.reason], ['abort', 'beam lost']);
    assert.ok(c.events.every((e) => e.topic === 'document'));
    await s.dispatcher.whenIdle();
    s.gate = new Gate();
    await c.ok('start', { plan: 'gated' });
    await c.waitEvent((e) => (e.data as { name: string }).name === 'event', stopAt + 1);
    await c.ok('halt');
    const haltAt = await c.waitEvent((e) => (e.data as { name: string }).name === 'stop', stopAt + 1);
    assert.equal((c.events[haltAt]?.data as unknown as { doc: { exit_status: string } }).doc.exit_status, 'abort');
    await s.dispatcher.whenIdle();
  });

  test('unsubscribe stops the stream', async () => {
    const c = await conn();
    await c.ok('subscribe', { topics: ['state'] });
    await c.ok('unsubscribe');
    const n = c.events.length;
    await c.ok('start', { plan: 'fast_count' });
    await s.dispatcher.whenIdle();
    await c.ok('ping'); // anything sent before this reply has arrived
    assert.equal(c.events.length, n);
  });
});

describe('v2 replay', () => {
  test('since replays exactly the missed events, then live; log lines are events too', async () => {
    const a = await conn();
    const first = await a.ok<{ seq: number }>('subscribe', { since: 0 });
    await a.waitSeq(first.seq);
    // since: 0 replays from the very first event: the server's own "listening" log line.
    assert.equal(a.events[0]?.seq, 1);
    assert.ok(a.events.some((e) => e.topic === 'log' && (e.data as { msg: string }).msg === 'dispatcher listening'));
    await a.ok('start', { plan: 'fast_count' });
    await s.dispatcher.whenIdle();
    const latest = (await a.ok<{ seq: number }>('status')).seq;
    await a.waitSeq(latest);
    const b = await conn();
    const mid = first.seq + 3;
    const r = await b.ok<{ seq: number; replay_from: number }>('subscribe', { since: mid });
    assert.equal(r.replay_from, mid + 1);
    await b.waitSeq(latest);
    assert.deepEqual(b.events, a.events.filter((e) => e.seq > mid && e.seq <= latest));
  });

  test('replay_unavailable names the oldest seq kept; a seq from the future too', async () => {
    const small = await startV2Server({ v2: { logMaxEvents: 10 } });
    try {
      const c = await V2Conn.connect(small.url);
      await c.ok('start', { plan: 'count', params: { detectors: ['det'], num: 5 } });
      await small.dispatcher.whenIdle();
      const r = await c.request('subscribe', { since: 1 });
      assert.ok(!r.ok && r.error.code === 'replay_unavailable');
      const hello = await c.ok<{ oldest_seq: number; latest_seq: number }>('hello');
      assert.equal(hello.latest_seq - hello.oldest_seq + 1, 10);
      assert.ok(r.error.message.includes(`oldest event kept is ${String(hello.oldest_seq)}`));
      const future = await c.request('subscribe', { since: hello.latest_seq + 100 });
      assert.ok(!future.ok && future.error.code === 'replay_unavailable');
      const oldestOk = await c.ok<{ replay_from: number }>('subscribe', { since: hello.oldest_seq - 1 });
      assert.equal(oldestOk.replay_from, hello.oldest_seq);
      await c.waitSeq(hello.latest_seq);
      assert.deepEqual(c.events.map((e) => e.seq), Array.from({ length: 10 }, (_, i) => hello.oldest_seq + i));
      await c.close();
    } finally {
      await small.close();
    }
  });

  test('v1 and v2 subscribers see the same transitions', async () => {
    const v1 = await Client.connect(s.url.replace(/v2$/, ''));
    v1.send({ type: 'subscribe', keep_open: true });
    await v1.count(1);
    const c = await conn();
    await c.ok('subscribe', { topics: ['state'] });
    await c.ok('start', { plan: 'slow_count', params: { num: 2, delay: 0 } });
    await s.dispatcher.whenIdle();
    await c.waitEvent((e) => (e.data as StateData).new === 'idle');
    await v1.waitFor((m) => m.state === 'idle' && m.old_state === 'running');
    const v1States = v1.parsed.slice(1).map((m) => [m.state, m.old_state, m.run_uid]);
    const v2States = c.events.map((e) => { const d = e.data as StateData; return [d.new, d.old, d.run_uid]; });
    assert.deepEqual(v2States, v1States);
    await v1.close();
  });
});
