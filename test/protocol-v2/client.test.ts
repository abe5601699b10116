/**
 * The typed client: requests and typed errors, and transparent reconnection:
 * a dropped connection resumes with `since` and listeners get every event
 * exactly once, in order; a replay the server cannot serve becomes a `resync`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { ClientError, DispatcherClient, type Event } from '../../src/protocol/v2/client.js';
import type { LoggedEvent } from '../../src/protocol/v2/event-log.js';
import { type V2TestServer, startV2Server } from './helpers.js';

let s: V2TestServer;
const keys = new WeakMap<DispatcherClient, string>();
const clients: DispatcherClient[] = [];
before(async () => { s = await startV2Server(); });
after(async () => { for (const c of clients) c.close(); await s.close(); });

/** The last socket each client opened: the tests kill it as a network failure would. */
const sockets = new Map<string, WebSocket>();
let tag = 0;

function client(url = s.url): DispatcherClient {
  const key = String(tag++);
  class Tracked extends WebSocket {
    constructor(u: string) { super(u); sockets.set(key, this); }
  }
  const c = new DispatcherClient(url, { backoff: { initialMs: 5, maxMs: 50 }, WebSocket: Tracked });
  keys.set(c, key);
  clients.push(c);
  return c;
}

test('requests, typed results and errors', async () => {
  const c = client();
  assert.equal((await c.hello()).protocol, 2);
  assert.equal((await c.status()).state, 'idle');
  await assert.rejects(c.validate('nope'), (e: unknown) => e instanceof ClientError && e.code === 'unknown_plan');
  assert.deepEqual((await c.validate('slow_count', {})).params, { num: 5, delay: 0.2 });
});

test('reconnects and resumes with since: every event once, in order', async () => {
  const c = client();
  const got: Event[] = [];
  c.on('event', (e) => got.push(e));
  const opened: string[] = [];
  c.on('open', (o) => opened.push(o.url));
  const sub = await c.subscribe();
  await c.start('slow_count', { num: 20, delay: 0.002 });
  // Drop the connection mid-run, twice, from the server's side of things (the socket just dies).
  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve) => { const off = c.on('progress', () => { off(); resolve(); }); });
    killSocket(c);
    await new Promise<void>((resolve) => { const off = c.on('subscribed', () => { off(); resolve(); }); });
  }
  await s.dispatcher.whenIdle();
  const latest = s.server.v2.hub.log.latest();
  while ((c.lastSeq ?? 0) < latest) await new Promise<void>((r) => { const off = c.on('event', () => { off(); r(); }); });
  assert.equal(opened.length, 3);
  assert.deepEqual(got.map((e) => e.seq), Array.from({ length: latest - sub.seq }, (_, i) => sub.seq + 1 + i));
  const log = s.server.v2.hub.log.since(sub.seq);
  assert.notEqual(log, 'too_old');
  assert.deepEqual(got.map((e) => JSON.stringify(e)), [...(log as Iterable<LoggedEvent>)].map((e) => e.frame.toString()));
});

test('a replay the server cannot serve becomes a resync with a fresh snapshot', async () => {
  const small = await startV2Server({ v2: { logMaxEvents: 5 } });
  try {
    const c = client(small.url);
    await c.subscribe(['state']);
    const resync = new Promise<{ seq: number }>((resolve) => c.on('resync', resolve));
    killSocket(c, () => small.dispatcher.startScan('count', { detectors: ['det'], num: 5 }));
    const r = await resync;
    assert.ok(r.seq >= 5);
    c.close();
    await small.dispatcher.whenIdle();
  } finally {
    await small.close();
  }
});

/** Kill the client's socket without a close handshake; `meanwhile` runs before it can reconnect. */
function killSocket(c: DispatcherClient, meanwhile?: () => void): void {
  const ws = sockets.get(keys.get(c) ?? '');
  if (ws === undefined) throw new Error('no socket');
  meanwhile?.();
  ws.terminate();
}
