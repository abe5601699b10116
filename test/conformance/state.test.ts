/**
 * Catalogue section A: the state machine and API legality.
 * Re-expressed from bluesky src/bluesky/tests/test_run_engine.py.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { RunEngine, STATES } from '../../src/engine/index.js';
import { RunEngineError, TransitionError } from '../../src/model/errors.js';
import { assertAllDocumentsValid, interrupted, makeRE, msg } from './fixtures.js';

afterEach(assertAllDocumentsValid);

/** A control verb in the wrong state raises TransitionError, synchronously or as a rejection. */
async function rejectsTransition(f: () => unknown): Promise<void> {
  await assert.rejects(async () => { await f(); }, TransitionError);
}

test('test_states (test_run_engine.py l.54)', () => {
  assert.deepEqual([...STATES], ['idle', 'running', 'pausing', 'paused', 'halting', 'stopping', 'aborting', 'suspending', 'panicked']);
  assert.equal(new RunEngine().state, 'idle');
});

test('test_state_is_readonly (test_run_engine.py l.76)', () => {
  const re = new RunEngine();
  assert.throws(() => { (re as unknown as { state: string }).state = 'running'; }, TypeError);
  assert.equal(re.state, 'idle');
});

test('test_state_hook (test_run_engine.py l.1383)', async () => {
  const states: Array<[string, string]> = [];
  const { re } = makeRE({ stateHook: (n, o) => { states.push([n, o]); } });
  await interrupted(re.run([msg('open_run'), msg('pause'), msg('close_run')]));
  await re.resume();
  assert.deepEqual(states, [
    ['running', 'idle'], ['pausing', 'running'], ['paused', 'pausing'], ['running', 'paused'], ['idle', 'running'],
  ]);
});

test('test_bad_from_idle_transitions (test_run_engine.py l.1363)', async () => {
  const { re } = makeRE();
  await rejectsTransition(() => re.stop());
  await rejectsTransition(() => re.abort());
  await rejectsTransition(() => re.halt());
  await rejectsTransition(() => re.requestPause());
  await rejectsTransition(() => re.requestPause(true));
  await rejectsTransition(() => re.resume());
  assert.equal(re.state, 'idle');
});

test('test_stopping/pausing/aborting_from_idle_state_raises (test_run_engine.py l.172-186)', async () => {
  const { re } = makeRE();
  await rejectsTransition(() => re.stop());
  assert.throws(() => re.requestPause(false), TransitionError);
  await rejectsTransition(() => re.abort());
});

test('test_running_from_paused_state_raises (test_run_engine.py l.149)', async () => {
  const { re } = makeRE();
  await interrupted(re.run([msg('pause')]));
  assert.equal(re.state, 'paused');
  await assert.rejects(re.run([msg('null')]), RunEngineError);
  await re.resume();
  assert.equal(re.state, 'idle');
  await re.run([msg('null')]);
});

test('test_resuming_from_idle_state_raises (test_run_engine.py l.160)', async () => {
  const { re } = makeRE();
  await rejectsTransition(() => re.resume());
  await interrupted(re.run([msg('pause')]));
  assert.equal(re.state, 'paused');
  await re.resume();
  assert.equal(re.state, 'idle');
  await rejectsTransition(() => re.resume());
});

test('test_bad_call_args (test_run_engine.py l.489)', async () => {
  const { re } = makeRE();
  await assert.rejects(re.run(53 as never), TypeError);
  assert.equal(re.state, 'idle');
});

test('test_reset (test_run_engine.py l.140)', async () => {
  const { re, docs } = makeRE();
  await interrupted(re.run([msg('open_run'), msg('pause')]));
  await re.reset();
  assert.equal(re.state, 'idle');
  // The open run bundler is gone: opening a run again is legal.
  await re.run([msg('open_run'), msg('close_run')]);
  assert.equal(docs.start.length >= 1, true);
});

test('test_self_describe (test_run_engine.py l.1909)', async () => {
  const { re } = makeRE();
  let cls: unknown;
  await re.run((function* p() { cls = yield msg('RE_class'); })());
  assert.equal(cls, RunEngine);
});

test('test_print_commands (test_run_engine.py l.1858): commands list the registry', () => {
  const { re } = makeRE();
  for (const c of ['declare_stream', 'create', 'save', 'drop', 'read', 'open_run', 'close_run', 'wait_for', 'pause', 'checkpoint']) {
    assert.ok(re.commands.includes(c), c);
  }
});
