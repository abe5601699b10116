/**
 * Catalogue sections E and M, the parts exercised through the RunEngine:
 * preprocessors (RunEngine `preprocessors` option, with local wrappers),
 * subs_wrapper under interruptions, and callback failures.
 * Re-expressed from bluesky test_run_engine.py and test_callbacks.py.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { RunEngine } from '../../src/engine/index.js';
import type { DocumentName } from '../../src/model/documents.js';
import type { Msg, Plan } from '../../src/model/msg.js';
import {
  Detector, assertAllDocumentsValid, commands, interrupted, makeRE, type VoidPlan, msg, runWrapper, subsWrapper,
} from './fixtures.js';

afterEach(assertAllDocumentsValid);

test('test_preprocessors (test_run_engine.py l.1416): the last preprocessor is outermost', async () => {
  // A bare RunEngine (no collector subscribed) so the plan's subscription gets token 0, as upstream.
  const msgs: Msg[] = [];
  const re = new RunEngine({ msgHook: (m) => { msgs.push(m); } });
  const mySub = (): void => {};
  function* customCleanup(plan: Plan): VoidPlan {
    yield* plan;
    yield msg('null', 'cleanup');
  }
  const customSubs = (plan: Plan): Plan => subsWrapper(plan, mySub);
  re.preprocessors = [customCleanup, customSubs];
  await re.run([msg('null')]);
  assert.deepEqual(msgs, [
    msg('subscribe', null, [mySub, 'all']),
    msg('null'),
    msg('null', 'cleanup'),
    msg('unsubscribe', null, [], { token: 0 }),
  ]);
});

const interruptions: Array<[string, (re: RunEngine) => Promise<unknown>, number, number]> = [
  ['stop', (re) => re.stop(), 1, 5],
  ['abort', (re) => re.abort(), 1, 5],
  ['halt', (re) => re.halt(), 1, 3],
];

for (const [name, fn, stopNum, msgNum] of interruptions) {
  test(`test_interrupted_with_callbacks [${name}] (test_callbacks.py l.425)`, async () => {
    const { re, msgs } = makeRE();
    const docs: Record<string, object[]> = {};
    const collector = (n: DocumentName, d: object): void => { (docs[n] ??= []).push(d); };
    await interrupted(re.run(subsWrapper(runWrapper((function* p(): VoidPlan { yield msg('pause'); })()), collector)));
    await fn(re);
    assert.equal(docs.start?.length, 1);
    assert.equal(docs.event?.length ?? 0, 0);
    assert.equal(docs.descriptor?.length ?? 0, 0);
    assert.equal(docs.stop?.length, stopNum);
    // subscribe, open_run, pause (+ close_run, unsubscribe when the plan may clean up)
    assert.equal(msgs.length, msgNum, commands(msgs).join(','));
  });
}

test('test_failing_describe_callback (test_run_engine.py l.1827)', async () => {
  const { re, msgs } = makeRE();
  class TestException extends Error {}
  const det = new Detector('det');
  const det2 = new Detector('det2');
  re.subscribe((_n, doc) => {
    if (Object.hasOwn((doc as { data_keys: object }).data_keys, 'det')) throw new TestException('evil');
  }, 'descriptor');
  function* plan(): VoidPlan {
    yield msg('open_run');
    try {
      yield msg('declare_stream', null, [det], { name: 'det1' });
      yield msg('create', null, [], { name: 'det1' });
      yield msg('read', det);
      yield msg('save');
    } finally {
      yield msg('declare_stream', null, [det2], { name: 'det2' });
      yield msg('create', null, [], { name: 'det2' });
      yield msg('read', det2);
      yield msg('save');
    }
    yield msg('close_run');
  }
  await assert.rejects(re.run(plan()), TestException);
  // the plan's finally still ran
  assert.ok(commands(msgs).filter((c) => c === 'save').length === 1);
});

test('test_unsubscribe (test_run_engine.py l.1938) and token numbering (test_old_subscribe l.1560)', () => {
  const { re } = makeRE(); // its collector holds token 0
  const f = (): void => {};
  const t1 = re.subscribe(f);
  const t2 = re.subscribe(f, 'start');
  assert.deepEqual([t1, t2], [1, 2]);
  for (let i = 0; i < 3; i++) re.unsubscribe(re.subscribe(f));
  re.unsubscribe(t1);
  re.unsubscribe(t2);
  re.unsubscribe(12345); // unknown tokens are ignored
});
