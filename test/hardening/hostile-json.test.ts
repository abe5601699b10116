/**
 * Issue 10, hostile JSON: a frame nested 100,000 levels (which JSON.parse takes,
 * but the code after it overflowed the stack on) gets its error reply, on v1
 * the Python dispatcher's decode reply and on v2 `bad_request` by its id, and
 * the connection goes on: v1's request queue used to stay rejected, so no later
 * frame of a keep_open connection was ever answered. Too large on v2: `too_large`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_JSON_DEPTH, parseFrame, tooDeep } from '../../src/protocol/json-frame.js';
import { NOT_JSON } from '../../src/protocol/v1/replies.js';
import { Client } from '../protocol-v1/helpers.js';
import { V2Conn, type V2TestServer, startV2Server } from '../protocol-v2/helpers.js';

const deepArray = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

describe('tooDeep', () => {
  test('counts nesting outside strings only', () => {
    assert.equal(tooDeep(deepArray(MAX_JSON_DEPTH)), false);
    assert.equal(tooDeep(deepArray(MAX_JSON_DEPTH + 1)), true);
    assert.equal(tooDeep(deepObject(MAX_JSON_DEPTH + 1)), true);
    assert.equal(tooDeep(JSON.stringify({ s: '['.repeat(1000) })), false);
    assert.equal(tooDeep(JSON.stringify({ s: `\\"${'{'.repeat(1000)}` })), false, 'an escaped quote does not end the string');
    assert.equal(tooDeep(`[${JSON.stringify('a\\')},${deepArray(MAX_JSON_DEPTH)}]`), true);
  });

  test('parseFrame still parses a too-deep frame (for its id / keep_open), and refuses non-JSON', () => {
    const p = parseFrame(`{"id":7,"x":${deepArray(100_000)}}`);
    assert.ok(!p.ok && p.reason === 'too_deep');
    assert.equal((p.value as { id: number }).id, 7);
    assert.deepEqual(parseFrame('{nope'), { ok: false, reason: 'not_json' });
    assert.deepEqual(parseFrame('{"a":[1,{"b":2}]}'), { ok: true, value: { a: [1, { b: 2 }] } });
  });
});

let s: V2TestServer;
before(async () => { s = await startV2Server(); });
after(async () => { await s.close(); });

describe('v1', () => {
  test('a 100,000-deep frame with keep_open: the decode reply, then the next frames are answered', { timeout: 30_000 }, async () => {
    const c = await Client.connect(s.server.url);
    try {
      c.send(`{"type":"start","plan":"count","keep_open":1,"params":{"md":${deepObject(100_000)}}}`);
      await c.count(1);
      assert.equal(c.messages[0], NOT_JSON);
      c.send({ type: 'state', keep_open: true });
      c.send(`{"type":"state","keep_open":1,"x":${deepArray(100_000)}}`);
      c.send({ type: 'state', keep_open: true });
      await c.count(4);
      assert.deepEqual(c.parsed.map((m) => m.state ?? m.status), ['Your message could not be properly decoded, is it valid json?', 'idle', 'Your message could not be properly decoded, is it valid json?', 'idle']);
      assert.equal(s.dispatcher.busy, false);
    } finally {
      await c.close();
    }
  });

  test('without keep_open: the decode reply, then the close (as for any frame that is not JSON)', { timeout: 30_000 }, async () => {
    const c = await Client.connect(s.server.url);
    c.send(deepArray(100_000));
    const { code } = await c.closed;
    assert.deepEqual(c.messages, [NOT_JSON]);
    assert.equal(code, 1000);
  });
});

describe('v2', () => {
  // Under the 256 KiB request limit, so the depth is what is judged.
  test('a 30,000-deep frame is bad_request by its id; too large is too_large; the connection goes on', { timeout: 30_000 }, async () => {
    const c = await V2Conn.connect(s.url);
    try {
      const deep = await c.raw(`{"id":"deep","op":"validate","plan":"count","params":{"md":${deepObject(30_000)}}}`, 'deep');
      assert.ok(!deep.ok && deep.error.code === 'bad_request', JSON.stringify(deep));
      assert.match(deep.error.message, /deeper than 64/);
      const deepId = c.raw(`{"id":${deepArray(50_000)},"op":"ping"}`, null);
      assert.ok(!(await deepId).ok);
      const big = await c.raw({ id: 'big', op: 'ping', pad: 'x'.repeat(300 * 1024) }, null);
      assert.ok(!big.ok && big.error.code === 'too_large');
      assert.equal((await c.ok<{ pong: boolean }>('ping')).pong, true);
      const v = await c.request('validate', { plan: 'count', params: { detectors: ['det'], num: 2 }, md: { nested: { a: [[1, 2], { b: [3] }] } } });
      assert.ok(v.ok, JSON.stringify(v));
    } finally {
      await c.close();
    }
  });
});
