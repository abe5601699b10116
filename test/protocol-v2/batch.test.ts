/**
 * Batched subscriptions (`subscribe {batch: true}`, issue 15's ui_lag): events
 * arrive as JSON arrays, each array one websocket message, with exactly the
 * events and order an unbatched subscriber gets; replies stay single objects;
 * resume with `since` works the same; the typed client's `batch` option hides it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { DispatcherClient } from '../../src/protocol/v2/client.js';
import type { Event } from '../../src/protocol/v2/types.js';
import { type V2TestServer, startV2Server } from './helpers.js';
import { until as waitUntil } from '../helpers/wait.js';

/** This file's wait: 30,000 ms. */
const until = (what: string, test: () => boolean, ms = 30_000): Promise<void> => waitUntil(what, test, ms);

/** A raw subscriber: every websocket message as parsed JSON. */
async function raw(url: string, subscribe: Record<string, unknown>): Promise<{ messages: unknown[]; ws: WebSocket }> {
  const ws = new WebSocket(url);
  const messages: unknown[] = [];
  ws.on('message', (data) => { messages.push(JSON.parse(String(data))); });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ id: 1, op: 'subscribe', ...subscribe }));
  return { messages, ws };
}

function eventsOf(messages: readonly unknown[]): Event[] {
  return messages.flatMap((m) => (Array.isArray(m) ? (m as Event[]) : typeof (m as Event).seq === 'number' && !('ok' in (m as object)) ? [m as Event] : []));
}

describe('batched subscriptions', () => {
  let s: V2TestServer;
  before(async () => { s = await startV2Server(); });
  after(async () => { await s.close(); });

  it('the same events in the same order, in arrays; replies stay objects', async () => {
    const plain = await raw(s.url, {});
    const batched = await raw(s.url, { batch: true });
    try {
      await until('both subscribed', () => plain.messages.length > 0 && batched.messages.length > 0);
      assert.equal((batched.messages[0] as { ok: boolean }).ok, true, 'the reply is one object');
      await s.dispatcher.startScan('count', { detectors: ['det'], num: 500 });
      await s.dispatcher.whenIdle();
      const latest = s.server.v2.hub.log.latest();
      await until('every event', () => eventsOf(batched.messages).at(-1)?.seq === latest && eventsOf(plain.messages).at(-1)?.seq === latest);
      assert.deepEqual(eventsOf(batched.messages), eventsOf(plain.messages));
      const arrays = batched.messages.filter(Array.isArray);
      assert.ok(arrays.length > 0 && arrays.length < eventsOf(batched.messages).length / 10, `${String(arrays.length)} messages for ${String(eventsOf(batched.messages).length)} events`);
      assert.ok(batched.messages.slice(1).every(Array.isArray), 'every event message is an array');
    } finally {
      plain.ws.close();
      batched.ws.close();
    }
  });

  it('resumes from since, batched', async () => {
    const from = s.server.v2.hub.log.latest();
    await s.dispatcher.startScan('count', { detectors: ['det'], num: 3 });
    await s.dispatcher.whenIdle();
    const latest = s.server.v2.hub.log.latest();
    const r = await raw(s.url, { batch: true, since: from });
    try {
      await until('the replay', () => eventsOf(r.messages).at(-1)?.seq === latest);
      const seqs = eventsOf(r.messages).map((e) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: latest - from }, (_, i) => from + 1 + i));
    } finally { r.ws.close(); }
  });

  it('batch must be a boolean', async () => {
    const r = await raw(s.url, { batch: 'yes' });
    try {
      await until('the reply', () => r.messages.length > 0);
      const reply = r.messages[0] as { ok: boolean; error: { code: string; details: Array<{ path: string }> } };
      assert.equal(reply.ok, false);
      assert.equal(reply.error.code, 'bad_request');
      assert.equal(reply.error.details[0]?.path, '/batch');
    } finally { r.ws.close(); }
  });

  it('the typed client with batch: true delivers each event once, in order', async () => {
    const c = new DispatcherClient(s.url, { batch: true });
    const got: number[] = [];
    c.on('event', (e) => { got.push(e.seq); });
    try {
      await c.subscribe();
      const from = s.server.v2.hub.log.latest();
      await s.dispatcher.startScan('count', { detectors: ['det'], num: 50 });
      await s.dispatcher.whenIdle();
      const latest = s.server.v2.hub.log.latest();
      await until('every event', () => got.at(-1) === latest);
      const mine = got.filter((q) => q > from);
      assert.deepEqual(mine, Array.from({ length: latest - from }, (_, i) => from + 1 + i));
    } finally { c.close(); }
  });
});
