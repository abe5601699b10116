/**
 * Standard plans against the Python recordings (`python-reference/docs/*.msgs.jsonl`):
 * the same messages, command for command, kwargs and open_run key order
 * included (random group ids normalised). Plus argument errors and per_step.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlanArgumentError } from '../model/errors.js';
import { type Msg, type Plan, msg } from '../model/msg.js';
import { FakeDetector, FakeMotor, type RecordedMsg, drive, driveToError, listify, normalize, recorded } from './fixtures.test.js';
import { gridScan, relGridScan } from './grid-scan.js';
import { perStep1d } from './plan-helpers.js';
import { count, listScan, logScan, relListScan, relScan, scan, scanNd } from './plans.js';
import { runWrapper } from './preprocessors.js';
import { declareStream, mv, one1dStep, oneNdStep, triggerAndRead } from './stubs.js';
import { innerProduct } from './plan-patterns.js';

/** Compare with a recording: deep equality, then key order (JSON text) for a precise diff. */
function assertMatchesRecording(msgs: readonly Msg[], name: string): void {
  const ours: RecordedMsg[] = msgs.map(normalize);
  const theirs = recorded(name);
  assert.deepEqual(ours, theirs);
  ours.forEach((m, i) => assert.equal(JSON.stringify(m), JSON.stringify(theirs[i]), `key order of message ${i} (${m.command})`));
}

const openRunKwargs = (msgs: readonly Msg[]): Readonly<Record<string, unknown>> => {
  const open = msgs.find((m) => m.command === 'open_run');
  assert.ok(open);
  return open.kwargs;
};

describe('golden message sequences', () => {
  it('count([det1, det2], num=3)', () => {
    const { msgs, result } = drive(count([new FakeDetector('det1'), new FakeDetector('det2')], { num: 3 }));
    assertMatchesRecording(msgs, 'count');
    assert.equal(result, 'run-uid-1');
  });

  it('scan([det], motor, -1, 1, 5) with num as the last positional, and with num=', () => {
    assertMatchesRecording(drive(scan([new FakeDetector('det')], [new FakeMotor('motor'), -1, 1, 5])).msgs, 'scan');
    assertMatchesRecording(drive(scan([new FakeDetector('det')], [new FakeMotor('motor'), -1, 1], { num: 5 })).msgs, 'scan');
  });

  it('rel_scan([det], motor, -1, 1, 5) with the motor at 1.0, put back afterwards', () => {
    const motor = new FakeMotor('motor', 1);
    const { msgs } = drive(relScan([new FakeDetector('det')], [motor, -1, 1], { num: 5 }));
    assertMatchesRecording(msgs, 'rel_scan');
    assert.equal(motor.position, 1);
  });

  it('list_scan([det], motor, [0.0, 0.5, -0.25, 2.0])', () => {
    assertMatchesRecording(drive(listScan([new FakeDetector('det')], [new FakeMotor('motor'), [0, 0.5, -0.25, 2]])).msgs, 'list_scan');
  });

  it('grid_scan([det4], motor1, -1, 1, 3, motor2, -2, 2, 4, snake_axes=True)', () => {
    const det4 = new FakeDetector('det4', { cls: 'Syn2DGauss' });
    const plan = gridScan([det4], [new FakeMotor('motor1'), -1, 1, 3, new FakeMotor('motor2'), -2, 2, 4], { snakeAxes: true });
    assertMatchesRecording(drive(plan).msgs, 'grid_scan');
  });

  it('failing_plan: run_wrapper closes the run with exit_status fail and the error text', () => {
    const det = new FakeDetector('det');
    const motor = new FakeMotor('motor');
    function* inner(): Plan<void> {
      yield* declareStream([det, motor], { name: 'primary' });
      for (let i = 0; i < 2; i++) {
        yield* mv(motor, i);
        yield* triggerAndRead([det, motor]);
      }
      throw new PlanArgumentError('planned failure after 2 events');
    }
    const { msgs, error } = driveToError(runWrapper(inner(), { md: { plan_name: 'failing_plan' } }));
    assertMatchesRecording(msgs, 'failing_plan');
    assert.ok(error instanceof PlanArgumentError);
    assert.equal(error.message, 'planned failure after 2 events');
  });
});

