/** The published JSON Schemas accept every frame a real session produces (requests, replies, events). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { V2Conn, startV2Server } from './helpers.js';

const load = (f: string): object => JSON.parse(readFileSync(new URL(`../../src/protocol/v2/schemas/${f}`, import.meta.url), 'utf8')) as object;
const ajv = new Ajv2020({ strict: false });
const event = ajv.compile(load('event.schema.json'));
const reply = ajv.compile(load('reply.schema.json'));
const request = ajv.compile(load('request.schema.json'));

test('replies and events of a session validate against the published schemas', async () => {
  const s = await startV2Server();
  const c = await V2Conn.connect(s.url);
  try {
    const reqs: Array<[string, Record<string, unknown>]> = [['hello', {}], ['status', {}], ['plans', {}], ['devices', {}], ['subscribe', { since: 0 }],
      ['validate', { plan: 'nope' }], ['start', { plan: 'scan', params: { detectors: ['det'], args: ['motor', -1, 1], num: 3 }, md: { a: 1 } }], ['stop', {}]];
    for (const [op, p] of reqs) {
      assert.ok(request({ id: 1, op, ...p }), JSON.stringify(request.errors));
      await c.request(op, p);
    }
    await s.dispatcher.whenIdle();
    await c.waitSeq(s.server.v2.hub.log.latest());
    for (const r of c.replies) assert.ok(reply(r), JSON.stringify([r, reply.errors]));
    for (const e of c.events) assert.ok(event(e), JSON.stringify([e, event.errors]));
    assert.ok(c.events.some((e) => e.topic === 'progress'));
  } finally {
    await c.close();
    await s.close();
  }
});
