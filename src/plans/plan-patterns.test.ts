/**
 * Trajectory tests: numpy-exact linspace, snaking (bluesky test_snaking.py),
 * outer-product argument layouts (test_plan_patterns.py).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlanArgumentError } from '../model/errors.js';
import { FakeMotor } from './fixtures.test.js';
import {
  chunkOuterProductArgs, classifyOuterProductArgsPattern, cycler, cyclerAdd, innerListProduct, innerProduct, linspace,
  logspace, outerProduct, snakeCyclers,
} from './plan-patterns.js';

const asObjects = (points: ReadonlyArray<ReadonlyMap<unknown, unknown>>): Array<Record<string, unknown>> =>
  points.map((p) => Object.fromEntries([...p].map(([k, v]) => [String(k), v])));

describe('linspace (numpy semantics)', () => {
  it('computes start + i*step and ends exactly on stop', () => {
    assert.deepEqual(linspace(-2, 2, 4), [-2, -0.6666666666666667, 0.6666666666666665, 2]);
    assert.deepEqual(linspace(-1, 1, 5), [-1, -0.5, 0, 0.5, 1]);
    assert.deepEqual(linspace(0, 1, 3), [0, 0.5, 1]);
  });
  it('handles one point, zero points and a zero step', () => {
    assert.deepEqual(linspace(3, 7, 1), [3]);
    assert.deepEqual(linspace(3, 7, 0), []);
    assert.deepEqual(linspace(2, 2, 3), [2, 2, 2]);
  });
  it('rejects a non-integer number of points', () => {
    assert.throws(() => linspace(0, 1, 2.5), (e: unknown) => e instanceof PlanArgumentError && e.code === 'PLAN_ARGUMENT_INVALID');
  });
  it('logspace is 10**linspace', () => {
    assert.deepEqual(logspace(0, 2, 3), [1, 10, 100]);
  });
});

describe('snakeCyclers (test_snaking.py)', () => {
  const x = cycler('x', [1, 2, 3]);
  const y = cycler('y', [1, 2]);
  const z = cycler('z', [1, 2, 3]);
  it('is the plain product without snaking', () => {
    const pts = asObjects(snakeCyclers([z, y, x], [false, false, false]).points);
    assert.equal(pts.length, 18);
    assert.deepEqual(pts.slice(0, 4), [{ z: 1, y: 1, x: 1 }, { z: 1, y: 1, x: 2 }, { z: 1, y: 1, x: 3 }, { z: 1, y: 2, x: 1 }]);
  });
  it('reverses snaked axes on every pass', () => {
    const pts = asObjects(snakeCyclers([z, y, x], [false, true, true]).points).map((p) => [p['z'], p['y'], p['x']]);
    assert.deepEqual(pts.slice(0, 12), [
      [1, 1, 1], [1, 1, 2], [1, 1, 3], [1, 2, 3], [1, 2, 2], [1, 2, 1],
      [2, 2, 1], [2, 2, 2], [2, 2, 3], [2, 1, 3], [2, 1, 2], [2, 1, 1],
    ]);
  });
  it('snakes only the selected axes', () => {
    const pts = asObjects(snakeCyclers([z, y, x], [false, true, false]).points).map((p) => [p['z'], p['y'], p['x']]);
    assert.deepEqual(pts.slice(3, 12), [[1, 2, 1], [1, 2, 2], [1, 2, 3], [2, 2, 1], [2, 2, 2], [2, 2, 3], [2, 1, 1], [2, 1, 2], [2, 1, 3]]);
  });
  it('rejects adding cycles of different lengths', () => {
    assert.throws(() => cyclerAdd(x, y), PlanArgumentError);
  });
});

describe('inner and outer products', () => {
  const m1 = new FakeMotor('m1');
  const m2 = new FakeMotor('m2');
  it('innerProduct moves all motors together', () => {
    const c = innerProduct(3, [m1, 0, 1, m2, 10, 20]);
    assert.deepEqual(c.keys, [m1, m2]);
    assert.deepEqual(c.points.map((p) => [p.get(m1), p.get(m2)]), [[0, 10], [0.5, 15], [1, 20]]);
  });
  it('innerListProduct zips position lists', () => {
    const c = innerListProduct([m1, [1, 2], m2, [3, 4]]);
    assert.deepEqual(c.points.map((p) => [p.get(m1), p.get(m2)]), [[1, 3], [2, 4]]);
  });
  it('classifies both grid layouts and rejects misplaced motors', () => {
    assert.equal(classifyOuterProductArgsPattern([m1, 1, 2, 3]), 1);
    assert.equal(classifyOuterProductArgsPattern([m1, 1, 2, 3, m2, 4, 5, 6]), 1);
    assert.equal(classifyOuterProductArgsPattern([m1, 1, 2, 3, m2, 4, 5, 6, true]), 2);
    assert.throws(() => classifyOuterProductArgsPattern([m1, 1, 2, m2]), PlanArgumentError);
    assert.throws(() => classifyOuterProductArgsPattern([m1, 1, 2]), PlanArgumentError);
  });
  it('chunks args with snake flags', () => {
    assert.deepEqual(chunkOuterProductArgs([m1, 1, 2, 3, m2, 4, 5, 6]).map((c) => c.snake), [false, false]);
    assert.deepEqual(chunkOuterProductArgs([m1, 1, 2, 3, m2, 4, 5, 6, true]).map((c) => [c.motor, c.num, c.snake]), [[m1, 3, false], [m2, 6, true]]);
  });
  it('outerProduct snakes the second axis on request', () => {
    const c = outerProduct([m1, 0, 1, 2, m2, 0, 1, 2, true]);
    assert.deepEqual(c.points.map((p) => [p.get(m1), p.get(m2)]), [[0, 0], [0, 1], [1, 1], [1, 0]]);
  });
});
