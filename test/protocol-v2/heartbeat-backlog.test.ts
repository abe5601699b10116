/**
 * Heartbeats against a live peer that is behind: its pong waits behind
 * megabytes of events already on the wire, yet it keeps reading, so it must
 * stay connected (issue 15: a browser 1006'd during a 300×300 grid scan). A
 * peer that stops reading altogether is still ended.
 * @module
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { V2Conn, type V2TestServer, startV2Server } from './helpers.js';

// Long enough that the idle control connection, in this same busy process, always pongs in time.
const BEAT_MS = 500;
let s: V2TestServer;
before(async () => { s = await startV2Server({ v2: { heartbeatMs: BEAT_MS, maxBufferedBytes: 256 * 1024, logMaxEvents: 1_000_000, logMaxBytes: 1024 ** 3 } }); });
after(async () => { await s.close(); });

function rawSocket(c: V2Conn): Socket { return (c.ws as unknown as { _socket: Socket })._socket; }

/**
 * A TCP proxy that reads everything the server sends at once but passes it on at
 * `bytesPerTick` every 10 ms: the client behind it is alive and reading, only far
 * slower than the stream, so each ping waits behind the backlog queued here.
 */
async function slowProxy(target: string, bytesPerTick: number): Promise<{ url: string; close(): void }> {
  const { hostname, port, pathname } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createServer((down) => {
    const up = connect(Number(port), hostname);
    sockets.add(up).add(down);
    down.pipe(up);
    const queue: Buffer[] = [];
    const tick = setInterval(() => {
      let budget = bytesPerTick;
      while (budget > 0 && queue.length > 0) {
        const head = queue[0] as Buffer;
        const part = head.subarray(0, budget);
        down.write(part);
        budget -= part.length;
        if (part.length === head.length) queue.shift(); else queue[0] = head.subarray(part.length);
      }
    }, 10);
    up.on('data', (chunk: Buffer) => { queue.push(chunk); });
    const end = (): void => { clearInterval(tick); up.destroy(); down.destroy(); };
    for (const sock of [up, down]) { sock.on('close', end); sock.on('error', end); }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${String(addr.port)}${pathname}`,
    close: () => { for (const sock of sockets) sock.destroy(); server.close(); },
  };
}

/** Run a count flat out (from a separate, idle connection) while `during` runs; always abort it after. */
async function whileStreaming<T>(during: () => Promise<T>): Promise<T> {
  const ctl = await V2Conn.connect(s.url);
  try {
    await ctl.ok('start', { plan: 'count', params: { detectors: ['det'], num: 1_000_000, delay: 0 } });
    return await during();
  } finally {
    await ctl.ok('abort', { reason: 'test over' });
    await s.dispatcher.whenIdle();
    await ctl.close();
  }
}

/** The server's own count of v2 peers (a client behind a backlog hears of its end only later). */
const peers = (): number => s.server.v2.bufferedAmounts().length;

test('a subscriber that is behind but still reading outlives many heartbeats', { timeout: 60_000 }, async () => {
  // ~300 KB/s, against a stream of megabytes a second: the pings wait seconds, many heartbeats.
  const proxy = await slowProxy(s.url, 3000);
  const slow = await V2Conn.connect(proxy.url);
  try {
    await slow.ok('subscribe', {});
    const fewest = await whileStreaming(async () => {
      let least = peers();
      for (const t0 = performance.now(); performance.now() - t0 < 3000;) {
        least = Math.min(least, peers());
        await new Promise((r) => setTimeout(r, 20));
      }
      return least;
    });
    assert.equal(fewest, 2, 'the live subscriber was disconnected while behind');
    assert.ok((slow.events.at(-1)?.seq ?? 0) < s.server.v2.hub.log.latest() - 1000, 'it was behind (else this test proves nothing)');
    assert.ok(slow.events.length > 100, `it kept receiving (${String(slow.events.length)} events)`);
  } finally {
    slow.ws.terminate();
    await slow.closed;
    proxy.close();
  }
});

test('a subscriber that stops reading during a stream is still ended by the heartbeat', { timeout: 60_000 }, async () => {
  const stuck = await V2Conn.connect(s.url);
  try {
    await stuck.ok('subscribe', {});
    rawSocket(stuck).pause();
    // Once the kernel buffers are full nothing drains: the beats find neither pong nor progress.
    const ended = await whileStreaming(async () => {
      for (const t0 = performance.now(); peers() > 1 && performance.now() - t0 < 20_000;) await new Promise((r) => setTimeout(r, 20));
      return peers() === 1; // the control connection alone
    });
    assert.ok(ended, 'the stuck subscriber was never ended');
  } finally {
    rawSocket(stuck).destroy();
  }
});
