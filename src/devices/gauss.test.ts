/** Tests of SynGauss / Syn2DGauss: values, noise, timed trigger, configuration, subscriptions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTriggerable, type Reading } from '../model/protocols.js';
import { StatusBase } from '../model/status.js';
import { npExp } from './npmath.js';
import { Syn2DGauss, SynAxis, SynGauss } from './index.js';

const valueOf = (det: SynGauss | Syn2DGauss): unknown => det.read()[det.name]?.value;

test('det at motor = -1 gives exp(-1/2) exactly as numpy (exactExp)', () => {
  const motor = new SynAxis({ name: 'motor' });
  const det = new SynGauss('det', motor, 'motor', 0, 1, { sigma: 1, exactExp: true });
  assert.equal(valueOf(det), 1, 'computed at construction, at motor = 0');
  motor.set(-1);
  assert.equal(valueOf(det), 1, 'unchanged until triggered');
  assert.equal(det.trigger().done, true);
  assert.equal(valueOf(det), 0.6065306597126334);
  motor.set(0.5);
  det.trigger();
  assert.equal(valueOf(det), 0.8824969025845953, 'numpy, where Math.exp gives ...955');
  assert.ok(isTriggerable(det));
});

test('read() and describe() have one key, the detector name', () => {
  const motor = new SynAxis({ name: 'm' });
  const det = new SynGauss('d', motor, 'm', 1, 2, { sigma: 2 });
  assert.deepEqual(Object.keys(det.read()), ['d']);
  assert.deepEqual(det.describe(), { d: { source: 'SIM:d', dtype: 'number', shape: [], precision: 3 } });
  assert.deepEqual(det.hints, { fields: ['d'] });
  assert.deepEqual(Object.keys(det.readConfiguration()), ['d_Imax', 'd_center', 'd_sigma', 'd_noise', 'd_noise_multiplier']);
});

test('Syn2DGauss sums the squares as numpy does', () => {
  const m1 = new SynAxis({ name: 'motor1' });
  const m2 = new SynAxis({ name: 'motor2' });
  const det4 = new Syn2DGauss('det4', m1, 'motor1', m2, 'motor2', [0, 0], 1);
  m1.set(-1);
  m2.set(-2);
  det4.trigger();
  assert.equal(valueOf(det4), 0.0820849986238988);
  assert.deepEqual(det4.readConfiguration()['det4_center']?.value, [0, 0]);
  assert.deepEqual(det4.describeConfiguration()['det4_center'], { source: 'SIM:det4_center', dtype: 'array', shape: [2] });
});

test('a trigger delay makes the status finish later, with the value computed then', async () => {
  const motor = new SynAxis({ name: 'motor' });
  const det = new SynGauss('det', motor, 'motor', 0, 1);
  det.delay = 0.02;
  assert.equal(det.exposureTime, 0.02);
  motor.set(-1);
  const status = det.trigger() as StatusBase;
  assert.equal(status.done, false);
  assert.equal(valueOf(det), 1);
  await status.wait();
  assert.equal(valueOf(det), 0.6065306597126334);
});

test("uniform noise adds U(-1, 1) * noise_multiplier (noisy_det)", () => {
  const motor = new SynAxis({ name: 'motor' });
  const draws = [0.75, 0.25];
  const det = new SynGauss('noisy_det', motor, 'motor', 0, 1, {
    noise: 'uniform', noiseMultiplier: 0.1, random: () => draws.shift() ?? 0.5,
  });
  assert.equal(valueOf(det), 1 + 0.5 * 0.1);
  det.trigger();
  assert.equal(valueOf(det), 1 - 0.5 * 0.1);
  assert.equal(det.readConfiguration()['noisy_det_noise']?.value, 'uniform');
  assert.equal(det.describeConfiguration()['noisy_det_noise_multiplier']?.dtype, 'number');
});

test('poisson noise gives integers around the rounded peak', () => {
  const motor = new SynAxis({ name: 'motor' });
  const det = new SynGauss('p', motor, 'motor', 0, 1000, { noise: 'poisson' });
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) { det.trigger(); samples.push(valueOf(det) as number); }
  assert.ok(samples.every((v) => Number.isInteger(v)));
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  assert.ok(Math.abs(mean - 1000) < 15, `mean ${mean}`);
  assert.equal(det.describe()['p']?.dtype, 'integer');
  const small = new SynGauss('s', motor, 'motor', 0, 3, { noise: 'poisson' });
  for (let i = 0; i < 50; i++) { small.trigger(); assert.ok(Number.isInteger(valueOf(small)) && (valueOf(small) as number) >= 0); }
});

test('configure() changes parameters and refuses unknown noise kinds', () => {
  const motor = new SynAxis({ name: 'motor' });
  const det = new SynGauss('det', motor, 'motor', 0, 1);
  motor.set(1);
  det.configure({ center: 1 });
  det.trigger();
  assert.equal(valueOf(det), 1);
  assert.throws(() => det.configure({ noise: 'pink' }), { code: 'DEVICE_OPERATION_FAILED' });
  assert.throws(() => det.configure({ sigma: 'wide' }), { code: 'DEVICE_OPERATION_FAILED' });
  assert.throws(() => new SynGauss('bad', motor, 'nope', 0, 1), { code: 'DEVICE_OPERATION_FAILED' });
});

test('subscribe gets the readings at once and after each trigger', () => {
  const motor = new SynAxis({ name: 'motor' });
  const det = new SynGauss('det', motor, 'motor', 0, 1);
  const seen: unknown[] = [];
  const cb = (r: Record<string, Reading>): void => { seen.push(r['det']?.value); };
  det.subscribe(cb);
  motor.set(-1);
  det.trigger();
  det.clearSub(cb);
  det.trigger();
  assert.deepEqual(seen, [1, 0.6065306597126334]);
});

test('npExp handles the edges like numpy', () => {
  assert.equal(npExp(0), 1);
  assert.equal(npExp(-2), 0.13533528323661267);
  assert.ok(Number.isNaN(npExp(NaN)));
  assert.equal(npExp(-Infinity), 0);
  assert.equal(npExp(Infinity), Infinity);
  assert.equal(npExp(-800), 0);
});

test('without exactExp detectors use Math.exp (fast; may differ from numpy in the last bit)', () => {
  const motor = new SynAxis({ name: 'motor' });
  const det = new SynGauss('det', motor, 'motor', 0, 1, { sigma: 1 });
  motor.set(0.5);
  det.trigger();
  assert.equal(valueOf(det), Math.exp(-0.125));
});
