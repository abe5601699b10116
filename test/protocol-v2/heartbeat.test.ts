/** Heartbeats: a peer that stops answering pings is ended; a live one stays connected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startV2Server } from './helpers.js';

function open(url: string, autoPong: boolean): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { autoPong });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

test('a peer that does not answer pings is terminated; one that does stays open', async () => {
  const srv = await startV2Server({ v2: { heartbeatMs: 40 } });
  try {
    const dead = await open(srv.url, false);
    const alive = await open(srv.url, true);
    let pings = 0;
    alive.on('ping', () => { pings++; });
    const code = await new Promise<number>((resolve) => dead.once('close', (c) => resolve(c)));
    assert.equal(code, 1006, 'terminated without a close frame');
    // By the time the dead peer was ended, the live one answered at least one ping and is still open.
    assert.ok(pings >= 1);
    assert.equal(alive.readyState, WebSocket.OPEN);
    alive.close();
  } finally {
    await srv.close();
  }
});
