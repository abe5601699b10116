/**
 * The HTTP transports on real sockets: a request through the typed HTTP client,
 * the event stream as Server-Sent Events (ids are v2 seqs, resume with
 * Last-Event-ID or ?since=N exactly as v2's `subscribe since`, topics, the
 * errors before any event), and the typed client's stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpClient } from '../../src/protocol/v2/client.js';
import type { Event } from '../../src/protocol/v2/types.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { type Up, dirs, eventOf, readSse, until, up } from './helpers.js';

let s: Up;

const isIdleAfterRun = (e: Event): boolean => e.topic === 'state' && (e.data as { new: string; old: string | null }).new === 'idle' && (e.data as { old: string | null }).old !== null;

describe('HTTP transports on a real socket', { timeout: 120_000 }, () => {
  before(async () => { s = await up(); });
  after(async () => { await s.down(); dirs.cleanup(); });

  it('the typed HTTP client: requests, refusals as ClientError with the catalogue code', async () => {
    const c = new HttpClient(s.base);
    const st = await c.status();
    assert.equal(st.state, 'idle');
    const plans = await c.plans();
    assert.ok(plans.plans.some((p) => p.name === 'count'));
    await assert.rejects(c.start('no_such_plan'), (e: unknown) => (e as { code?: string }).code === 'unknown_plan');
    await assert.rejects(c.resume(), (e: unknown) => (e as { code?: string }).code === 'illegal_state');
    const runs = await c.runsList({ limit: 1 });
    assert.ok(Array.isArray(runs.runs));
  });

  it('SSE: a POST start\'s events arrive with id = seq; Last-Event-ID and ?since=N replay exactly what v2 replays', async () => {
    const reading = readSse(`${s.base}/api/events`, {}, (m) => m.event === 'state' && isIdleAfterRun(eventOf(m)));
    await until('the stream open', () => s.server.api.streamCount === 1);
    const started = await fetch(`${s.base}/api/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plan: 'count', params: { detectors: ['det'], num: 3 } }) });
    assert.equal(started.status, 200);
    const live = await reading;
    assert.equal(live.status, 200);
    assert.equal(live.messages[0]?.event, 'subscribed', 'the snapshot comes first');
    const events = live.messages.slice(1);
    for (const m of events) {
      const e = eventOf(m);
      assert.equal(m.id, String(e.seq));
      assert.equal(m.event, e.topic);
    }
    const seqs = events.map((m) => Number(m.id));
    assert.deepEqual(seqs, seqs.map((_x, i) => (seqs[0] ?? 0) + i), 'consecutive seqs');
    assert.ok(events.some((m) => m.event === 'document' && (eventOf(m).data as { name: string }).name === 'stop'));

    // Resume from the middle: the same events, in order, from the one after.
    const mid = seqs[Math.floor(seqs.length / 2)] ?? 0;
    const last = seqs.at(-1) ?? 0;
    const want = events.filter((m) => Number(m.id) > mid).map((m) => m.data);
    const byHeader = await readSse(`${s.base}/api/events`, { 'last-event-id': String(mid) }, (m) => Number(m.id) >= last);
    assert.deepEqual(byHeader.messages.slice(1).map((m) => m.data), want);
    const byQuery = await readSse(`${s.base}/api/events?since=${String(mid)}`, {}, (m) => Number(m.id) >= last);
    assert.deepEqual(byQuery.messages.slice(1).map((m) => m.data), want);

    // v2 replays the same events from the same point.
    const v2 = await V2Conn.connect(`${s.server.url}v2`);
    await v2.ok('subscribe', { since: mid });
    await until('v2 replay', () => v2.events.some((e) => e.seq >= last));
    assert.deepEqual(v2.events.filter((e) => e.seq <= last).map((e) => JSON.stringify(e)), want);
    await v2.close();

    // Topics filter; the header wins over ?since.
    const states = await readSse(`${s.base}/api/events?topics=state&since=0`, { 'last-event-id': String(mid) }, (m) => m.event === 'state' && isIdleAfterRun(eventOf(m)));
    assert.ok(states.messages.slice(1).every((m) => m.event === 'state' && Number(m.id) > mid));
  });

  it('SSE refusals are JSON errors before any event: a bad since, an unknown topic, a seq the log does not have', async () => {
    const bad = await readSse(`${s.base}/api/events?since=abc`, {}, () => true);
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(bad.body ?? '{}') as { code: string }).code, 'bad_request');
    const topic = await readSse(`${s.base}/api/events?topics=state,gossip`, {}, () => true);
    assert.equal(topic.status, 400);
    const ahead = await readSse(`${s.base}/api/events`, { 'last-event-id': '999999999' }, () => true);
    assert.equal(ahead.status, 410);
    assert.equal((JSON.parse(ahead.body ?? '{}') as { code: string }).code, 'replay_unavailable');
  });

  it('the typed HTTP client streams events and sees a POST start reach running', async () => {
    const c = new HttpClient(s.base);
    const seen: Event[] = [];
    c.on('event', (e) => seen.push(e));
    const snap = await c.subscribe(['state']);
    assert.equal(typeof snap.seq, 'number');
    await c.start('count', { detectors: ['det'], num: 2 });
    await until('running then idle', () => seen.some((e) => (e.data as { new?: string }).new === 'running') && seen.some(isIdleAfterRun));
    c.close();
    assert.ok(seen.every((e) => e.topic === 'state'));
  });
});
