/** Nice axis ticks and their labels. @module */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { niceTicks, tickLabel } from '../../src/web/ticks.js';

it('ticks fall on 1, 2 or 5 times a power of ten, inside the range, either way round', () => {
  assert.deepEqual(niceTicks(-2, 2, 4), [-2, -1, 0, 1, 2]);
  assert.deepEqual(niceTicks(2, -2, 4), [-2, -1, 0, 1, 2]);
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.013, 0.049, 4), [0.02, 0.03, 0.04]);
  assert.deepEqual(niceTicks(3, 3), [3]);
  assert.deepEqual(niceTicks(NaN, 1), []);
});

it('labels share one precision per axis', () => {
  const t = niceTicks(0, 1, 5);
  assert.deepEqual(t.map((v) => tickLabel(v, t)), ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  assert.deepEqual([-2, 0, 2].map((v) => tickLabel(v, [-2, 0, 2])), ['-2', '0', '2']);
  assert.equal(tickLabel(123456, [0, 100000]), '1.2e+5');
});
