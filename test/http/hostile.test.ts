/**
 * HTTP requests that used to go unanswered or answer 500, each against a real server on loopback:
 * a request Node's parser refuses (it was closed without a word), the run export with a trailing
 * slash and HEAD of the event stream (both held the connection forever), and a body nested past
 * the limit v2 already applies (a stack overflow on the way to the engine's thread: 500).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, it } from 'node:test';
import { dirs, up, type Up } from './helpers.js';

let s: Up;
let port: number;
before(async () => { s = await up(); port = Number(new URL(s.base).port); });
after(async () => { await s.down(); dirs.cleanup(); });

/** Send `bytes` on a fresh socket; resolve with everything the server wrote before it closed (10 s at most). */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no close within 10 s; got ${JSON.stringify(got.slice(0, 200))}`)); }, 10_000);
    socket.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => { clearTimeout(timer); resolve(got); });
    socket.write(bytes);
  });
}

const bodyOf = (response: string): { code: string; message: string } => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { code: string; message: string };

it('a request the HTTP parser refuses gets a coded answer, not a silent close', { timeout: 30_000 }, async () => {
  const unknownMethod = await raw('FOO /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.match(unknownMethod, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(bodyOf(unknownMethod).code, 'bad_request');
  assert.match(bodyOf(unknownMethod).message, /malformed HTTP request \(HPE_/);
  const twoLengths = await raw('POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}');
  assert.match(twoLengths, /^HTTP\/1\.1 400 /);
  const bigHeader = await raw(`GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(bigHeader, /^HTTP\/1\.1 431 /);
  assert.equal(bodyOf(bigHeader).code, 'too_large');
  // The server goes on answering.
  assert.equal((await fetch(`${s.base}/api/status`)).status, 200);
});

it('the export with a trailing slash and HEAD of the event stream are answered', { timeout: 30_000 }, async () => {
  const signal = AbortSignal.timeout(10_000);
  const exported = await fetch(`${s.base}/api/runs/no-such-run/export.jsonl/`, { signal });
  assert.equal(exported.status, 404);
  assert.equal((await exported.json() as { code: string }).code, 'unknown_run');
  const head = await fetch(`${s.base}/api/events`, { method: 'HEAD', signal });
  assert.equal(head.status, 404);
});

it('a body nested deeper than 64 levels is bad_request, as a v2 frame is', { timeout: 30_000 }, async () => {
  const deep = `${'['.repeat(6000)}${']'.repeat(6000)}`;
  const res = await fetch(`${s.base}/api/validate`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: `{"plan":"count","params":{"detectors":["det"]},"md":{"a":${deep}}}`,
  });
  assert.equal(res.status, 400);
  const body = await res.json() as { code: string; message: string };
  assert.equal(body.code, 'bad_request');
  assert.match(body.message, /nests arrays\/objects deeper than 64 levels/);
  // A prototype-poisoning key is refused as such, not as "not valid JSON".
  const poisoned = await fetch(`${s.base}/api/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"plan":"count","md":{"__proto__":"x"}}' });
  assert.equal(poisoned.status, 400);
  assert.match((await poisoned.json() as { message: string }).message, /"__proto__" key/);
  // Within the limit, the same request is checked as usual.
  const fine = await fetch(`${s.base}/api/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"plan":"count","params":{"detectors":["det"]},"md":{"a":[[1]]}}' });
  assert.equal(fine.status, 200);
});

it('a Last-Event-ID or since too long to be a seq is bad_request, not a live stream', { timeout: 30_000 }, async () => {
  // 400 digits read as Infinity, and the stream started live as if no seq had been given.
  const digits = '9'.repeat(400);
  const byHeader = await fetch(`${s.base}/api/events`, { headers: { 'last-event-id': digits }, signal: AbortSignal.timeout(10_000) });
  assert.equal(byHeader.status, 400);
  assert.equal((await byHeader.json() as { code: string }).code, 'bad_request');
  const byQuery = await fetch(`${s.base}/api/events?since=${digits}`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(byQuery.status, 400);
  await byQuery.body?.cancel();
});

it('a body that is not JSON, and an unknown key of a route\'s own schema, are named as such', { timeout: 30_000 }, async () => {
  const plain = await fetch(`${s.base}/api/validate`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
  assert.equal(plain.status, 400);
  assert.match((await plain.json() as { message: string }).message, /send the body as application\/json/);
  // /api/login's schema is fastify's, not the op table's: TypeBox said "schema is false".
  const login = await fetch(`${s.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"key":"k","x":1}' });
  assert.equal(login.status, 400);
  const body = await login.json() as { message: string; details: Array<{ path: string; message: string }> };
  assert.equal(body.message, '"x" is not a known parameter');
  assert.deepEqual(body.details[0], { path: '/x', message: 'is not a known parameter' });
});

