/**
 * Preprocessors: insertion tests of bluesky test_new_examples.py, test_supplemental_data.py and
 * test_preprocessors.py, and the GeneratorExit/PlanHalt/close semantics of the wrappers (spec §16.2).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GeneratorExit, PlanArgumentError, PlanHalt, RequestAbort, RequestStop } from '../model/errors.js';
import { type Msg, type Plan, msg } from '../model/msg.js';
import { FakeDetector, FakeMotor, PlainMotor, defaultReply, drive, driveToError, listify } from './fixtures.test.js';
import { count } from './plans.js';
import {
  SupplementalData, baselineWrapper, contingencyDecorator, contingencyWrapper, finalizeDecorator, finalizeWrapper, flyDuringWrapper,
  injectMdWrapper, monitorDuringWrapper, msgMutator, pchain, planMutator, relativeSetWrapper, resetPositionsWrapper, runWrapper,
  setRunKeyWrapper, stageWrapper, subsDecorator, subsWrapper, suspendWrapper,
} from './preprocessors.js';
import { nullMsg, openRun } from './stubs.js';

const det = new FakeDetector('det');
const commands = (msgs: readonly Msg[]): string[] => msgs.map((m) => m.command);
const stripGroup = (msgs: readonly Msg[]): Msg[] => msgs.map((m) => {
  const { group: _g, ...kwargs } = m.kwargs;
  return { ...m, kwargs };
});

function* nullPlan(): Plan<string> {
  yield msg('null');
  return 'done';
}

/** Two runs with distinct Msg objects (plan_mutator processes each object once). */
function* twoRuns(): Plan<void> {
  yield* [msg('open_run'), msg('null'), msg('close_run'), msg('open_run'), msg('null'), msg('close_run')];
}

describe('finalize_wrapper (test_finalize)', () => {
  const expected = [msg('null'), msg('read', det)];
  function* cleanup(): Plan<void> { yield msg('read', det); }
  it('accepts a list, a function returning a list, a generator, a generator function', () => {
    assert.deepEqual(listify(finalizeWrapper(nullPlan(), [msg('read', det)])), expected);
    assert.deepEqual(listify(finalizeWrapper(nullPlan(), () => [msg('read', det)])), expected);
    assert.deepEqual(listify(finalizeWrapper(nullPlan(), cleanup())), expected);
    assert.deepEqual(listify(finalizeWrapper(nullPlan(), cleanup)), expected);
  });
  it('the decorator takes functions only', () => {
    assert.deepEqual(listify(finalizeDecorator(cleanup)(nullPlan)()), expected);
    assert.deepEqual(listify(finalizeDecorator(() => [msg('read', det)])(nullPlan)()), expected);
    assert.throws(() => listify(finalizeDecorator([msg('read', det)] as never)(nullPlan)()), PlanArgumentError);
    assert.throws(() => listify(finalizeDecorator(cleanup() as never)(nullPlan)()), PlanArgumentError);
  });
  it('runs the final plan after an error and re-raises it (test_finalize_runs_after_error)', () => {
    const boom = new Error('boom');
    function* failing(): Plan<void> { yield msg('null'); throw boom; }
    const { msgs, error } = driveToError(finalizeWrapper(failing(), [msg('read', det)]));
    assert.equal(error, boom);
    assert.deepEqual(msgs, expected);
  });
  it('returns the plan result', () => {
    assert.equal(drive(finalizeWrapper(nullPlan(), [])).result, 'done');
  });
  it('pause_for_debug pauses before the final plan on error', () => {
    function* failing(): Plan<void> { yield msg('null'); throw new Error('x'); }
    const { msgs } = driveToError(finalizeWrapper(failing(), [msg('read', det)], { pauseForDebug: true }));
    assert.deepEqual(commands(msgs), ['null', 'pause', 'read']);
  });
});

