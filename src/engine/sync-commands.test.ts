/**
 * Commands with nothing to wait for answer without a promise (docs/engine.md
 * "Yield points"): `checkpoint`, `wait` on finished statuses and `read` of a
 * synchronous device hand the plan its reply with no microtask turn in
 * between. Awaiting each one cost a promise and two microtask turns per
 * message, a sixth of a warm count's time. A microtask queued by the plan just
 * before a message shows whether the loop gave up the thread to answer it.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Msg, type Plan, msg } from '../model/msg.js';
import { completedStatus } from '../model/status.js';
import { RunEngine } from './index.js';

interface Device { name: string; read(): unknown; describe(): unknown; trigger(): unknown }

function device(asyncRead: boolean): Device {
  const reading = { det: { value: 1, timestamp: 0 } };
  return {
    name: 'det',
    read: () => (asyncRead ? Promise.resolve(reading) : reading),
    describe: () => ({ det: { source: 'test', dtype: 'number', shape: [] } }),
    trigger: () => completedStatus('det'),
  };
}

/**
 * Five steps of checkpoint, trigger, wait, create, read, save (32 messages: under the
 * loop's 64-message yield point). Returns, per command after the first step, whether a
 * microtask queued just before the message ran before the plan got the reply.
 */
async function turnsTaken(det: Device): Promise<Map<string, boolean[]>> {
  const seen = new Map<string, boolean[]>();
  function* step(i: number): Plan<void> {
    const messages: Msg[] = [
      msg('checkpoint'), msg('trigger', det, [], { group: `g${String(i)}` }), msg('wait', null, [], { group: `g${String(i)}` }),
      msg('create', null, [], { name: 'primary' }), msg('read', det), msg('save'),
    ];
    for (const m of messages) {
      let ran = false;
      queueMicrotask(() => { ran = true; });
      yield m;
      // The first step describes the device (an await of its own): judge the later ones.
      if (i > 0) seen.set(m.command, [...(seen.get(m.command) ?? []), ran]);
    }
  }
  function* plan(): Plan<void> {
    yield msg('open_run');
    for (let i = 0; i < 5; i++) yield* step(i);
    yield msg('close_run');
  }
  await new RunEngine().run(plan());
  return seen;
}

describe('commands with nothing to wait for answer without a promise', () => {
  it('checkpoint, wait on finished statuses and read of a synchronous device give up no turn', async () => {
    const seen = await turnsTaken(device(false));
    for (const command of ['checkpoint', 'trigger', 'wait', 'create', 'read', 'save']) {
      assert.deepEqual(seen.get(command), [false, false, false, false], command);
    }
  });

  it('a device whose read returns a promise is awaited (the probe sees the turn)', async () => {
    const seen = await turnsTaken(device(true));
    assert.deepEqual(seen.get('read'), [true, true, true, true]);
    assert.deepEqual(seen.get('checkpoint'), [false, false, false, false]);
  });
});
