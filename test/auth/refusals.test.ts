/**
 * Attempts refused before they reach an operation go to the audit log
 * (src/audit/refusals.ts), on a real `serve --auth` over loopback: a change
 * without a key or with a wrong one (HTTP and v2), a wrong key for `auth`,
 * `/api/login` or any request, and a page of another origin trying to change
 * something or to open a socket. Reads without a key are only answered. A
 * flood is recorded as a burst, not row for row, and no key ever reaches the log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { REFUSAL_BURST, REFUSAL_EVERY_MS } from '../../src/audit/index.js';
import { MemoryKeyStore } from '../../src/auth/index.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { type Up, dirs, up } from '../http/helpers.js';

const WRONG = `bsk_${'W'.repeat(43)}`;

interface Entry { who: string; protocol: string; op: string; params: string; outcome: string; message: string | null }

describe('refused before any operation: in the audit log', { timeout: 120_000 }, () => {
  let s: Up;
  let admin = '';
  const keys = new MemoryKeyStore();
  before(async () => {
    admin = (await keys.create('root', ['read', 'control', 'admin'])).key;
    s = await up({ auth: true, keys });
  });
  after(async () => { await s.down(); dirs.cleanup(); });

  async function entries(): Promise<Entry[]> {
    const r = await fetch(`${s.base}/api/audit/list?limit=1000`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(r.status, 200);
    return ((await r.json()) as { entries: Entry[] }).entries.filter((e) => e.op !== 'audit.list');
  }
  const line = (e: Entry): string => `${e.who}|${e.protocol}|${e.op}|${e.outcome}`;

  /** A websocket upgrade: the status it was refused with, or 'open'. */
  function upgrade(path: string, headers: Record<string, string>): Promise<string> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${s.server.url.replace(/\/$/, '')}${path}`, { headers });
      ws.on('open', () => { ws.close(); resolve('open'); });
      ws.on('unexpected-response', (_req, res) => { resolve(String(res.statusCode)); ws.terminate(); });
      ws.on('error', () => resolve('error'));
    });
  }

  it('HTTP: a change without a key, any request with a wrong key and a failed login are recorded; a read without a key is not', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${s.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    assert.equal((await post('/api/start', { plan: 'count', params: { detectors: ['det'] } })).status, 401);
    assert.equal((await fetch(`${s.base}/api/status`)).status, 401);
    assert.equal((await fetch(`${s.base}/api/status`, { headers: { authorization: `Bearer ${WRONG}` } })).status, 401);
    assert.equal((await post('/api/login', { key: WRONG })).status, 401);
    const got = await entries();
    assert.deepEqual(got.map(line).reverse(), [
      'unauthenticated from 127.0.0.1|http|start|unauthorized',
      'unauthenticated from 127.0.0.1|http|status|unauthorized',
      'unauthenticated from 127.0.0.1|http|login|unauthorized',
    ]);
    assert.equal(got.at(-1)?.params, '{"plan":"count","params":{"detectors":["det"]}}', 'what the change asked for');
    assert.equal(got.at(-1)?.message, 'this server needs an API key: send "Authorization: Bearer KEY" (keys: bluesky-dispatcher keys create)');
    assert.ok(!JSON.stringify(got).includes(WRONG), 'no key in the audit log');
  });

  it('v2: a change before auth and a wrong key for auth are recorded; a read before auth is not', async () => {
    const before = (await entries()).length;
    const v2 = await V2Conn.connect(`${s.server.url}v2`);
    try {
      assert.equal(((await v2.request('pause')) as { error?: { code: string } }).error?.code, 'unauthorized');
      assert.equal(((await v2.request('status')) as { error?: { code: string } }).error?.code, 'unauthorized');
      assert.equal(((await v2.request('auth', { key: WRONG })) as { error?: { code: string } }).error?.code, 'unauthorized');
      assert.equal((await v2.ok<{ name: string }>('auth', { key: admin })).name, 'root', 'a right key still works after a wrong one');
    } finally { await v2.close(); }
    const got = (await entries()).slice(0, -before || undefined);
    assert.deepEqual(got.map(line).reverse(), ['unauthenticated from 127.0.0.1|v2|pause|unauthorized', 'unauthenticated from 127.0.0.1|v2|auth|unauthorized']);
    assert.ok(!JSON.stringify(got).includes(WRONG), 'no key in the audit log');
  });

  it('another origin: a change and a socket are recorded (403), a read is not', async () => {
    const before = (await entries()).length;
    const evil = { origin: 'https://evil.example' };
    const r = await fetch(`${s.base}/api/start`, { method: 'POST', headers: { 'content-type': 'application/json', ...evil }, body: '{"plan":"count"}' });
    assert.equal(r.status, 403);
    assert.equal((await fetch(`${s.base}/api/status`, { headers: evil })).status, 403);
    assert.equal(await upgrade('/v2', evil), '403');
    const got = (await entries()).slice(0, -before || undefined);
    assert.deepEqual(got.map(line).reverse(), [
      'origin https://evil.example from 127.0.0.1|http|start|bad_origin',
      'origin https://evil.example from 127.0.0.1|v2|connect|bad_origin',
    ]);
  });

  it('a flood of refused changes from one address is recorded as a burst, not row for row', async () => {
    const t0 = performance.now();
    for (let i = 0; i < 60; i++) {
      const r = await fetch(`${s.base}/api/abort`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(r.status, 401);
    }
    const refills = Math.ceil((performance.now() - t0) / REFUSAL_EVERY_MS);
    const aborts = (await entries()).filter((e) => e.op === 'abort');
    // The address had used some of its burst in the tests above; at most a burst plus what refilled since.
    assert.ok(aborts.length <= REFUSAL_BURST + refills + 1, `${String(aborts.length)} entries for 60 attempts`);
    // The server still answers, and a right key still works.
    assert.equal((await fetch(`${s.base}/api/status`, { headers: { authorization: `Bearer ${admin}` } })).status, 200);
  });
});
