/**
 * Issue 10, browser-origin protection: a page on another origin cannot open a
 * websocket (v1 `/`, v2 `/v2`) or call a route, a DNS-rebinding request (a
 * foreign name in `Host`) is 421, and clients without `Origin` (scripts, the
 * Python dispatcher's clients) are unaffected. The rules as a pure function,
 * then through a real server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { checkFrontDoor, exposureWarning, type FrontDoorPolicy } from '../../src/server/index.js';
import { type Hardened, rawGet, startServe } from './helpers.js';

const loop: FrontDoorPolicy = { boundAddress: '127.0.0.1', boundPort: 8765, allowHosts: [], allowOrigins: [] };
const check = (host: string | undefined, origin: string | undefined, policy = loop): number | null => checkFrontDoor({ method: 'GET', host, origin }, policy)?.status ?? null;

describe('checkFrontDoor (pure)', () => {
  test('Host must name the server', () => {
    assert.equal(check('127.0.0.1:8765', undefined), null);
    assert.equal(check('localhost:8765', undefined), null);
    assert.equal(check('LOCALHOST', undefined), null);
    assert.equal(check('[::1]:8765', undefined), null);
    assert.equal(check(undefined, undefined), null, 'no Host (HTTP/1.0 script): allowed');
    assert.equal(check('evil.example:8765', undefined), 421, 'DNS rebinding');
    assert.equal(check('127.0.0.1.evil.example', undefined), 421);
    assert.equal(check('[::1', undefined), 421, 'malformed');
    assert.equal(check('beamline.example:8765', undefined, { ...loop, allowHosts: ['beamline.example'] }), null);
    const lan: FrontDoorPolicy = { ...loop, boundAddress: '10.0.0.5' };
    assert.equal(check('10.0.0.5:8765', undefined, lan), null);
    assert.equal(check('localhost:8765', undefined, lan), 421, 'not bound to loopback: localhost does not reach it');
  });

  test('Origin must be the server\'s own or listed', () => {
    assert.equal(check('127.0.0.1:8765', 'http://127.0.0.1:8765'), null);
    assert.equal(check('localhost:8765', 'http://localhost:8765'), null);
    assert.equal(check('127.0.0.1:8765', 'http://localhost:8765'), 403, 'another name is another origin');
    assert.equal(check('127.0.0.1:8765', 'http://127.0.0.1:9999'), 403, 'another port is another origin');
    assert.equal(check('127.0.0.1:8765', 'http://evil.example'), 403);
    assert.equal(check('127.0.0.1:8765', 'null'), 403);
    assert.equal(check('127.0.0.1:8765', 'file://'), 403);
    const listed = { ...loop, allowOrigins: ['http://panel.example:8080/'] };
    assert.equal(check('127.0.0.1:8765', 'http://PANEL.example:8080', listed), null);
    assert.equal(check('127.0.0.1:8765', 'https://panel.example:8080', listed), 403, 'scheme is part of the origin');
  });

  test('the exposure warning: none on loopback, naming what is exposed otherwise', () => {
    assert.equal(exposureWarning('127.0.0.1'), null);
    assert.equal(exposureWarning('::1'), null);
    const w = exposureWarning('0.0.0.0') ?? '';
    assert.match(w, /every network interface/);
    assert.match(w, /WITHOUT authentication/);
    assert.match(w, /start, pause, stop and abort plans/);
    assert.match(w, /\/api\/runs/);
    assert.match(exposureWarning('10.0.0.5') ?? '', /10\.0\.0\.5/);
  });
});

let s: Hardened;
let port: number;
before(async () => { s = await startServe({ allowOrigin: ['http://panel.example:8080'], allowHost: ['beamline.example'] }); port = s.server.port; });
after(async () => { await s.close(); });

/** Open a websocket with these headers; resolves 'open' or the refused HTTP status. */
function knock(path: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${String(port)}${path}`, { headers, ...('origin' in headers ? { origin: headers.origin } : {}) });
    ws.once('open', () => { ws.close(); resolve('open'); });
    ws.once('unexpected-response', (_req, res) => { res.resume(); resolve(res.statusCode ?? 0); });
    ws.once('error', reject);
  });
}

describe('through the server', () => {
  test('websockets from another origin are refused (403) on / and /v2; own, listed and no Origin are accepted', async () => {
    for (const path of ['/', '/v2']) {
      assert.equal(await knock(path, { origin: 'http://evil.example' }), 403, path);
      assert.equal(await knock(path, { origin: `http://127.0.0.1:${String(port)}` }), 'open', path);
      assert.equal(await knock(path, { origin: 'http://panel.example:8080' }), 'open', path);
      assert.equal(await knock(path, {}), 'open', path);
    }
    // The evil page's count never started.
    assert.equal(s.dispatcher.busy, false);
  });

  test('DNS rebinding: a foreign Host is 421 for HTTP and websockets; --allow-host names pass', async () => {
    const r = await rawGet(port, '/api/runs/x/export.jsonl', { host: `evil.example:${String(port)}` });
    assert.equal(r.status, 421);
    assert.equal((JSON.parse(r.body) as { code: string }).code, 'bad_host');
    assert.equal(await knock('/v2', { host: `evil.example:${String(port)}` }), 421);
    assert.equal((await rawGet(port, '/healthz', { host: `beamline.example:${String(port)}` })).status, 200);
    assert.equal((await rawGet(port, '/healthz', { host: `localhost:${String(port)}` })).status, 200);
  });

  test('HTTP with a foreign Origin is 403; the panel\'s own origin and no Origin are served; a listed origin gets CORS', async () => {
    const evil = await rawGet(port, '/healthz', { origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    assert.equal((JSON.parse(evil.body) as { code: string }).code, 'bad_origin');
    assert.equal((await rawGet(port, '/healthz', { origin: `http://127.0.0.1:${String(port)}` })).status, 200);
    assert.equal((await rawGet(port, '/healthz')).status, 200);
    const listed = await rawGet(port, '/healthz', { origin: 'http://panel.example:8080' });
    assert.equal(listed.status, 200);
    assert.equal(listed.headers['access-control-allow-origin'], 'http://panel.example:8080');
    assert.ok(s.lines.some((l) => l.msg === 'refused: bad_origin'), 'refusals are logged');
  });

  test('a listed origin\'s preflight is answered, so its page can POST JSON; others are refused; other methods are 405', async () => {
    // Before, OPTIONS fell through to the API's "unknown op" 404 without CORS headers: a browser sent no
    // JSON POST and no request with Authorization from a --allow-origin page at all.
    const ask = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' };
    const pre = await rawGet(port, '/api/start', { origin: 'http://panel.example:8080', ...ask }, 'OPTIONS');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'http://panel.example:8080');
    assert.match(String(pre.headers['access-control-allow-methods']), /POST/);
    assert.match(String(pre.headers['access-control-allow-headers']), /content-type/);
    assert.match(String(pre.headers['access-control-allow-headers']), /authorization/);
    assert.equal((await rawGet(port, '/api/start', { origin: 'http://evil.example', ...ask }, 'OPTIONS')).status, 403);
    assert.equal(s.dispatcher.busy, false, 'a preflight starts nothing');
    // Not a preflight: OPTIONS (or TRACE) on an op's path is 405 naming its methods, as PUT is.
    for (const method of ['OPTIONS', 'TRACE', 'PUT']) {
      const r = await rawGet(port, '/api/stop', {}, method);
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'POST', method);
      assert.equal((JSON.parse(r.body) as { code: string }).code, 'method_not_allowed', method);
    }
  });
});
