/**
 * Exceptions on protocol v2 say in words what happened (issue 15): a pause is
 * an interruption, not a failure ("paused at a checkpoint — resume, stop,
 * abort or halt"), stop/abort/halt say so, a failure keeps its type and first
 * line; `message` stays verbatim (bluesky's console text, which v1 sends).
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ExceptionData, StateData } from '../../src/protocol/v2/types.js';
import { Gate, V2Conn, type V2TestServer, startV2Server } from './helpers.js';

const schema = JSON.parse(readFileSync(new URL('../../src/protocol/v2/schemas/event.schema.json', import.meta.url), 'utf8')) as object;
const validEvent = new Ajv2020({ strict: false }).compile(schema);

let s: V2TestServer;
before(async () => { s = await startV2Server(); });
after(async () => { await s.close(); });

/** Start `gated`, wait for its first event, apply `verbs` in order (each after the state it leads to), return the exceptions. */
async function exceptionsOf(verbs: Array<[string, Record<string, unknown>, string]>): Promise<ExceptionData[]> {
  const c = await V2Conn.connect(s.url);
  try {
    await c.ok('subscribe', {});
    s.gate = new Gate();
    await c.ok('start', { plan: 'gated' });
    await c.waitEvent((e) => e.topic === 'document' && (e.data as { name: string }).name === 'event');
    for (const [op, params, state] of verbs) {
      const from = c.events.length;
      await c.ok(op, params);
      await c.waitEvent((e) => e.topic === 'state' && (e.data as StateData).new === state, from);
    }
    s.gate.open();
    await s.dispatcher.whenIdle();
    await c.waitSeq(s.server.v2.hub.log.latest());
    for (const e of c.events) assert.ok(validEvent(e), JSON.stringify([e, validEvent.errors]));
    return c.events.filter((e) => e.topic === 'exception').map((e) => e.data as ExceptionData);
  } finally {
    await c.close();
  }
}

describe('v2 exception events: interruption and summary', { timeout: 60_000 }, () => {
  test('a pause: interruption "pause", the summary in words, the message verbatim; resumed to the end: no other exception', async () => {
    const ex = await exceptionsOf([['pause', {}, 'paused'], ['resume', {}, 'running']]);
    assert.equal(ex.length, 1, JSON.stringify(ex));
    assert.equal(ex[0]?.type, 'RunEngineInterrupted');
    assert.equal(ex[0]?.interruption, 'pause');
    assert.equal(ex[0]?.summary, 'paused at a checkpoint — resume, stop, abort or halt');
    assert.match(ex[0]?.message ?? '', /RE\.resume\(\)/, 'message keeps bluesky\'s text');
  });

  test('a stop while running: "stopped by request"', async () => {
    const ex = await exceptionsOf([['stop', {}, 'idle']]);
    assert.deepEqual(ex.map((e) => [e.interruption, e.summary]), [['stop', 'stopped by request']]);
  });

  test('an abort with a reason: "aborted by request: REASON"; a halt: "halted by request (no cleanup)"', async () => {
    const aborted = await exceptionsOf([['abort', { reason: 'beam lost' }, 'idle']]);
    assert.deepEqual(aborted.map((e) => [e.interruption, e.summary]), [['abort', 'aborted by request: beam lost']]);
    const halted = await exceptionsOf([['halt', {}, 'idle']]);
    assert.deepEqual(halted.map((e) => [e.interruption, e.summary]), [['halt', 'halted by request (no cleanup)']]);
  });

  test('pause then abort: the pause, then nothing that reads as a failure', async () => {
    const ex = await exceptionsOf([['pause', {}, 'paused'], ['abort', { reason: 'why' }, 'idle']]);
    assert.ok(ex.every((e) => e.interruption !== null), JSON.stringify(ex));
    assert.equal(ex[0]?.interruption, 'pause');
  });

  test('a failure: interruption null, "failed: TYPE: first line"', async () => {
    const c = await V2Conn.connect(s.url);
    try {
      await c.ok('subscribe', { topics: ['exception'] });
      await c.ok('start', { plan: 'failing' });
      const at = await c.waitEvent((e) => e.topic === 'exception');
      const d = c.events[at]?.data as ExceptionData;
      assert.equal(d.interruption, null);
      assert.equal(d.summary, 'failed: ValueError: planned failure after 2 events');
      await s.dispatcher.whenIdle();
    } finally {
      await c.close();
    }
  });
});
