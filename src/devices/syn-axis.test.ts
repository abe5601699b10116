/** Tests of SynAxis: readings, instant and delayed moves, stop(), locate, subscriptions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLocatable, isMovable, isStageable, isStoppable, type Reading } from '../model/protocols.js';
import { StatusBase } from '../model/status.js';
import { SynAxis } from './index.js';

const values = (r: Record<string, Reading>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.value]));

test('read() lists the readback then the setpoint; describe() has precision 3', () => {
  const motor = new SynAxis({ name: 'motor', value: 2 });
  assert.deepEqual(Object.keys(motor.read()), ['motor', 'motor_setpoint']);
  assert.deepEqual(values(motor.read()), { motor: 2, motor_setpoint: 2 });
  assert.equal(typeof motor.read()['motor']?.timestamp, 'number');
  assert.deepEqual(motor.describe(), {
    motor: { source: 'SIM:motor', dtype: 'number', shape: [], precision: 3 },
    motor_setpoint: { source: 'SIM:motor_setpoint', dtype: 'number', shape: [], precision: 3 },
  });
  assert.deepEqual(motor.hints, { fields: ['motor'] });
  assert.equal(motor.parent, null);
  assert.ok(!isLocatable(motor) && isMovable(motor) && isStoppable(motor) && isStageable(motor));
});

test('configuration: velocity and acceleration, both 1', () => {
  const motor = new SynAxis({ name: 'm' });
  assert.deepEqual(values(motor.readConfiguration()), { m_velocity: 1, m_acceleration: 1 });
  assert.deepEqual(motor.describeConfiguration()['m_velocity'], { source: 'SIM:m_velocity', dtype: 'integer', shape: [] });
  const [old, now] = motor.configure({ velocity: 2.5 });
  assert.equal(old['m_velocity']?.value, 1);
  assert.equal(now['m_velocity']?.value, 2.5);
  assert.equal(motor.describeConfiguration()['m_velocity']?.dtype, 'number');
  assert.throws(() => motor.configure({ speed: 1 }), { code: 'DEVICE_OPERATION_FAILED' });
});

test('with no delay, set() is done synchronously and the readback follows', () => {
  const motor = new SynAxis({ name: 'motor' });
  const status = motor.set(-1);
  assert.equal(status.done, true);
  assert.equal(status.success, true);
  assert.equal(motor.position, -1);
  assert.deepEqual(motor.location(), { setpoint: -1, readback: -1 });
  assert.equal(motor.trigger().done, true);
});

test('with a delay the readback keeps its old value until the move is done', async () => {
  const motor = new SynAxis({ name: 'motor', delay: 0.03 });
  const status = motor.set(5);
  assert.equal(status.done, false);
  assert.equal(motor.moving, true);
  assert.deepEqual(motor.location(), { setpoint: 5, readback: 0 });
  assert.deepEqual(values(motor.read()), { motor: 0, motor_setpoint: 5 });
  await (status as StatusBase).wait();
  assert.equal(status.success, true);
  assert.equal(motor.position, 5);
  assert.equal(motor.moving, false);
});

test('the delay can be changed between moves', async () => {
  const motor = new SynAxis({ name: 'motor' });
  motor.delay = 0.01;
  const status = motor.set(1) as StatusBase;
  assert.equal(status.done, false);
  await status.wait();
  motor.delay = 0;
  assert.equal(motor.set(2).done, true);
});

test('stop({success: true}) finishes a pending move successfully, readback unchanged', async () => {
  const motor = new SynAxis({ name: 'motor', delay: 0.05 });
  const status = motor.set(3);
  motor.stop({ success: true });
  assert.equal(status.done, true);
  assert.equal(status.success, true);
  await sleep(70);
  assert.equal(motor.position, 0, 'the cancelled move never arrives');
  assert.equal(motor.location().setpoint, 3);
});

test('stop() without success fails the pending move', () => {
  const motor = new SynAxis({ name: 'motor', delay: 10 });
  const status = motor.set(3);
  motor.stop();
  assert.equal(status.done, true);
  assert.equal(status.success, false);
  assert.equal((status.exception() as { code: string }).code, 'DEVICE_OPERATION_FAILED');
  assert.equal(motor.moving, false);
});

test('set() refuses a non-number', () => {
  const motor = new SynAxis({ name: 'motor' });
  assert.throws(() => motor.set('far' as unknown as number), { code: 'DEVICE_OPERATION_FAILED' });
});

test('subscribe: called at once, then when the readback changes; clearSub stops it', () => {
  const motor = new SynAxis({ name: 'motor' });
  const seen: unknown[] = [];
  const cb = (r: Record<string, Reading>): void => { seen.push(r['motor']?.value); };
  motor.subscribe(cb);
  motor.set(1);
  motor.set(2);
  motor.clearSub(cb);
  motor.set(3);
  assert.deepEqual(seen, [0, 1, 2]);
});

test('stage twice is refused until unstaged (ophyd RedundantStaging)', () => {
  const motor = new SynAxis({ name: 'motor' });
  assert.deepEqual(motor.stage(), [motor]);
  assert.throws(() => motor.stage(), { code: 'DEVICE_OPERATION_FAILED' });
  assert.deepEqual(motor.unstage(), [motor]);
  assert.deepEqual(motor.stage(), [motor]);
});

test('readbackFunc shapes the readback', () => {
  const motor = new SynAxis({ name: 'jittery', readbackFunc: (x) => x + 0.5 });
  motor.set(1);
  assert.deepEqual(motor.location(), { setpoint: 1, readback: 1.5 });
});