describe('start metadata', () => {
  it('count with num=null has num_intervals null and runs until stopped', () => {
    const plan = count([new FakeDetector('det')], { num: null });
    const seen: string[] = [];
    let r = plan.next();
    let md: Readonly<Record<string, unknown>> = {};
    for (let i = 0; i < 60 && r.done !== true; i++) {
      seen.push(r.value.command);
      if (r.value.command === 'open_run') md = r.value.kwargs;
      r = plan.next(r.value.command === 'wait' ? true : undefined);
    }
    assert.equal(r.done, false);
    assert.equal(md['num_points'], null);
    assert.equal(md['num_intervals'], null);
    assert.ok(seen.filter((c) => c === 'save').length >= 5);
    plan.return(undefined as never);
  });

  it('user md wins and hints.dimensions is only set when absent', () => {
    const md = openRunKwargs(listify(count([new FakeDetector('det')], { md: { color: 'red', hints: { dimensions: [[['x'], 'primary']] } } })));
    assert.equal(md['color'], 'red');
    assert.deepEqual(md['hints'], { dimensions: [[['x'], 'primary']] });
    const scanMd = openRunKwargs(listify(scan([new FakeDetector('det')], [new FakeMotor('m'), 0, 1, 2], { md: { plan_name: 'mine', hints: { extra: 1 } } })));
    assert.equal(scanMd['plan_name'], 'mine');
    assert.deepEqual(scanMd['hints'], { dimensions: [[['m'], 'primary']], extra: 1 });
  });

  it('count with a delay list puts it in plan_args', () => {
    const md = openRunKwargs(listify(count([new FakeDetector('det')], { num: 3, delay: [1, 2] })));
    assert.deepEqual(md['plan_args'], { detectors: ["SynGauss(prefix='', name='det', read_attrs=['val'], configuration_attrs=['Imax', 'center', 'sigma', 'noise', 'noise_multiplier'])"], num: 3, delay: [1, 2] });
  });

  it('scan_nd, log_scan, rel_list_scan and rel_grid_scan name themselves', () => {
    const det = new FakeDetector('det');
    const m = new FakeMotor('m');
    assert.equal(openRunKwargs(listify(scanNd([det], innerProduct(3, [m, 0, 1]))))['plan_name'], 'scan_nd');
    const log = openRunKwargs(listify(logScan([det], m, 0, 2, 3)));
    assert.equal(log['plan_name'], 'log_scan');
    assert.deepEqual(log['plan_pattern_args'], { start: 0, stop: 2, num: 3 });
    assert.equal(openRunKwargs(listify(relListScan([det], [m, [1, 2]])))['plan_name'], 'rel_list_scan');
    assert.equal(openRunKwargs(listify(relGridScan([det], [m, 0, 1, 2])))['plan_name'], 'rel_grid_scan');
  });

  it('log_scan moves through log-spaced points with one_1d_step', () => {
    const sets = drive(logScan([new FakeDetector('det')], new FakeMotor('m'), 0, 2, 3)).msgs.filter((x) => x.command === 'set');
    assert.deepEqual(sets.map((x) => x.args[0]), [1, 10, 100]);
  });
});

describe('argument errors', () => {
  const det = new FakeDetector('det');
  const m = new FakeMotor('m');
  const m2 = new FakeMotor('m2');
  const fails = (plan: Plan<unknown>, re: RegExp): void => {
    assert.throws(() => listify(plan), (e: unknown) => e instanceof PlanArgumentError && e.code === 'PLAN_ARGUMENT_INVALID' && re.test(e.message));
  };
  it('detectors must be an array', () => {
    fails(count(det as never), /list or a tuple of Readable/);
    fails(scan(det as never, [m, 0, 1, 3]), /list or a tuple of Readable/);
  });
  it('scan needs num', () => {
    fails(scan([det], [m, 0, 1]), /number of points/);
    fails(scan([det], [m, 0, 1], { num: 2.5 }), /whole number/);
  });
  it('list_scan lists must have equal lengths', () => {
    fails(listScan([det], [m, [1, 2], m2, [1]]), /same/);
    fails(listScan([det], [m, [1, 2], m2]), /list of points/);
  });
  it('grid_scan rejects bad snake_axes', () => {
    fails(gridScan([det], [m, 0, 1, 2, m2, 0, 1, 2], { snakeAxes: [m] }), /slowest motor/);
    fails(gridScan([det], [m, 0, 1, 2, m2, 0, 1, 2], { snakeAxes: [new FakeMotor('x')] }), /not controlled/);
    fails(gridScan([det], [m, 0, 1, 2, m2, 0, 1, 2, true], { snakeAxes: true }), /Mixing/);
    fails(gridScan([det], [m, 0, 1, 2, m, 0, 1, 2]), /multiple times/);
  });
  it('a legacy 1-D per_step cannot drive two motors', () => {
    fails(scan([det], [m, 0, 1, m2, 0, 1], { num: 2, perStep: one1dStep }), /1D trajectory/);
  });
});

describe('per_step', () => {
  const det = new FakeDetector('det');
  it('accepts one_nd_step and the legacy one_1d_step (test_per_step)', () => {
    const nd = drive(scan([det], [new FakeMotor('m'), -1, 1, 3], { perStep: oneNdStep })).msgs;
    const oneD = drive(scan([det], [new FakeMotor('m'), -1, 1, 3], { perStep: one1dStep })).msgs;
    assert.deepEqual(nd.map((x) => x.command), oneD.map((x) => x.command));
    assert.equal(openRunKwargs(oneD)['plan_args'] !== undefined, true);
  });
  it('a user 1-D per_step marked with perStep1d gets (detectors, motor, step)', () => {
    const calls: unknown[] = [];
    const custom = perStep1d(function* custom(_dets, motor, step): Plan<void> {
      calls.push(step);
      yield msg('set', motor, [step]);
    });
    drive(scan([det], [new FakeMotor('m'), 0, 1, 3], { perStep: custom }));
    assert.deepEqual(calls, [0, 0.5, 1]);
  });
  it('a custom per_shot replaces one_shot', () => {
    const msgs = listify(count([det], { num: 2, perShot: function* shot(dets): Plan<void> { yield* triggerAndRead(dets, 'secondary'); } }));
    assert.deepEqual(msgs.filter((x) => x.command === 'create').map((x) => x.kwargs['name']), ['secondary', 'secondary']);
  });
  it('predeclare inserts declare_stream after open_run', () => {
    const msgs = listify(count([det], { predeclare: true }));
    const i = msgs.findIndex((x) => x.command === 'open_run');
    assert.equal(msgs[i + 1]?.command, 'declare_stream');
  });
});
