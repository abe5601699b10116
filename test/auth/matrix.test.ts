/**
 * `serve --auth`: every operation of the table × {no key, wrong key, a key of
 * each scope} on HTTP and v2 (generated from the table: an op added later is
 * covered), v1 by its --v1-scopes and --v1-trusted, the panel's login cookie
 * (HTTP and its websocket), and keys never in the logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { MemoryKeyStore } from '../../src/auth/index.js';
import { UsageError } from '../../src/cli/errors.js';
import { serve } from '../../src/cli/serve.js';
import { pathOf } from '../../src/http/index.js';
import { OPERATIONS, type OpDef, SCOPES, type Scope } from '../../src/ops/index.js';
import { V2Conn } from '../protocol-v2/helpers.js';
import { type Up, dirs, up } from '../http/helpers.js';

const OPS = OPERATIONS as unknown as OpDef[];
const WRONG = `bsk_${'A'.repeat(43)}`;

let s: Up;
const keys = new MemoryKeyStore();
const byScope = new Map<Scope, string>();
const logLines: string[] = [];

function code(r: { body: string }): string | undefined { return (JSON.parse(r.body) as { code?: string }).code; }

/** One v1 request on a fresh connection: its reply text (or the upgrade's refusal). */
function v1(url: string, frame: Record<string, unknown>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => { ws.terminate(); resolve('timeout'); }, 20_000);
    ws.on('open', () => ws.send(JSON.stringify(frame)));
    ws.on('message', (d) => { clearTimeout(timer); resolve(String(d)); ws.close(); });
    ws.on('unexpected-response', (_req, res) => { clearTimeout(timer); resolve(`HTTP ${String(res.statusCode)}`); ws.terminate(); });
    ws.on('error', () => { clearTimeout(timer); resolve('error'); });
  });
}

