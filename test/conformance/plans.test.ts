/**
 * Catalogue section M cases that need the plan library (src/plans), run
 * through our RunEngine and compared at message level.
 * Re-expressed from bluesky test_new_examples.py and test_supplemental_data.py.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { completedStatus } from '../../src/model/status.js';
import { SupplementalData, triggerAndRead } from '../../src/plans/index.js';
import { Detector, SimSignal, type VoidPlan, assertAllDocumentsValid, commands, makeRE, msg } from './fixtures.js';

afterEach(assertAllDocumentsValid);

test('test_trigger_and_read (test_new_examples.py l.722)', async () => {
  for (const name of ['primary', 'custom']) {
    const { re, msgs, docs } = makeRE();
    const det = new Detector();
    await re.run((function* p(): VoidPlan { yield msg('open_run'); yield* triggerAndRead([det], name); yield msg('close_run'); })());
    assert.deepEqual(commands(msgs), ['open_run', 'trigger', 'wait', 'create', 'read', 'save', 'close_run']);
    const wait = msgs[2];
    assert.equal(wait?.kwargs.error_on_timeout, true);
    assert.deepEqual([...(wait?.kwargs.watch as unknown[] ?? [])], []);
    assert.equal(msgs[3]?.kwargs.name, name);
    assert.equal(docs.docs('descriptor')[0]?.name, name);
  }
});

test('test_order (test_supplemental_data.py l.85), run through the RunEngine', async () => {
  const { re, msgs } = makeRE();
  const det2 = new Detector('det2');
  const rand = new SimSignal('rand', 0);
  const flyer1 = {
    name: 'flyer1', parent: null,
    kickoff: () => completedStatus(), complete: () => completedStatus(),
    describeCollect: () => ({ flyer1_stream: { flyer1_x: { source: 'SIM:x', dtype: 'number' as const, shape: [] } } }),
    collect: () => [{ data: { flyer1_x: 1 }, timestamps: { flyer1_x: 1 }, time: 1 }],
  };
  const sd = new SupplementalData({ baseline: [det2], flyers: [flyer1], monitors: [rand] });
  re.preprocessors.push(sd);
  await re.run([msg('open_run'), msg('null'), msg('close_run')]);
  assert.deepEqual(commands(msgs), [
    'open_run',
    'declare_stream', 'trigger', 'wait', 'create', 'read', 'save', // baseline
    'monitor', // monitors
    'kickoff', 'wait', // flyers
    'null', // plan
    'complete', 'wait', 'collect', // flyers
    'unmonitor', // monitors
    'trigger', 'wait', 'create', 'read', 'save', // baseline
    'close_run',
  ]);
});
