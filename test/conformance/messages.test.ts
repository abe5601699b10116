/**
 * Catalogue sections B and J: message semantics, illegal sequences, monitors.
 * Re-expressed from bluesky test_run_engine.py and test_examples.py.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { IllegalMessageSequence, InvalidCommand, RunEngineError } from '../../src/model/errors.js';
import { Detector, Motor, assertAllDocumentsValid, makeRE, type VoidPlan, msg } from './fixtures.js';

afterEach(assertAllDocumentsValid);

test('test_register (test_run_engine.py l.187)', async () => {
  const { re } = makeRE();
  const mutable: Record<string, boolean> = {};
  re.registerCommand('custom-command', async () => { mutable.flag = true; });
  await re.run((function* plan(): VoidPlan { yield msg('custom-command'); })());
  assert.equal(mutable.flag, true);
  re.unregisterCommand('custom-command');
  await assert.rejects(re.run([msg('custom-command')]), (e: unknown) => e instanceof InvalidCommand && e.message === "'custom-command'");
  assert.equal(re.state, 'idle');
});

test('test_open_run_twice_is_illegal (test_run_engine.py l.271)', async () => {
  const { re } = makeRE();
  await assert.rejects(re.run([msg('open_run'), msg('open_run')]), IllegalMessageSequence);
});

test('test_saving_without_an_open_bundle_is_illegal (test_run_engine.py l.276)', async () => {
  const { re } = makeRE();
  await assert.rejects(re.run([msg('open_run'), msg('save')]), IllegalMessageSequence);
});

test('test_dropping_without_an_open_bundle_is_illegal (test_run_engine.py l.281)', async () => {
  const { re } = makeRE();
  await assert.rejects(re.run([msg('open_run'), msg('drop')]), IllegalMessageSequence);
});

test('test_opening_a_bundle_without_a_run_is_illegal (test_run_engine.py l.286)', async () => {
  const { re } = makeRE();
  await assert.rejects(re.run([msg('create', null, [], { name: 'primary' })]), IllegalMessageSequence);
});

test('test_checkpoint_inside_a_bundle_is_illegal (test_run_engine.py l.291)', async () => {
  const { re, docs } = makeRE();
  await assert.rejects(re.run([msg('open_run'), msg('create', null, [], { name: 'primary' }), msg('checkpoint')]), IllegalMessageSequence);
  // The engine closed the run it left open, with exit_status 'fail'.
  const [start] = docs.start;
  assert.equal(docs.stop[String(start?.uid)]?.exit_status, 'fail');
});

test('test_illegal_sequences (test_examples.py l.507)', async () => {
  const { re } = makeRE();
  const motor = new Motor();
  const open = [msg('open_run'), msg('declare_stream', null, [], { name: 'primary' }), msg('create', null, [], { name: 'primary' })];
  // two 'create' in a row
  await assert.rejects(re.run([...open, msg('create', null, [], { name: 'primary' }), msg('close_run')]), IllegalMessageSequence);
  // two 'save' in a row
  await assert.rejects(re.run([...open, msg('save'), msg('save'), msg('close_run')]), IllegalMessageSequence);
  // 'configure' between 'create' and 'save'
  await assert.rejects(re.run([...open, msg('configure', motor, [{}])]), IllegalMessageSequence);
  // two 'drop' in a row
  await assert.rejects(re.run([...open, msg('drop'), msg('drop'), msg('close_run')]), IllegalMessageSequence);
  assert.equal(re.state, 'idle');
});

test('test_duplicate_keys (test_examples.py l.490)', async () => {
  const { re } = makeRE();
  const det = new Detector('det');
  const identical = new Detector('det');
  await assert.rejects(re.run([
    msg('open_run'), msg('create', null, [], { name: 'primary' }), msg('read', det), msg('read', identical), msg('save'),
  ]), /collide/);
});

test('test_broken_read_exception (test_run_engine.py l.1886)', async () => {
  const { re } = makeRE();
  const broken = { name: 'broken', read: () => null, describe: () => ({}) };
  await assert.rejects(re.run([msg('read', broken)]), RunEngineError);
});

test('test_list_of_msgs (test_examples.py l.266)', async () => {
  const { re, docs } = makeRE();
  const det = new Detector();
  await re.run([msg('open_run'), msg('create', null, [], { name: 'primary' }), msg('read', det), msg('save'), msg('close_run')]);
  assert.deepEqual(docs.names(), ['start', 'descriptor', 'event', 'stop']);
});

test('test_custom_stream_name, strict mode (test_new_examples.py l.952)', async () => {
  const { re } = makeRE({ requireStreamDeclaration: true });
  const det = new Detector();
  await assert.rejects(re.run([msg('open_run'), msg('create', null, [], { name: 'primary' })]), IllegalMessageSequence);
  await re.run([
    msg('open_run'), msg('declare_stream', null, [det], { name: 'primary' }), msg('create', null, [], { name: 'primary' }),
    msg('read', det), msg('save'), msg('close_run'),
  ]);
});

class Dummy {
  readonly name: string;
  constructor(name: string) { this.name = name; }
  readConfiguration(): Record<string, never> { return {}; }
  describeConfiguration(): Record<string, never> { return {}; }
  describe(): Record<string, never> { return {}; }
  read(): Record<string, never> { return {}; }
  subscribe(): void {}
  clearSub(): void {}
}

test('test_redundant_monitors_are_illegal (test_run_engine.py l.296)', async () => {
  const { re } = makeRE();
  const dummy = new Dummy('dummy');
  await assert.rejects(re.run([msg('open_run'), msg('monitor', dummy), msg('monitor', dummy)]), IllegalMessageSequence);
  // monitor, unmonitor, monitor again is legal
  await re.run([msg('open_run'), msg('monitor', dummy), msg('unmonitor', dummy), msg('monitor', dummy)]);
  // monitoring outside a run is illegal
  await assert.rejects(re.run([msg('monitor', dummy)]), IllegalMessageSequence);
  // unmonitoring something never monitored is illegal
  await assert.rejects(re.run([msg('unmonitor', dummy)]), IllegalMessageSequence);
});