describe('GeneratorExit, PlanHalt and close skip cleanup', () => {
  const wrappers: ReadonlyArray<readonly [string, (p: Plan) => Plan<unknown>]> = [
    ['finalize_wrapper', (p) => finalizeWrapper(p, [msg('read', det)])],
    ['contingency_wrapper', (p) => contingencyWrapper(p, { exceptPlan: () => [msg('drop')], finalPlan: () => [msg('read', det)] })],
    ['run_wrapper', (p) => runWrapper(p)],
    ['stage_wrapper', (p) => stageWrapper(p, [det])],
    ['subs_wrapper', (p) => subsWrapper(p, () => undefined)],
    ['baseline_wrapper', (p) => baselineWrapper(p, [det])],
    ['plan_mutator', (p) => planMutator(p, () => [null, null])],
    ['msg_mutator', (p) => msgMutator(p, (m) => m)],
  ];
  function* inner(): Plan<void> { yield msg('open_run'); yield msg('checkpoint'); yield msg('close_run'); }
  for (const [name, wrap] of wrappers) {
    it(`${name}: a thrown PlanHalt propagates without cleanup messages`, () => {
      const plan = wrap(inner());
      let r = plan.next();
      while (r.done !== true && r.value.command !== 'checkpoint') r = plan.next(defaultReply(r.value));
      const halt = new PlanHalt();
      assert.throws(() => plan.throw(halt), (e) => e === halt);
    });
    it(`${name}: .return() runs no cleanup plan (nothing is yielded)`, () => {
      const plan = wrap(inner());
      let r = plan.next();
      while (r.done !== true && r.value.command !== 'checkpoint') r = plan.next(defaultReply(r.value));
      assert.deepEqual(plan.return(undefined), { done: true, value: undefined });
    });
  }
  it('a GeneratorExit is not given to except_plan', () => {
    let called = false;
    const plan = contingencyWrapper(nullPlan(), { exceptPlan: () => { called = true; return []; } });
    plan.next();
    assert.throws(() => plan.throw(new GeneratorExit()), GeneratorExit);
    assert.equal(called, false);
  });
});

describe('contingency_wrapper (test_preprocessors.py)', () => {
  const expectedError = new Error('expected');
  function* raising(): Plan<void> { yield* nullMsg(); throw expectedError; }
  it('calls except_plan with the error and re-raises', () => {
    const seen: unknown[] = [];
    const { msgs, error } = driveToError(contingencyDecorator({ exceptPlan: (e: unknown) => { seen.push(e); return nullMsg(); } })(raising)());
    assert.equal(error, expectedError);
    assert.deepEqual(seen, [expectedError]);
    assert.deepEqual(commands(msgs), ['null', 'null']);
  });
  it('with auto_raise false returns the except_plan result', () => {
    function* handler(): Plan<string> { yield* nullMsg(); return 'test'; }
    assert.equal(drive(contingencyWrapper(raising(), { exceptPlan: handler, autoRaise: false })).result, 'test');
  });
  it('runs else_plan on success and final_plan always', () => {
    const ok = drive(contingencyWrapper(nullPlan(), { elsePlan: () => [msg('save')], finalPlan: () => [msg('drop')] }));
    assert.deepEqual(commands(ok.msgs), ['null', 'save', 'drop']);
    assert.equal(ok.result, 'done');
    const failed = driveToError(contingencyWrapper(raising(), { elsePlan: () => [msg('save')], finalPlan: () => [msg('drop')] }));
    assert.deepEqual(commands(failed.msgs), ['null', 'drop']);
  });
  it('exceptions pass through msg_mutator (test_exceptions_through_msg_mutator)', () => {
    function* outer(): Plan<void> { for (let j = 0; j < 50; j++) yield msg(`step ${j}`); }
    const gen = msgMutator(contingencyWrapper(outer(), { exceptPlan: () => [msg('handle it')] }), (m) => ({ ...m, command: `${m.command}+` }));
    const out: string[] = [];
    for (let i = 0; i < 4; i++) out.push((gen.next().value as Msg).command);
    out.push((gen.throw(new RequestStop()).value as Msg).command);
    assert.throws(() => { for (;;) { const r = gen.next(); if (r.done === true) break; out.push(r.value.command); } }, RequestStop);
    assert.deepEqual(out, ['step 0+', 'step 1+', 'step 2+', 'step 3+', 'handle it+']);
  });
});

