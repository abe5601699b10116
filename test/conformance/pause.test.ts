/**
 * Catalogue sections F and L: pause, resume, checkpoints, rewind, deferred
 * pauses, record_interruptions, and plan return values.
 * Re-expressed from bluesky test_run_engine.py and test_examples.py.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { NO_PLAN_RETURN, type RunEngineResult } from '../../src/engine/index.js';
import { NoReplayAllowed } from '../../src/model/errors.js';
import type { Msg, Plan } from '../../src/model/msg.js';
import {
  Detector, Motor, assertAllDocumentsValid, commands, interrupted, makeRE, type VoidPlan, msg, rawPlan, runWrapper, triggerAndRead,
} from './fixtures.js';

afterEach(assertAllDocumentsValid);

const nulls = (n: number): Msg[] => Array.from({ length: n }, () => msg('null'));

test('test_1event_rewind (test_run_engine.py l.2136)', async () => {
  const { re, msgs } = makeRE();
  const det = new Detector();
  const docs: Array<[string, { seq_num?: number }]> = [];
  const broken = runWrapper((function* p(): VoidPlan {
    yield msg('checkpoint');
    yield* triggerAndRead([det], 'primary');
    yield msg('pause', null, [], { defer: false });
    yield* triggerAndRead([det], 'primary');
  })());
  await interrupted(re.run(broken, (name, doc) => { docs.push([name, doc as { seq_num?: number }]); }));
  await re.resume();
  assert.deepEqual(docs.filter(([n]) => n === 'event').map(([, d]) => d.seq_num), [1, 1, 2]);
  assert.deepEqual(docs.map(([n]) => n), ['start', 'descriptor', 'event', 'event', 'event', 'stop']);
  const tar = ['trigger', 'wait', 'create', 'read', 'save'];
  assert.deepEqual(commands(msgs), ['open_run', 'checkpoint', ...tar, 'pause', ...tar, ...tar, 'close_run']);
  // spec §17.14: num_events counts the rolled-back counter, not the event documents
  assert.deepEqual((docs.at(-1)?.[1] as { num_events?: unknown }).num_events, { primary: 2 });
});

test('spec §6: a sleep interrupted by a pause right after a checkpoint runs again in full on resume', async () => {
  const { re, msgs } = makeRE();
  setTimeout(() => re.requestPause(), 10);
  const t0 = Date.now();
  await interrupted(re.run([msg('checkpoint'), msg('sleep', null, [0.3]), msg('null')]));
  assert.ok(Date.now() - t0 < 250, 'the sleep was cut short by the pause');
  const t1 = Date.now();
  await re.resume();
  assert.ok(Date.now() - t1 >= 290, 'the replayed sleep ran in full');
  assert.deepEqual(commands(msgs), ['checkpoint', 'sleep', 'sleep', 'null']);
});

test('spec §17.14: replaying a declare_stream emits a second descriptor', async () => {
  const { re, docs } = makeRE();
  const det = new Detector();
  await interrupted(re.run([msg('open_run'), msg('checkpoint'), msg('declare_stream', null, [det], { name: 'primary' }), msg('pause'), msg('close_run')]));
  await re.resume();
  assert.deepEqual(docs.names(), ['start', 'descriptor', 'descriptor', 'stop']);
});

test('spec §7.4 / §17.10: a pause without checkpoint aborts; run_wrapper closes its run as fail', async () => {
  for (const wrapped of [false, true]) {
    const { re, docs } = makeRE();
    const states: string[] = [];
    re.on('state', (n) => { states.push(n); });
    const body = [msg('clear_checkpoint'), msg('pause')];
    await interrupted(re.run(wrapped ? runWrapper((function* p(): VoidPlan { for (const m of body) yield m; })()) : [msg('open_run'), ...body]));
    assert.deepEqual(states, ['running', 'pausing', 'aborting', 'idle']);
    const stop = Object.values(docs.stop)[0];
    assert.equal(stop?.exit_status, wrapped ? 'fail' : 'abort');
    assert.equal(stop?.reason, '');
  }
});

test('spec §5.6: checkpoint after clear_checkpoint does not make the plan resumable again', async () => {
  const { re } = makeRE();
  await interrupted(re.run([msg('clear_checkpoint'), msg('checkpoint'), msg('pause')]));
  assert.equal(re.state, 'idle');
});

test('test_seqnum_nonrepeated (test_examples.py l.455)', async () => {
  const { re } = makeRE();
  const motor = new Motor();
  const bundle = (v: number): Msg[] => [msg('create', null, [], { name: 'primary' }), msg('set', motor, [v]), msg('read', motor), msg('save')];
  const plan = [
    msg('open_run'), msg('declare_stream', null, [motor], { name: 'primary' }), ...bundle(1), msg('checkpoint'),
    ...bundle(2), msg('pause'), ...bundle(3), msg('close_run'),
  ];
  const seq: number[] = [];
  await interrupted(re.run(plan, { event: (_n, d) => { seq.push((d as { seq_num: number }).seq_num); } }));
  await re.resume();
  assert.deepEqual(seq, [1, 2, 2, 3]);
});

test('test_no_rewind (test_run_engine.py l.1128)', async () => {
  const { re, msgs } = makeRE();
  re.rewindable = false;
  const plan = [...nulls(3), msg('pause'), ...nulls(3)];
  await interrupted(re.run(plan));
  await re.resume();
  assert.deepEqual(msgs, plan);
});

test('test_no_rewindable_msg (test_run_engine.py l.1144)', async () => {
  const { re, msgs } = makeRE();
  re.rewindable = true;
  const plan = [...nulls(3), msg('pause'), msg('rewindable', null, [false]), ...nulls(3)];
  await interrupted(re.run(plan));
  await re.resume();
  // no checkpoint: the replay starts at the plan's beginning ...
  assert.deepEqual(msgs.slice(0, 4), plan.slice(0, 4));
  assert.deepEqual(msgs.slice(4, 7), plan.slice(0, 3));
  // ... and what follows `rewindable false` runs once
  assert.deepEqual(msgs.slice(7), plan.slice(4));
  assert.equal(re.rewindable, false);
});

test('test_rewindable_state_retrival (test_run_engine.py l.1165)', async () => {
  for (const start of [true, false]) {
    const { re } = makeRE();
    re.rewindable = start;
    const seen: unknown[] = [];
    await re.run((function* p(): VoidPlan {
      seen.push(yield msg('rewindable', null, [null]));
      seen.push(yield msg('rewindable', null, [!start]));
      seen.push(yield msg('rewindable', null, [null]));
    })());
    assert.deepEqual(seen, [start, !start, !start]);
    assert.equal(re.rewindable, !start);
  }
});

test('test_unrewindable_det (test_run_engine.py l.572)', async () => {
  for (const replay of [false, true]) {
    const { re, msgs } = makeRE();
    const motor = new Motor();
    const det = replay ? new Detector() : Object.assign(new Detector(), { pause: () => { throw new NoReplayAllowed(); }, resume: () => {} });
    await interrupted(re.run([msg('set', motor, [0]), msg('trigger', det), msg('pause'), msg('set', motor, [1]), msg('trigger', det)]));
    await re.resume();
    assert.deepEqual(commands(msgs), replay
      ? ['set', 'trigger', 'pause', 'set', 'trigger', 'set', 'trigger']
      : ['set', 'trigger', 'pause', 'set', 'trigger']);
  }
});

test('test_empty_cache_pause (test_run_engine.py l.1368)', async () => {
  const { re } = makeRE();
  re.rewindable = false;
  await interrupted(re.run([
    msg('open_run'), msg('declare_stream', null, [], { name: 'primary' }), msg('create', null, [], { name: 'primary' }),
    msg('pause'), msg('save'), msg('close_run'),
  ]));
  await re.resume();
  assert.equal(re.state, 'idle');
});

test('test_pause_resume_devices (test_run_engine.py l.409)', async () => {
  const { re } = makeRE();
  const calls: string[] = [];
  const dev = { name: 'dummy', pause: () => { calls.push('pause'); }, resume: () => { calls.push('resume'); } };
  await interrupted(re.run([msg('null', dev), msg('pause')]));
  await re.resume();
  assert.deepEqual(calls, ['pause', 'resume']);
});

test('test_deferred_pause (test_examples.py l.94)', async () => {
  const { re } = makeRE();
  await interrupted(re.run([msg('pause', null, [], { defer: true }), msg('checkpoint'), msg('checkpoint'), msg('checkpoint')]));
  assert.equal(re.state, 'paused');
  await re.resume();
  assert.equal(re.state, 'idle');
});

test('test_deferred_pause1 (test_examples.py l.105)', async () => {
  const { re } = makeRE();
  await interrupted(re.run([msg('pause', null, [], { defer: true }), msg('pause', null, [], { defer: false }), msg('checkpoint')]));
  assert.equal(re.state, 'paused');
  await re.resume();
  assert.equal(re.state, 'idle');
});

test('test_deferred_pause2 (test_examples.py l.115)', async () => {
  const { re } = makeRE();
  const defer = msg('pause', null, [], { defer: true });
  await interrupted(re.run([defer, msg('checkpoint'), defer, msg('checkpoint')]));
  assert.equal(re.state, 'paused');
  await interrupted(re.resume());
  assert.equal(re.state, 'paused');
  await re.resume();
  assert.equal(re.state, 'idle');
});

test('test_deferred_pause_requested (test_run_engine.py l.89)', async () => {
  for (const callReturnsResult of [false, true]) {
    // no request
    let { re } = makeRE({ callReturnsResult });
    assert.equal(re.deferredPauseRequested, false);
    await re.run([msg('sleep', null, [0.02]), msg('checkpoint'), msg('sleep', null, [0.02])]);
    assert.equal(re.deferredPauseRequested, false);
    // requested before the checkpoint: consumed there
    ({ re } = makeRE({ callReturnsResult }));
    let seen: boolean | null = null;
    let p = re.run([msg('sleep', null, [0.2]), msg('checkpoint'), msg('sleep', null, [0.05])]);
    const request = (): void => { try { re.requestPause(true); seen = re.deferredPauseRequested; } catch { seen = false; } };
    setTimeout(request, 10);
    await interrupted(p);
    assert.equal(seen, true);
    assert.equal(re.deferredPauseRequested, false);
    await re.stop();
    // requested after the checkpoint: never consumed
    ({ re } = makeRE({ callReturnsResult }));
    seen = null;
    p = re.run([msg('sleep', null, [0.01]), msg('checkpoint'), msg('sleep', null, [0.3])]);
    setTimeout(request, 60);
    await p;
    assert.equal(seen, true);
    assert.equal(re.deferredPauseRequested, true);
  }
});

test('test_hard_pause_no_checkpoint (test_examples.py l.126)', async () => {
  const { re } = makeRE();
  await interrupted(re.run([msg('clear_checkpoint'), msg('pause', false)]));
  assert.equal(re.state, 'idle');
});

test('test_deferred_pause_no_checkpoint (test_examples.py l.133)', async () => {
  const { re } = makeRE();
  // Msg("pause", True): True lands in obj, so it is a hard pause (spec §17.15)
  await interrupted(re.run([msg('clear_checkpoint'), msg('pause', true)]));
  assert.equal(re.state, 'idle');
});

test('test_clear_checkpoint (test_examples.py l.614)', async () => {
  const { re, msgs } = makeRE();
  await interrupted(re.run([msg('pause')]));
  assert.equal(re.state, 'paused');
  await re.stop();
  await re.run([msg('clear_checkpoint')]);
  assert.equal(re.state, 'idle');
  msgs.length = 0;
  // the 4th item is not a message: it must never be processed (the pause aborts first)
  await interrupted(re.run(rawPlan([msg('checkpoint'), msg('clear_checkpoint'), msg('pause'), 'lies'])));
  assert.equal(re.state, 'idle');
  assert.deepEqual(commands(msgs), ['checkpoint', 'clear_checkpoint', 'pause']);
});

test('test_rewindable_by_default (test_examples.py l.669)', async () => {
  const { re } = makeRE();
  class Sentinel extends Error {}
  await interrupted(re.run((function* p(): Plan { yield msg('pause'); throw new Sentinel('s'); })()));
  assert.equal(re.state, 'paused');
  await assert.rejects(re.resume(), Sentinel);
  await interrupted(re.run([msg('clear_checkpoint'), msg('pause')]));
  assert.equal(re.state, 'idle');
});

test('test_interruption_exception (test_examples.py l.635)', async () => {
  const { re } = makeRE();
  await interrupted(re.run([msg('checkpoint'), msg('pause')]));
  await re.stop();
  assert.equal(re.state, 'idle');
});

test('test_record_interruptions (test_run_engine.py l.495)', async () => {
  const { re, docs } = makeRE({ ignoreCallbackExceptions: false });
  const plan = (): Msg[] => [msg('pause'), msg('open_run'), msg('pause'), msg('close_run')];
  assert.equal(re.recordInterruptions, false);
  await interrupted(re.run(plan()));
  await interrupted(re.resume());
  await re.resume();
  assert.equal(docs.docs('descriptor').length, 0);
  assert.equal(docs.docs('event').length, 0);

  re.recordInterruptions = true;
  await interrupted(re.run(plan()));
  await interrupted(re.resume());
  await re.resume();
  const descs = docs.docs('descriptor');
  assert.equal(descs.length, 1);
  assert.equal(descs[0]?.name, 'interruptions');
  const events = docs.docs('event') as Array<{ data: { interruption: string }; seq_num: number }>;
  assert.deepEqual(events.map((e) => e.data.interruption), ['pause', 'resume']);
  assert.deepEqual(events.map((e) => e.seq_num), [1, 2]);
  const stop = docs.docs('stop').at(-1) as { num_events: Record<string, number> };
  assert.equal(stop.num_events.interruptions, 2);
});

test('test_plan_return (test_run_engine.py l.1768)', async () => {
  const { re } = makeRE({ callReturnsResult: true });
  const rs = await re.run((function* p(): Plan { yield msg('null'); return 'plan_result'; })()) as RunEngineResult;
  assert.equal(rs.planResult, 'plan_result');
  assert.equal(rs.exitStatus, 'success');
  assert.equal(rs.interrupted, false);
});

test('test_plan_return_resume (test_run_engine.py l.1782)', async () => {
  const { re } = makeRE({ callReturnsResult: true });
  await interrupted(re.run((function* p(): Plan { yield msg('null'); yield msg('pause'); return 'plan_result'; })()));
  const rs = await re.resume() as RunEngineResult;
  assert.equal(rs.planResult, 'plan_result');
  assert.equal(rs.exitStatus, 'success');
  assert.equal(rs.interrupted, false);
  assert.notEqual(rs.planResult, NO_PLAN_RETURN);
});

test('test_plan_return with callReturnsResult=false returns run uids (test_run_engine.py l.1768)', async () => {
  const { re, docs } = makeRE();
  const uids = await re.run(runWrapper((function* p(): Plan { yield msg('null'); return 'x'; })()));
  assert.deepEqual(uids, [docs.start[0]?.uid]);
});
