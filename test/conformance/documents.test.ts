/**
 * Catalogue sections C, D, E and N: bundling, descriptors, events, stop
 * documents, metadata, subscriptions and multiple runs.
 * Re-expressed from bluesky test_run_engine.py, test_examples.py,
 * test_callbacks.py and test_multi_runs.py.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { RunEngineResult } from '../../src/engine/index.js';
import type { DocumentName } from '../../src/model/documents.js';
import type { Plan } from '../../src/model/msg.js';
import {
  ConfigDetector, Detector, Motor, assertAllDocumentsValid, baselineWrapper, count, makeRE, type VoidPlan, mov, msg, runWrapper,
  triggerAndRead, withRunKey,
} from './fixtures.js';

afterEach(assertAllDocumentsValid);

const firstUid = (r: string[] | RunEngineResult): string => String(Array.isArray(r) ? r[0] : r.runStartUids[0]);

test('test_empty_bundle (test_run_engine.py l.336)', async () => {
  const { re } = makeRE();
  const det = new Detector();
  let flag = false;
  const cb = (): void => { flag = true; };
  await re.run([
    msg('open_run'), msg('declare_stream', null, [det], { name: 'primary' }), msg('create', null, [], { name: 'primary' }),
    msg('read', det), msg('save'),
  ], { event: cb });
  assert.equal(flag, true);
  flag = false;
  await re.run([
    msg('open_run'), msg('declare_stream', null, [], { name: 'primary' }), msg('create', null, [], { name: 'primary' }), msg('save'),
  ], { event: cb });
  assert.equal(flag, false);
});

test('test_drop (test_run_engine.py l.1798)', async () => {
  const { re } = makeRE();
  const det = new Detector();
  function* inner(end: 'drop' | 'save'): VoidPlan {
    yield msg('create', null, [], { name: 'primary' });
    yield msg('read', det);
    yield msg(end);
  }
  function* plan(): VoidPlan {
    yield msg('open_run');
    yield msg('declare_stream', null, [det], { name: 'primary' });
    yield* inner('drop');
    yield* inner('save');
    yield* inner('drop');
    yield* inner('save');
    yield* inner('save');
    yield msg('close_run');
  }
  const events: object[] = [];
  await re.run(plan(), (name: DocumentName, doc: object) => { if (name === 'event') events.push(doc); });
  assert.equal(events.length, 3);
});

test('test_configure_multiple_descritpors (test_run_engine.py l.2194)', async () => {
  const { re, docs } = makeRE();
  const det = new ConfigDetector('det');
  await re.run(runWrapper((function* plan(): VoidPlan {
    yield msg('configure', det, [{ z: 3 }]); // no descriptor yet: nothing emitted
    yield msg('declare_stream', null, [det], { name: 'primary' });
    yield* triggerAndRead([det]);
    yield msg('configure', det, [{ z: 4 }]); // re-describes the stream
    yield* triggerAndRead([det]);
  })()));
  const [start] = docs.start;
  const uid = String(start?.uid);
  const descs = docs.descriptor[uid] ?? [];
  assert.equal(descs.length, 2);
  const z = (d: unknown): unknown => (d as { configuration: { det: { data: { z: unknown } } } }).configuration.det.data.z;
  assert.equal(z(descs[0]), 3);
  assert.equal(z(descs[1]), 4);
  for (const d of descs) assert.equal(docs.event[String(d.uid)]?.length, 1);
  assert.deepEqual((docs.stop[uid] as { num_events: unknown }).num_events, { primary: 2 });
});

test('test_new_ev_desc (test_examples.py l.554)', async () => {
  const motor = new Motor();
  const readMotor = [msg('create', null, [], { name: 'primary' }), msg('read', motor), msg('save')];
  const declare = msg('declare_stream', null, [motor], { name: 'primary' });
  const configure = msg('configure', motor, [{}]);
  const cases: Array<[unknown[], number]> = [
    // configure between two events -> two descriptors
    [[msg('open_run'), declare, ...readMotor, configure, ...readMotor, msg('close_run')], 2],
    // configure before any event and between events -> two
    [[msg('open_run'), configure, declare, ...readMotor, configure, ...readMotor, msg('close_run')], 2],
    // configure only before any event -> one
    [[msg('open_run'), configure, declare, ...readMotor, ...readMotor, msg('close_run')], 1],
  ];
  (motor as unknown as { configure: (d: object) => [object, object] }).configure = () => [{}, {}];
  for (const [plan, n] of cases) {
    const { re, docs } = makeRE();
    await re.run(plan as never);
    assert.equal(docs.docs('descriptor').length, n);
  }
});

for (const callReturnsResult of [false, true]) {
  for (const predeclare of [false, true]) {
    test(`test_num_events [callReturnsResult=${callReturnsResult}, predeclare=${predeclare}] (test_run_engine.py l.1663)`, async () => {
      const { re, docs } = makeRE({ callReturnsResult });
      const det = new Detector();
      const stopOf = (r: string[] | RunEngineResult): unknown => (docs.stop[firstUid(r)] as { num_events: unknown }).num_events;
      assert.deepEqual(stopOf(await re.run(count([], 1, { predeclare }))), predeclare ? { primary: 0 } : {});
      assert.deepEqual(stopOf(await re.run(count([det], 5, { predeclare }))), { primary: 5 });
      re.preprocessors.push(baselineWrapper([det]));
      assert.deepEqual(stopOf(await re.run(count([], 1, { predeclare }))), predeclare ? { primary: 0, baseline: 2 } : { baseline: 2 });
      assert.deepEqual(stopOf(await re.run(count([det], 5, { predeclare }))), { primary: 5, baseline: 2 });
    });
  }
}

test('test_double_call (test_run_engine.py l.1655)', async () => {
  for (const callReturnsResult of [false, true]) {
    const { re } = makeRE({ callReturnsResult });
    assert.notEqual(firstUid(await re.run(count([]))), firstUid(await re.run(count([]))));
  }
});

test('test_md_dict (test_examples.py l.214)', async () => {
  const { re } = makeRE({ ignoreCallbackExceptions: false });
  const motor = new Motor();
  const simpleScan = (): Plan => runWrapper((function* p(): VoidPlan {
    yield* mov([motor, 1]);
    yield* triggerAndRead([motor]);
  })());
  const has = (key: string, val: unknown) => (_n: DocumentName, doc: object): void => { assert.equal((doc as Record<string, unknown>)[key], val); };
  const hasNot = (key: string) => (_n: DocumentName, doc: object): void => { assert.ok(!Object.hasOwn(doc, key)); };
  await re.run(simpleScan(), null, { project: 'sitting' });
  // call metadata does not persist ...
  await re.run(simpleScan(), { start: [hasNot('project')] });
  // ... unless it is put in RE.md
  re.md.project = 'sitting';
  await re.run(simpleScan(), { start: [has('project', 'sitting')] });
  // a call kwarg overrides RE.md for that run ...
  await re.run(simpleScan(), { start: [has('project', 'standing')] }, { project: 'standing' });
  // ... without modifying RE.md
  assert.equal(re.md.project, 'sitting');
  // a failing assertion inside a callback would have rejected run(): make sure callbacks can fail it
  await assert.rejects(re.run(simpleScan(), { start: [has('project', 'elsewhere')] }));
});

test('test_sample_md_dict_requirement (test_examples.py l.206)', async () => {
  const { re } = makeRE();
  await assert.rejects(re.run(count([]), null, { sample: 1 }));
  await re.run(count([]), null, { sample: { number: 1 } });
  await re.run(count([]), null, { sample: 'label' });
});

test('test_custom_metadata (test_documents.py l.16)', async () => {
  const { re, docs } = makeRE();
  await re.run(count([]), null, { animal: 'lion' });
  assert.equal(docs.start[0]?.animal, 'lion');
});

test('test_raising_ignored_or_not (test_callbacks.py l.56)', async () => {
  const { re } = makeRE({ ignoreCallbackExceptions: true });
  const det = new Detector();
  const motor = new Motor();
  const stepscan = (): Plan => runWrapper((function* p(): VoidPlan {
    for (let i = 0; i < 3; i++) { yield* mov([motor, i]); yield* triggerAndRead([det, motor]); }
  })());
  const cb = (): void => { throw new Error('boom'); };
  const warnings: string[] = [];
  re.on('warning', (text) => { warnings.push(text); });
  assert.equal(re.ignoreCallbackExceptions, true);
  await re.run(stepscan(), cb);
  assert.ok(warnings.length > 0);
  re.ignoreCallbackExceptions = false;
  await assert.rejects(re.run(stepscan(), cb), /boom/);
  assert.equal(re.state, 'idle');
});

test('test_all / test_calltime_subscription / test_stateful_subscription (test_callbacks.py l.44, test_examples.py l.172)', async () => {
  const { re } = makeRE();
  const det = new Detector();
  const motor = new Motor();
  const stepscan = (): Plan => runWrapper((function* p(): VoidPlan {
    for (let i = 0; i < 10; i++) { yield* mov([motor, i]); yield* triggerAndRead([det, motor]); }
  })());
  let n = 0;
  await re.run(stepscan(), { all: () => { n += 1; } });
  assert.equal(n, 13);
  n = 0;
  const token = re.subscribe(() => { n += 1; });
  await re.run(stepscan());
  re.unsubscribe(token);
  assert.equal(n, 13);
  let events = 0;
  re.subscribe(() => { events += 1; }, 'event');
  await re.run(stepscan());
  assert.equal(events, 10);
});

test('test_subscribe_msg (test_callbacks.py l.72)', async () => {
  const { re } = makeRE();
  let c = 0;
  const counter = (): void => { c += 1; };
  const counting = (): Plan => (function* p(): VoidPlan { yield msg('subscribe', null, [counter, 'start']); yield* count([]); })();
  await re.run(counting());
  assert.equal(c, 1);
  await re.run(counting());
  assert.equal(c, 2);
  await re.run(count([]));
  assert.equal(c, 2);
});

test('test_unknown_cb_raises (test_callbacks.py l.88)', () => {
  const { re } = makeRE();
  assert.throws(() => re.subscribe(() => {}, 'not a thing' as never));
});

test('test_multirun_smoke (test_multi_runs.py l.10)', async () => {
  const { re, docs } = makeRE();
  const det = new Detector();
  const motor = new Motor();
  function* interlaced(): VoidPlan {
    const toRead = [motor, det];
    const runs = ['run_one', 'run_two', 'run_three'];
    for (const rid of runs) {
      yield* withRunKey([msg('open_run', null, [], { [rid]: rid })], rid);
      yield* withRunKey([msg('declare_stream', null, toRead, { name: 'primary' })], rid);
    }
    for (let j = 0; j < 5; j++) {
      for (const [i, rid] of runs.entries()) {
        yield* mov([motor, j + 0.1 * i]);
        yield* withRunKey(triggerAndRead(toRead), rid);
      }
    }
    for (const rid of runs) yield* withRunKey([msg('close_run')], rid);
  }
  await re.run(interlaced());
  assert.equal(docs.start.length, 3);
  for (const start of docs.start) {
    const descs = docs.descriptor[String(start.uid)] ?? [];
    assert.equal(descs.length, 1);
    assert.equal(docs.event[String(descs[0]?.uid)]?.length, 5);
  }
  for (const stop of Object.values(docs.stop)) {
    for (const start of docs.start) assert.ok(Number(start.time) < Number(stop.time));
  }
});

test('test_multirun_smoke_fail (test_multi_runs.py l.124)', async () => {
  const { re, docs } = makeRE();
  function* plan(): Plan {
    for (const rid of ['a', 'b', 'c']) yield* withRunKey([msg('open_run')], rid);
    throw new Error('womp womp');
  }
  await assert.rejects(re.run(plan()), /womp womp/);
  const stops = Object.values(docs.stop);
  assert.equal(stops.length, 3);
  for (const s of stops) { assert.equal(s.exit_status, 'fail'); assert.equal(s.reason, 'womp womp'); }
});

test('test_exceptions_exit_status (test_run_engine.py l.1747)', async () => {
  const { re, docs } = makeRE();
  class Snowflake extends Error {}
  const bad = runWrapper((function* p(): Plan { yield msg('null'); throw new Snowflake('boo'); })());
  await assert.rejects(re.run(bad), Snowflake);
  assert.equal(docs.start.length, 1);
  const stop = docs.stop[String(docs.start[0]?.uid)];
  assert.equal(Object.keys(docs.stop).length, 1);
  assert.equal(stop?.exit_status, 'fail');
  assert.equal(stop?.reason, 'boo');
});
