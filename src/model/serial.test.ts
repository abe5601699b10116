/** Serial: steps run one at a time, in the order asked, whatever each one's outcome. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Serial } from './serial.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Serial', () => {
  it('runs steps one at a time, in the order asked, even when a later one is quicker', async () => {
    const serial = new Serial();
    const log: string[] = [];
    const step = (name: string, ms: number) => async (): Promise<string> => {
      log.push(`${name} start`);
      await tick(ms);
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([serial.run(step('a', 30)), serial.run(step('b', 0)), serial.run(() => { log.push('c'); return 'c'; })]);
    assert.deepEqual(results, ['a', 'b', 'c']);
    assert.deepEqual(log, ['a start', 'a end', 'b start', 'b end', 'c']);
  });

  it('a rejected or throwing step does not break the chain, and its caller sees its own rejection', async () => {
    const serial = new Serial();
    const log: string[] = [];
    const failed = serial.run(async () => { await tick(5); log.push('fails'); throw new Error('first'); });
    const thrown = serial.run(() => { log.push('throws'); throw new Error('second'); });
    const after = serial.run(() => { log.push('after'); return 42; });
    await assert.rejects(failed, /first/);
    await assert.rejects(thrown, /second/);
    assert.equal(await after, 42);
    assert.deepEqual(log, ['fails', 'throws', 'after']);
  });

  it('settled() waits for every step asked so far and never rejects', async () => {
    const serial = new Serial();
    await serial.settled();
    let done = false;
    serial.run(async () => { await tick(10); throw new Error('ignored by settled'); }).catch(() => undefined);
    serial.run(async () => { await tick(5); done = true; }).catch(() => undefined);
    await serial.settled();
    assert.equal(done, true);
  });
});
