/** Tests of the soft signals: get/put/subscribe, SynSignal triggers, rand, reprs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSubscribable, isReadable, isMovable, type Reading } from '../model/protocols.js';
import { StatusBase } from '../model/status.js';
import { Signal, SynPeriodicSignal, SynSignal } from './index.js';
import { pyFloatRepr, pyRepr } from '../model/python-repr.js';

test('Signal: get/put/set, read and describe', () => {
  const sig = new Signal({ name: 'beam', value: 500 });
  assert.equal(sig.get(), 500);
  sig.put(1.5);
  assert.equal(sig.value, 1.5);
  assert.deepEqual(Object.keys(sig.read()), ['beam']);
  assert.equal(sig.read()['beam']?.value, 1.5);
  assert.deepEqual(sig.describe(), { beam: { source: 'SIM:beam', dtype: 'number', shape: [] } });
  assert.deepEqual(sig.readConfiguration(), sig.read());
  assert.equal(sig.set(2).done, true);
  assert.equal(sig.get(), 2);
  assert.deepEqual(sig.hints, { fields: [] });
  assert.deepEqual(new Signal({ name: 'h', kind: 'hinted' }).hints, { fields: ['h'] });
  assert.ok(isReadable(sig) && isSubscribable(sig) && isMovable(sig));
});

test('Signal.subscribe calls back at once with the readings, then on every put', () => {
  const sig = new Signal({ name: 'ring_current', value: 400 });
  const seen: Array<Record<string, Reading>> = [];
  const cb = (r: Record<string, Reading>): void => { seen.push(r); };
  sig.subscribe(cb);
  sig.put(0);
  sig.put(0);
  sig.clearSub(cb);
  sig.put(5);
  assert.deepEqual(seen.map((r) => r['ring_current']?.value), [400, 0, 0]);
  assert.equal(typeof seen[0]?.['ring_current']?.timestamp, 'number');
});

test('a failing callback does not break put() nor the other callbacks', (t) => {
  t.mock.method(console, 'error', () => undefined);
  const sig = new Signal({ name: 's' });
  const seen: unknown[] = [];
  sig.subscribe(() => { throw new Error('boom'); });
  sig.subscribe((r) => { seen.push(r['s']?.value); });
  sig.put(1);
  assert.deepEqual(seen, [0, 1]);
});

test('bool_sig describes as an integer, as a Python bool does', () => {
  const sig = new Signal({ name: 'bool_sig', value: false });
  assert.deepEqual(sig.describe(), { bool_sig: { source: 'SIM:bool_sig', dtype: 'integer', shape: [] } });
  assert.match(sig.repr(), /^Signal\(name='bool_sig', value=False, timestamp=\d+\.\d+\)$/);
});

test('SynSignal evaluates its function on trigger, after exposureTime', async () => {
  let n = 0;
  const sig = new SynSignal({ name: 'counter', func: () => ++n });
  assert.equal(sig.get(), 1, 'evaluated once at construction');
  sig.trigger();
  assert.equal(sig.get(), 2);
  sig.exposureTime = 0.01;
  const status = sig.trigger() as StatusBase;
  assert.equal(status.done, false);
  await status.wait();
  assert.equal(sig.get(), 3);
  assert.deepEqual(sig.describe()['counter'], { source: 'SIM:counter', dtype: 'integer', shape: [], precision: 3 });
  const plain = new SynSignal({ name: 'signal' });
  plain.trigger();
  assert.equal(plain.get(), 0);
});

test('rand gives a new number in [0, 1) on each trigger; the simulation can run and stop', () => {
  const rand = new SynPeriodicSignal({ name: 'rand' });
  const a = rand.get() as number;
  rand.trigger();
  const b = rand.get() as number;
  assert.ok(a >= 0 && a < 1 && b >= 0 && b < 1 && a !== b);
  assert.deepEqual(rand.describe(), { rand: { source: 'SIM:rand', dtype: 'number', shape: [], precision: 3 } });
  rand.startSimulation(0.001, 0);
  rand.stopSimulation();
});

test('Python reprs of values', () => {
  assert.equal(pyRepr(['a', "it's"]), `['a', "it's"]`);
  assert.equal(pyRepr({ x: null, y: true }), "{'x': None, 'y': True}");
  assert.equal(pyFloatRepr(1e-5), '1e-05');
  assert.equal(pyFloatRepr(1.5e16), '1.5e+16');
  assert.equal(pyFloatRepr(123), '123.0');
  assert.equal(pyFloatRepr(0.1), '0.1');
});
