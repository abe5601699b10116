/**
 * Further (non-starred) cases of the catalogue: panic trap, exception cascades
 * through suspender plans, monitors, flyers outside a run, hints, descriptor
 * order, metadata hooks, external pause requests.
 * Re-expressed from bluesky test_run_engine.py, test_devices.py, test_metadata.py,
 * test_flyer.py, test_examples.py and test_new_examples.py.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { STATES, canTransition } from '../../src/engine/index.js';
import { IllegalMessageSequence, InvalidCommand } from '../../src/model/errors.js';
import type { Plan } from '../../src/model/msg.js';
import { completedStatus } from '../../src/model/status.js';
import {
  Detector, Motor, SimSignal, assertAllDocumentsValid, commands, count, interrupted, makeRE, msg, triggerAndRead,
  type VoidPlan,
} from './fixtures.js';

afterEach(assertAllDocumentsValid);

test('test_panic_trap (test_run_engine.py l.68)', () => {
  for (const s of STATES) assert.equal(canTransition('panicked', s), false);
});

function* pausingPlan(hit: { value: boolean }): VoidPlan {
  for (let j = 0; j < 5; j++) yield msg('null');
  try {
    yield msg('pause');
  } catch (e) {
    hit.value = true;
    throw e;
  }
}

test('test_exception_cascade_REside (test_run_engine.py l.1034)', async () => {
  const { re } = makeRE();
  const hit = { value: false };
  await interrupted(re.run(pausingPlan(hit)));
  re.requestSuspend(() => Promise.resolve(), { prePlan: [msg('aardvark')] });
  await assert.rejects(re.resume(), InvalidCommand);
  assert.equal(hit.value, true);
});

test('test_exception_cascade_planside (test_run_engine.py l.1064)', async () => {
  const { re } = makeRE();
  const hit = { value: false };
  class Boom extends Error {}
  await interrupted(re.run(pausingPlan(hit)));
  re.requestSuspend(() => Promise.resolve(), { prePlan: (function* pre(): VoidPlan { yield msg('null'); throw new Boom('pre'); })() });
  await assert.rejects(re.resume(), Boom);
  assert.equal(hit.value, true);
});

test('test_monitor (test_devices.py l.89)', async () => {
  const { re, docs } = makeRE();
  const sig = new SimSignal('a_s1', 0);
  await re.run([msg('open_run'), msg('monitor', sig, [], { name: 'a_s1_monitor' }), msg('unmonitor', sig), msg('close_run')]);
  assert.deepEqual(docs.names(), ['start', 'descriptor', 'event', 'stop']);
  const ev = docs.docs('event')[0] as { data: unknown; seq_num: number };
  assert.deepEqual(ev.data, { a_s1: 0 });
  assert.equal(ev.seq_num, 1);
  assert.equal(sig.subscribers, 0);
});

test('test_monitor_with_pause_resume (test_devices.py l.120)', async () => {
  const { re, docs } = makeRE();
  const sig = new SimSignal('sig', 0);
  await interrupted(re.run([msg('open_run'), msg('monitor', sig, [], { name: 'mon' }), msg('checkpoint'), msg('pause'), msg('close_run')]));
  assert.equal(docs.docs('event').length, 1);
  sig.put(1); // unsubscribed while paused: nothing is emitted
  assert.equal(docs.docs('event').length, 1);
  assert.equal(sig.subscribers, 0);
  const done = re.resume();
  await done;
  // resubscribed on resume (the initial callback emits), then cleared at close_run
  assert.equal(docs.docs('event').length, 2);
  assert.equal(sig.subscribers, 0);
});

test('test_flying_outside_a_run_is_illegal (test_flyer.py l.150)', async () => {
  const { re } = makeRE();
  const flyer = { name: 'flyer', kickoff: () => completedStatus(), complete: () => completedStatus(), describeCollect: () => ({ flyer: {} }), collectPages: () => [] };
  await assert.rejects(re.run([msg('kickoff', flyer)]), IllegalMessageSequence);
  await re.run([msg('open_run'), msg('kickoff', flyer), msg('complete', flyer), msg('collect', flyer), msg('close_run')]);
});

test('test_hints (test_run_engine.py l.1608)', async () => {
  const { re, docs } = makeRE();
  const det = new Detector('det');
  await re.run(count([det]));
  const desc = docs.docs('descriptor')[0] as { hints: Record<string, unknown> };
  assert.deepEqual(desc.hints.det, det.hints);
});

test('test_descriptor_order (test_run_engine.py l.2258)', async () => {
  const a = new Detector('a');
  const b = new Detector('b');
  const m = new Motor('m');
  for (const order of [[a, b, m], [m, b, a], [b, m, a]]) {
    const { re, docs } = makeRE();
    await re.run([msg('open_run'), ...(function* p(): Plan { return yield* triggerAndRead(order); })(), msg('close_run')]);
    const keys = order.flatMap((d) => Object.keys(d.describe()));
    assert.deepEqual(Object.keys((docs.docs('descriptor')[0] as { data_keys: object }).data_keys), keys);
    assert.deepEqual(Object.keys((docs.docs('event')[0] as { data: object }).data), keys);
  }
});

test('test_old_md_validator (test_metadata.py l.20)', async () => {
  const { re, docs } = makeRE({ mdValidator: () => undefined });
  await re.run(count([], 1, { md: { test: 1 } }));
  assert.equal(docs.start[0]?.test, 1);
});

test('test_md_mormalizer (test_metadata.py l.46)', async () => {
  const lower = (md: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(md).map(([k, v]) => [k.toLowerCase(), v]));
  const { re, docs } = makeRE({ mdNormalizer: lower });
  const metadata = { TEST: 1, a: { b: { c: [1] } } };
  await re.run(count([], 1, { md: metadata }));
  const start = docs.start[0] as { test?: unknown; TEST?: unknown; a: { b: { c: unknown } } };
  assert.ok('TEST' in metadata);
  assert.ok(!('TEST' in start));
  assert.equal(start.test, 1);
  assert.notEqual(start.a.b.c, metadata.a.b.c);
});

test('test_sync_scan_id_source / test_async_scan_id_source (test_run_engine.py l.2239, l.2248)', async () => {
  for (const source of [() => 314159, async () => 314159]) {
    const { re, docs } = makeRE({ scanIdSource: source });
    await re.run(count([]));
    assert.equal(re.md.scan_id, 314159);
    assert.equal(docs.start[0]?.scan_id, 314159);
  }
});

test('test_blueskyversion / test_eventmodelversion (test_metadata.py l.8-19)', () => {
  const { re } = makeRE();
  const versions = re.md.versions as Record<string, unknown>;
  assert.equal(typeof versions.event_model, 'string');
  assert.equal(typeof versions.bluesky_dispatcher, 'string');
});

test('test_uid_passthrough (test_supplemental_data.py l.142)', async () => {
  const { re, docs } = makeRE();
  let uid: unknown;
  await re.run((function* p(): VoidPlan { uid = yield* count([]); })());
  assert.equal(uid, docs.start[0]?.uid);
});

test('test_pause_from_outside (test_examples.py l.140)', async () => {
  const { re } = makeRE();
  function* checkpointing(): VoidPlan {
    for (let i = 0; i < 200; i++) { yield msg('checkpoint'); yield msg('sleep', null, [0.005]); }
  }
  setTimeout(() => re.requestPause(), 20);
  await interrupted(re.run(checkpointing()));
  assert.equal(re.state, 'paused');
  setTimeout(() => re.requestPause(), 20);
  await interrupted(re.resume());
  assert.equal(re.state, 'paused');
  await re.abort();
  assert.equal(re.state, 'idle');
});

test('test_infinite_count (test_new_examples.py l.801)', async () => {
  const { re, docs } = makeRE();
  const det = new Detector();
  setTimeout(() => { void re.stop(); }, 30);
  await interrupted(re.run(count([det], Infinity)));
  assert.equal(docs.start.length, 1);
  assert.equal(Object.keys(docs.stop).length, 1);
  assert.equal(docs.docs('descriptor').length, 1);
  assert.ok(docs.docs('event').length >= 1);
});

test('test_verbose-like smoke: a full open/declare/create/read/save/close plan (test_run_engine.py l.124)', async () => {
  const { re, msgs, docs } = makeRE();
  const det = new Detector();
  await re.run([msg('open_run'), msg('declare_stream', null, [det], { name: 'primary' }), msg('create', null, [], { name: 'primary' }), msg('read', det), msg('save'), msg('close_run')]);
  assert.equal(commands(msgs).length, 6);
  assert.deepEqual(docs.names(), ['start', 'descriptor', 'event', 'stop']);
});