describe('run_wrapper', () => {
  it('closes the run with the exit status of a control exception', () => {
    for (const [error, status] of [[new RequestStop(), 'success'], [new RequestAbort('why'), 'abort']] as const) {
      const plan = runWrapper(nullPlan());
      plan.next();
      plan.next('uid');
      const close = plan.throw(error);
      assert.deepEqual(close.value, msg('close_run', null, [], { exit_status: status, reason: null }));
      assert.throws(() => plan.next('uid'), (e) => e === error);
    }
  });
  it('returns the run uid', () => {
    assert.equal(drive(runWrapper(nullPlan(), { md: { a: 1 } })).result, 'run-uid-1');
  });
});

describe('insertion preprocessors', () => {
  it('subs_wrapper subscribes, runs the plan, unsubscribes (test_subs)', () => {
    const cb = (): void => undefined;
    function* plan(...args: unknown[]): Plan<void> { yield msg('null', null, args, { test_kwarg: 'val' }); }
    const expected = [msg('subscribe', null, [cb, 'all']), msg('null', null, ['test_arg'], { test_kwarg: 'val' }), msg('unsubscribe', null, [], { token: undefined })];
    assert.deepEqual(listify(subsWrapper(plan('test_arg'), { all: cb })), expected);
    assert.deepEqual(listify(subsDecorator({ all: cb })(plan)('test_arg')), expected);
    assert.throws(() => listify(subsWrapper(plan(), { bogus: cb } as never)), PlanArgumentError);
  });
  it('suspend_wrapper installs and removes (test_suspend)', () => {
    assert.deepEqual(listify(suspendWrapper([msg('null')], 1)), [msg('install_suspender', null, [1]), msg('null'), msg('remove_suspender', null, [1])]);
  });
  it('inject_md_wrapper adds metadata to open_run (test_md)', () => {
    assert.deepEqual(listify(injectMdWrapper(openRun({ a: 1 }), { b: 2 })), [msg('open_run', null, [], { a: 1, b: 2 })]);
  });
  it('set_run_key_wrapper sets missing run keys only', () => {
    const msgs = listify(setRunKeyWrapper([msg('null'), msg('null', null, [], {}, 'other')], 'run1'));
    assert.deepEqual(msgs.map((m) => m.run), ['run1', 'other']);
    assert.throws(() => setRunKeyWrapper([], null), PlanArgumentError);
  });
  it('monitor_during_wrapper (test_monitor_during_wrapper)', () => {
    const run = [msg('open_run'), msg('monitor', det, [], { name: 'det_monitor' }), msg('null'), msg('unmonitor', det), msg('close_run')];
    assert.deepEqual(listify(monitorDuringWrapper(twoRuns(), [det])), [...run, ...run]);
  });
  it('fly_during_wrapper (test_fly_during)', () => {
    const run = [msg('open_run'), msg('kickoff', 'foo'), msg('wait'), msg('null'), msg('complete', 'foo'), msg('wait'), msg('collect', 'foo'), msg('close_run')];
    assert.deepEqual(stripGroup(listify(flyDuringWrapper(twoRuns(), ['foo']))), [...run, ...run]);
  });
  it('baseline_wrapper reads after open_run and before close_run, keeping the run key', () => {
    function* keyed(): Plan<void> { yield msg('open_run', null, [], {}, 'r1'); yield msg('close_run', null, [], {}, 'r1'); }
    const msgs = listify(baselineWrapper(keyed(), [det]));
    assert.deepEqual(commands(msgs), ['open_run', 'declare_stream', 'trigger', 'wait', 'create', 'read', 'save', 'trigger', 'wait', 'create', 'read', 'save', 'close_run']);
    assert.ok(msgs.every((m) => m.run === 'r1'));
    assert.deepEqual(msgs[1]?.kwargs, { name: 'baseline', collect: false });
  });
  it('stage_wrapper stages root ancestors once and unstages in reverse', () => {
    const child = new FakeDetector('child', { parent: det });
    const d2 = new FakeDetector('d2');
    const msgs = listify(stageWrapper([msg('null')], [child, det, d2]));
    assert.deepEqual(msgs.map((m) => `${m.command}:${(m.obj as { name?: string } | null)?.name ?? ''}`), ['stage:det', 'stage:d2', 'null:', 'unstage:d2', 'unstage:det']);
  });
  it('pchain chains plans and returns their results', () => {
    assert.deepEqual(drive(pchain(nullPlan(), nullPlan())).result, ['done', 'done']);
  });
});

