/**
 * Issue 10 regression over the wire: `start`/`validate` of `scan` with num 1e9
 * (and a num that parses as Infinity, and an overflowing grid) answer
 * invalid_params naming the limit at once, start nothing, and the server goes
 * on; no reply contains a bare NaN/Infinity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { V2Conn, type V2TestServer, startV2Server } from '../protocol-v2/helpers.js';
import { exchange } from '../protocol-v1/helpers.js';

let s: V2TestServer;
const conns: V2Conn[] = [];
before(async () => { s = await startV2Server(); });
after(async () => { await Promise.all(conns.map((c) => c.close())); await s.close(); });

describe('limits over the wire', () => {
  test('v2 validate/start: num 1e9, 1e999 and a 1e18-point grid are invalid_params naming the limit; nothing starts', async () => {
    const c = await V2Conn.connect(s.url);
    conns.push(c);
    const t0 = performance.now();
    const big = await c.request('start', { plan: 'scan', params: { detectors: ['det'], args: ['motor', -1, 1], num: 1e9 } });
    const ms = performance.now() - t0;
    assert.equal(big.ok, false);
    assert.ok(!big.ok && big.error.code === 'invalid_params');
    assert.ok(!big.ok && big.error.details?.[0]?.path === '/params/num');
    assert.ok(!big.ok && /--max-points/.test(big.error.message), !big.ok ? big.error.message : '');
    assert.ok(ms < 5000, `answered in ${ms.toFixed(0)} ms`);
    // A raw frame: JSON.parse turns 1e999 into Infinity.
    const inf = await c.raw('{"id":"inf","op":"validate","plan":"scan","params":{"detectors":["det"],"args":["motor",-1,1],"num":1e999}}', 'inf');
    assert.ok(!inf.ok && inf.error.code === 'invalid_params' && inf.error.details?.[0]?.path === '/params/num');
    const grid = await c.request('validate', { plan: 'grid_scan', params: { detectors: ['det'], args: ['motor1', 0, 1, 1e6, 'motor2', 0, 1, 1e6, 'motor', 0, 1, 1e6] } });
    assert.ok(!grid.ok && grid.error.code === 'invalid_params' && /more than at most 10000000 points/.test(grid.error.message));
    const md = await c.request('start', { plan: 'count', params: { detectors: ['det'] }, md: { scan_id: 'x' } });
    assert.ok(!md.ok && md.error.code === 'invalid_params' && /scan_id/.test(md.error.message));
    assert.equal(s.dispatcher.busy, false);
    assert.equal((await c.ok<{ state: string }>('status')).state, 'idle');
  });

  test('v1 start: num 1e9 refused with the limit named; the reply is strict JSON', async () => {
    const r = await exchange(s.server.url, { type: 'start', plan: 'scan', params: { detectors: ['det'], args: ['motor', -1, 1], num: 1e9 } });
    const reply = r.responses[0] ?? '';
    const parsed = JSON.parse(reply) as { success: boolean; status: string; errors: Array<{ path: string }> };
    assert.equal(parsed.success, false);
    assert.match(parsed.status, /--max-points/);
    assert.equal(parsed.errors[0]?.path, '/num');
    assert.doesNotMatch(reply, /\bNaN\b|\bInfinity\b/);
    assert.equal(s.dispatcher.busy, false);
  });
});
