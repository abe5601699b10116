import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { warmUp } from './warm-up.js';

describe('warmUp', () => {
  it('primes one step a turn: a request between two steps stops it before the next', async () => {
    const ran: number[] = [];
    let w: ReturnType<typeof warmUp> | null = null;
    const steps = [0, 1, 2, 3, 4].map((i) => () => {
      ran.push(i);
      // A start arriving while step 0 runs is handled at the next turn, before step 1.
      if (i === 0) setImmediate(() => w?.stop());
    });
    w = warmUp(steps);
    for (let i = 0; i < 10; i++) await turn();
    assert.deepEqual(ran, [0]);
  });

  it('without a request, runs every step in order', async () => {
    const ran: number[] = [];
    const w = warmUp([0, 1, 2].map((i) => () => { ran.push(i); }));
    try {
      for (let i = 0; i < 10 && ran.length < 3; i++) await turn();
      assert.deepEqual(ran, [0, 1, 2]);
    } finally { w.stop(); }
  });
});
