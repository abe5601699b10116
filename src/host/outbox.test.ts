import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Outbox } from './outbox.js';

describe('Outbox', () => {
  it('sends waiting items together after flushMs, in order, once', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sent: number[][] = [];
    const box = new Outbox<number>((items) => sent.push(items), { flushMs: 1 });
    for (let i = 0; i < 100; i++) box.post(i);
    assert.deepEqual(sent, [], 'nothing is sent before the millisecond is up');
    t.mock.timers.tick(1);
    assert.deepEqual(sent, [Array.from({ length: 100 }, (_, i) => i)]);
    t.mock.timers.tick(10);
    assert.equal(sent.length, 1, 'no empty batch follows');
  });

  it('an urgent item goes at once with everything before it, and the pending timer is let go', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sent: string[][] = [];
    const box = new Outbox<string>((items) => sent.push(items));
    box.post('event 1');
    box.post('event 2');
    box.post('stop', true);
    assert.deepEqual(sent, [['event 1', 'event 2', 'stop']]);
    box.post('event 3');
    t.mock.timers.tick(1);
    assert.deepEqual(sent, [['event 1', 'event 2', 'stop'], ['event 3']], 'a later item gets a timer of its own');
  });

  it('a full batch goes without waiting; the rest waits for its own millisecond', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const sent: number[][] = [];
    const box = new Outbox<number>((items) => sent.push(items), { maxBatch: 4 });
    for (let i = 0; i < 6; i++) box.post(i);
    assert.deepEqual(sent, [[0, 1, 2, 3]]);
    t.mock.timers.tick(1);
    assert.deepEqual(sent, [[0, 1, 2, 3], [4, 5]]);
  });

  it('flush with nothing waiting sends nothing', () => {
    const send = mock.fn();
    new Outbox(send).flush();
    assert.equal(send.mock.callCount(), 0);
  });
});
