/**
 * Catalogue section K: suspenders. Re-expressed from bluesky test_suspenders.py.
 * Upstream timers are scaled down (0.1 s -> 20 ms, 1 s -> 100 ms).
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  SuspendBoolHigh, SuspendBoolLow, SuspendCeil, SuspendFloor, SuspendWhenOutsideBand,
} from '../../src/engine/index.js';
import type { PlanLike } from '../../src/model/msg.js';
import { SimSignal, assertAllDocumentsValid, commands, interrupted, makeRE, msg } from './fixtures.js';

afterEach(assertAllDocumentsValid);

const later = (ms: number, f: () => unknown): void => { setTimeout(() => { void f(); }, ms); };

const prePostCases: Array<[unknown, unknown, string[]]> = [
  [[msg('null')], null, ['checkpoint', 'sleep', '_start_suspender', 'rewindable', 'null', 'wait_for', '_resume_from_suspender', 'rewindable', 'sleep']],
  [null, [msg('null')], ['checkpoint', 'sleep', '_start_suspender', 'rewindable', 'wait_for', '_resume_from_suspender', 'null', 'rewindable', 'sleep']],
  [[msg('null')], [msg('null')], ['checkpoint', 'sleep', '_start_suspender', 'rewindable', 'null', 'wait_for', '_resume_from_suspender', 'null', 'rewindable', 'sleep']],
  [(): PlanLike => [msg('null')], (): PlanLike => [msg('null')], ['checkpoint', 'sleep', '_start_suspender', 'rewindable', 'null', 'wait_for', '_resume_from_suspender', 'null', 'rewindable', 'sleep']],
];

for (const [i, [prePlan, postPlan, expected]] of prePostCases.entries()) {
  test(`test_pre_suspend_plan [case ${i}] (test_suspenders.py l.162)`, async () => {
    const { re, msgs } = makeRE();
    const sig = new SimSignal('bool_sig', 0);
    const scan = [msg('checkpoint'), msg('sleep', null, [0.1])];
    const susp = new SuspendBoolHigh(sig, { prePlan, postPlan });
    re.installSuspender(susp);
    later(20, () => sig.put(1));
    later(100, () => sig.put(0));
    await re.run(scan);
    assert.deepEqual(commands(msgs), expected);

    re.removeSuspender(susp);
    assert.equal(sig.subscribers, 0, 'remove_suspender detaches it');
    await re.run(scan);
    re.installSuspender(susp);
    re.clearSuspenders();
    assert.equal(sig.subscribers, 0, 'clear_suspenders detaches it');
    assert.deepEqual(re.suspenders, []);
  });
}

test('test_suspender (test_suspenders.py l.37)', async () => {
  type Mk = (s: SimSignal) => SuspendBoolHigh | SuspendBoolLow | SuspendFloor | SuspendCeil | SuspendWhenOutsideBand;
  const cases: Array<[string, Mk, number, number, number]> = [
    ['SuspendBoolHigh', (s) => new SuspendBoolHigh(s, { sleep: 0.02 }), 0, 1, 0],
    ['SuspendBoolLow', (s) => new SuspendBoolLow(s, { sleep: 0.02 }), 1, 0, 1],
    ['SuspendFloor', (s) => new SuspendFloor(s, 0.5, null, { sleep: 0.02 }), 1, 0, 1],
    ['SuspendCeil', (s) => new SuspendCeil(s, 0.5, null, { sleep: 0.02 }), 0, 1, 0],
    ['SuspendWhenOutsideBand', (s) => new SuspendWhenOutsideBand(s, 0.5, 1.5, { sleep: 0.02 }), 1, 0, 1],
  ];
  for (const [name, mk, startVal, failVal, resumeVal] of cases) {
    const { re } = makeRE();
    const sig = new SimSignal('sig', startVal);
    re.installSuspender(mk(sig));
    const scan = [msg('checkpoint'), msg('sleep', null, [0.02])];
    await re.run(scan);
    const t0 = Date.now();
    later(10, () => sig.put(failVal));
    later(60, () => sig.put(resumeVal));
    await re.run(scan);
    const dt = Date.now() - t0;
    assert.ok(dt >= 75, `${name}: waited ${dt} ms`);
    re.clearSuspenders();
  }
});

test('test_pretripped (test_suspenders.py l.74)', async () => {
  const { re, msgs } = makeRE();
  const sig = new SimSignal('bool_sig', 1);
  re.installSuspender(new SuspendBoolHigh(sig));
  later(50, () => sig.put(0));
  await re.run([msg('checkpoint')]);
  assert.deepEqual(commands(msgs), ['wait_for', 'checkpoint']);
  re.clearSuspenders();
});

test('test_pause_from_suspend (test_suspenders.py l.192)', async () => {
  const { re, msgs } = makeRE();
  const sig = new SimSignal('bool_sig', 1);
  re.installSuspender(new SuspendBoolHigh(sig));
  later(30, () => re.requestPause());
  later(80, () => sig.put(0));
  await interrupted(re.run([msg('checkpoint')]));
  assert.deepEqual(commands(msgs), ['wait_for']);
  await new Promise((r) => setTimeout(r, 80));
  await re.resume();
  assert.deepEqual(commands(msgs), ['wait_for', 'wait_for', 'checkpoint']);
  re.clearSuspenders();
});

test('test_deferred_pause_from_suspend (test_suspenders.py l.215)', async () => {
  const { re, msgs } = makeRE();
  const sig = new SimSignal('bool_sig', 1);
  re.installSuspender(new SuspendBoolHigh(sig));
  later(30, () => re.requestPause(true));
  later(80, () => sig.put(0));
  await interrupted(re.run([msg('checkpoint'), msg('null')]));
  assert.deepEqual(commands(msgs), ['wait_for', 'checkpoint']);
  await re.resume();
  assert.deepEqual(commands(msgs), ['wait_for', 'checkpoint', 'null']);
  re.clearSuspenders();
});

test('test_unresumable_suspend_fail (test_suspenders.py l.239)', async () => {
  const { re } = makeRE();
  let release: () => void = () => {};
  const released = new Promise<void>((r) => { release = r; });
  later(20, () => re.requestSuspend(() => released));
  const t0 = Date.now();
  await interrupted(re.run([msg('clear_checkpoint'), msg('sleep', null, [2])]));
  const dt = Date.now() - t0;
  release();
  assert.ok(dt >= 15 && dt < 1000, `${dt} ms`);
  assert.equal(re.state, 'idle');
});

test('test_suspender_plans (test_suspenders.py l.256)', async () => {
  const { re } = makeRE();
  const sig = new SimSignal('bool_sig', 0);
  const susp = new SuspendBoolHigh(sig, { sleep: 0.02 });
  await re.run([msg('install_suspender', null, [susp])]);
  assert.ok(re.suspenders.includes(susp));
  await re.run([msg('remove_suspender', null, [susp])]);
  assert.ok(!re.suspenders.includes(susp));
  await re.run([msg('install_suspender', null, [susp]), msg('remove_suspender', null, [susp])]);
  assert.equal(sig.subscribers, 0);
});