describe('SupplementalData (test_supplemental_data.py)', () => {
  const flyer = { name: 'flyer1', kickoff: () => undefined, complete: () => undefined };
  const rand = new FakeDetector('rand');
  it('test_order', () => {
    const sd = new SupplementalData({ baseline: [new FakeDetector('det2')], flyers: [flyer], monitors: [rand] });
    function* nullRun(): Plan<void> { yield msg('open_run'); yield msg('null'); yield msg('close_run'); }
    assert.deepEqual(commands(listify(sd(nullRun()))), [
      'open_run', 'declare_stream', 'trigger', 'wait', 'create', 'read', 'save', 'monitor', 'kickoff', 'wait', 'null',
      'complete', 'wait', 'collect', 'unmonitor', 'trigger', 'wait', 'create', 'read', 'save', 'close_run',
    ]);
  });
  it('adds the expected number of messages (test_monitors, test_flyers, test_baseline, test_mixture)', () => {
    const base = listify(count([det])).length;
    const sd = new SupplementalData();
    assert.equal(listify(sd(count([det]))).length, base);
    sd.monitors.push(rand);
    assert.equal(listify(sd(count([det]))).length, base + 2);
    sd.monitors.push(new FakeDetector('rand2'));
    assert.equal(listify(sd(pchain(count([det]), count([det])))).length, 2 * base + 8);
    const flyers = new SupplementalData({ flyers: [flyer, { ...flyer, name: 'flyer2' }] });
    assert.equal(listify(flyers(count([det]))).length, base + 8);
    const baseline = new SupplementalData({ baseline: [new FakeDetector('det2')] });
    assert.equal(listify(baseline(count([det]))).length, base + 11);
    const mixed = new SupplementalData({ baseline: [new FakeDetector('det2')], flyers: [flyer], monitors: [rand] });
    assert.equal(listify(mixed(count([det]))).length, base + 3 + 5 + 10);
  });
  it('is a function with a Python-like repr', () => {
    const sd = new SupplementalData();
    assert.equal(typeof sd, 'function');
    assert.ok(sd instanceof SupplementalData);
    assert.equal(String(sd), 'SupplementalData(baseline=[], monitors=[], flyers=[])');
  });
});

describe('relative and reset positions', () => {
  function* setTo(m: unknown, v: number): Plan<void> { yield msg('set', m, [v]); }
  it('reset_positions_wrapper uses .position and restores it (test_reset_positions)', () => {
    const motor = new FakeMotor('motor', 5);
    const msgs = stripGroup(drive(resetPositionsWrapper(setTo(motor, 8))).msgs);
    assert.deepEqual(msgs, [msg('set', motor, [8]), msg('set', motor, [5]), msg('wait')]);
  });
  it('without .position it reads first (test_reset_positions_no_position_attr)', () => {
    const motor = new PlainMotor('motor_no_pos', 5);
    const msgs = stripGroup(drive(resetPositionsWrapper(setTo(motor, 8))).msgs);
    assert.deepEqual(msgs, [msg('read', motor), msg('set', motor, [8]), msg('set', motor, [5]), msg('wait')]);
  });
  it('relative_set_wrapper offsets sets (test_relative_set, _no_position_attr)', () => {
    const motor = new FakeMotor('motor', 5);
    assert.deepEqual(drive(relativeSetWrapper(setTo(motor, 8))).msgs, [msg('set', motor, [13])]);
    const plain = new PlainMotor('p', 5);
    assert.deepEqual(drive(relativeSetWrapper(setTo(plain, 8))).msgs, [msg('read', plain), msg('set', plain, [13])]);
  });
  it('only the listed devices are relative', () => {
    const a = new FakeMotor('a', 5);
    const b = new FakeMotor('b', 5);
    function* both(): Plan<void> { yield msg('set', a, [1]); yield msg('set', b, [1]); }
    assert.deepEqual(drive(relativeSetWrapper(both(), [a])).msgs.map((m) => m.args[0]), [6, 1]);
  });
});