describe('serve --auth', { timeout: 180_000 }, () => {
  before(async () => {
    for (const scope of SCOPES) byScope.set(scope, (await keys.create(`k-${scope}`, [scope])).key);
    s = await up({ auth: true, keys, v1Scopes: 'read', logLevel: 'debug' }, logLines);
  });
  after(async () => { await s.down(); dirs.cleanup(); });

  it('HTTP: every op × {no key, wrong key, each scope}: 401, 401, then 403 for the wrong scope and never for the right one', async () => {
    const app = s.server.api.app;
    for (const def of OPS) {
      const method = def.effect === 'read' ? 'GET' : 'POST';
      const url = pathOf(def.name);
      const none = await app.inject({ method, url });
      assert.equal(none.statusCode, 401, `${def.name} without a key`);
      assert.equal(code(none), 'unauthorized');
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      const wrong = await app.inject({ method, url, headers: { authorization: `Bearer ${WRONG}` } });
      assert.equal(wrong.statusCode, 401, `${def.name} with a wrong key`);
      for (const scope of SCOPES) {
        const r = await app.inject({ method, url, headers: { authorization: `Bearer ${byScope.get(scope) ?? ''}` } });
        if (scope === def.scope) assert.ok(![401, 403].includes(r.statusCode), `${def.name} with a ${scope} key: ${r.body}`);
        else {
          assert.equal(r.statusCode, 403, `${def.name} (needs ${def.scope}) with a ${scope} key`);
          assert.equal(code(r), 'forbidden');
          assert.match(JSON.parse(r.body).message as string, new RegExp(def.scope));
        }
      }
    }
    // The stream and the export need read; the contract needs nothing.
    assert.equal((await app.inject({ method: 'GET', url: '/api/events' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/api/events', headers: { authorization: `Bearer ${byScope.get('control') ?? ''}` } })).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/api/runs/x/export.jsonl' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/api/openapi.json' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/api/status', headers: { authorization: 'Basic abc' } })).statusCode, 401);
  });

  it('v2: before auth only hello and ping answer; a wrong key is unauthorized; then each op by scope', async () => {
    const url = `${s.server.url}v2`;
    const anon = await V2Conn.connect(url);
    assert.equal((await anon.request('hello')).ok, true);
    for (const def of OPS) {
      const r = await anon.request(def.name);
      assert.equal(r.ok ? 'ok' : r.error.code, 'unauthorized', def.name);
    }
    const sub = await anon.request('subscribe');
    assert.equal(sub.ok ? 'ok' : sub.error.code, 'unauthorized');
    const bad = await anon.request('auth', { key: WRONG });
    assert.equal(bad.ok ? 'ok' : bad.error.code, 'unauthorized');
    await anon.close();
    for (const scope of SCOPES) {
      const c = await V2Conn.connect(url);
      const a = await c.request('auth', { key: byScope.get(scope) });
      assert.ok(a.ok, JSON.stringify(a));
      for (const def of OPS) {
        const r = await c.request(def.name);
        const got = r.ok ? 'ok' : r.error.code;
        if (scope === def.scope) assert.ok(got !== 'forbidden' && got !== 'unauthorized', `${def.name} with ${scope}: ${got}`);
        else assert.equal(got, 'forbidden', `${def.name} (needs ${def.scope}) with ${scope}`);
      }
      const subscribed = await c.request('subscribe');
      assert.equal(subscribed.ok ? 'ok' : subscribed.error.code, scope === 'read' ? 'ok' : 'forbidden');
      await c.close();
    }
  });

  it('v1 gets --v1-scopes (read): state answers, start and the verbs are refused naming the scope', async () => {
    assert.match(await v1(s.server.url, { type: 'state' }), /"state"/);
    const start = await v1(s.server.url, { type: 'start', plan: 'count', params: { detectors: ['det'], num: 1 } });
    assert.match(start, /"success": false/);
    assert.match(start, /control scope/);
    assert.match(await v1(s.server.url, { type: 'pause' }), /control scope/);
  });

  it('the panel: a key exchanged for an HttpOnly SameSite=Strict cookie that authenticates HTTP and the websocket; logout ends it', async () => {
    const bad = await fetch(`${s.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: WRONG }) });
    assert.equal(bad.status, 401);
    const login = await fetch(`${s.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: byScope.get('read') }) });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const pair = cookie.split(';')[0] ?? '';
    const st = await fetch(`${s.base}/api/status`, { headers: { cookie: pair } });
    assert.equal(st.status, 200);
    const who = (await (await fetch(`${s.base}/api/session`, { headers: { cookie: pair } })).json()) as { name: string; scopes: string[] };
    assert.deepEqual(who, { name: 'k-read', scopes: ['read'], auth: true });
    // The websocket of the same browser: the cookie makes `auth` unnecessary.
    const ws = new WebSocket(`${s.server.url}v2`, { headers: { cookie: pair } });
    await new Promise((r) => ws.once('open', r));
    const reply = await new Promise<string>((r) => { ws.once('message', (d) => r(String(d))); ws.send(JSON.stringify({ id: 1, op: 'status' })); });
    assert.equal((JSON.parse(reply) as { ok: boolean }).ok, true);
    ws.close();
    const out = await fetch(`${s.base}/api/logout`, { method: 'POST', headers: { cookie: pair } });
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await fetch(`${s.base}/api/status`, { headers: { cookie: pair } })).status, 401);
  });

  it('keys never appear in the logs', () => {
    const text = logLines.join('');
    assert.ok(text.length > 0);
    for (const key of [...byScope.values(), WRONG]) assert.ok(!text.includes(key), 'a key was logged');
  });
});

describe('serve --auth options', { timeout: 120_000 }, () => {
  it('a non-loopback address without --auth is refused (unless --insecure); --auth without a data directory too', async () => {
    await assert.rejects(serve({ host: '0.0.0.0', port: 0, data: false }), (e: unknown) => e instanceof UsageError && /--auth/.test(e.message));
    await assert.rejects(serve({ port: 0, data: false, auth: true }), (e: unknown) => e instanceof UsageError && /data directory/.test(e.message));
    await assert.rejects(serve({ port: 0, data: false, auth: true, keys: new MemoryKeyStore(), v1Scopes: 'read,root' }), (e: unknown) => e instanceof UsageError && /root/.test(e.message));
  });

  it('v1 from an address not in --v1-trusted is refused at the upgrade', async () => {
    const s2 = await up({ auth: true, keys: new MemoryKeyStore(), v1Trusted: '10.9.9.9' });
    try {
      assert.equal(await v1(s2.server.url, { type: 'state' }), 'HTTP 403');
    } finally { await s2.down(); }
  });
});
