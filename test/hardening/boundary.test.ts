/**
 * Issue 10, the error boundary: nothing a client sends ends the process. A
 * malformed path (`%E0%A4%A`, which decodeURIComponent refuses with a URIError
 * that used to escape and kill the server) is a 400 with a coded JSON body; a
 * route, v1 request or v2 op that throws answers with a coded error and a log
 * line, and the server (and the connection) goes on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { Client } from '../protocol-v1/helpers.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { type Hardened, rawGet, startServe } from './helpers.js';

let s: Hardened;
before(async () => { s = await startServe(); });
after(async () => { await s.close(); });

async function alive(): Promise<void> {
  const h = await rawGet(s.server.port, '/healthz');
  assert.equal(h.status, 200);
}

describe('HTTP routes', () => {
  test('a malformed percent-encoding in the export path is a 400 {code, message}; the server lives', async () => {
    const r = await rawGet(s.server.port, '/api/runs/%E0%A4%A/export.jsonl');
    assert.equal(r.status, 400);
    const body = JSON.parse(r.body) as { code: string; message?: string; error?: string };
    assert.equal(body.code, 'bad_request');
    assert.match(body.message ?? body.error ?? '', /percent-encoding/);
    await alive();
  });

  test('a route that throws answers 500 {code: internal} and logs; the next request is served', async () => {
    const d = s.dispatcher;
    const snapshot = d.snapshot.bind(d);
    d.snapshot = () => { throw new Error('injected failure'); };
    try {
      const r = await rawGet(s.server.port, '/healthz');
      assert.equal(r.status, 500);
      const body = JSON.parse(r.body) as { code: string; message: string };
      assert.equal(body.code, 'internal');
      assert.doesNotMatch(r.body, /injected failure|at .*\.ts:\d+/, 'no internals in the reply');
      assert.ok(s.lines.some((l) => l.level >= 50 && l.msg === 'HTTP handler failed'), 'logged at error');
    } finally {
      d.snapshot = snapshot;
    }
    await alive();
  });

  test('a failing store read during an export answers 5xx with a coded body; the server lives', async () => {
    const store = s.store;
    assert.ok(store !== null);
    const getRun = store.getRun.bind(store);
    store.getRun = () => Promise.reject(new Error('injected failure'));
    try {
      const r = await rawGet(s.server.port, '/api/runs/abc/export.jsonl');
      assert.ok(r.status >= 500, String(r.status));
      assert.equal(typeof (JSON.parse(r.body) as { code: unknown }).code, 'string');
    } finally {
      store.getRun = getRun;
    }
    await alive();
  });

  test('a websocket upgrade on a malformed path is refused, the server lives', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${String(s.server.port)}/%E0%A4%A`);
    const err = await new Promise<Error>((resolve) => ws.once('error', resolve));
    assert.match(err.message, /404/);
    await alive();
  });
});

describe('websocket handlers', () => {
  test('v1: a request whose handler throws gets "exception was raised"; its keep_open connection goes on', async () => {
    const d = s.dispatcher;
    const startScan = d.startScan.bind(d);
    d.startScan = () => Promise.reject(new Error('injected failure'));
    const c = await Client.connect(s.server.url);
    try {
      c.send({ type: 'start', plan: 'count', keep_open: true });
      await c.count(1);
      const reply = c.parsed[0] ?? {};
      assert.equal(reply.success, false);
      assert.equal(reply.status, 'exception was raised');
      assert.match(String(reply.exception), /injected failure/);
      d.startScan = startScan;
      c.send({ type: 'state', keep_open: true });
      await c.count(2);
      assert.equal(c.parsed[1]?.state, 'idle');
      assert.ok(s.lines.some((l) => l.msg === 'v1 request failed'));
    } finally {
      d.startScan = startScan;
      await c.close();
    }
  });

  test('v2: an op that throws is answered `internal` and logged; the connection goes on', async () => {
    const d = s.dispatcher;
    const snapshot = d.snapshot.bind(d);
    d.snapshot = () => { throw new Error('injected failure'); };
    const c = await V2Conn.connect(`${s.server.url}v2`);
    try {
      const r = await c.request('status');
      assert.ok(!r.ok && r.error.code === 'internal');
      d.snapshot = snapshot;
      assert.equal((await c.ok<{ pong: boolean }>('ping')).pong, true);
      assert.ok(s.lines.some((l) => l.msg === 'v2 request failed'));
    } finally {
      d.snapshot = snapshot;
      await c.close();
    }
  });
});
