/**
 * Catalogue section H: status objects, `wait`, `wait_for`.
 * Re-expressed from bluesky test_examples.py and test_run_engine.py.
 * Upstream delays are scaled down (1 s -> 50 ms, 0.1 s -> 20 ms); ordering kept, bounds generous.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { FailedStatus, WaitForTimeoutError } from '../../src/model/errors.js';
import { StatusBase, completedStatus, failedStatus } from '../../src/model/status.js';
import { assertAllDocumentsValid, delayedStatus, makeRE, type VoidPlan, msg } from './fixtures.js';

afterEach(assertAllDocumentsValid);

/** device_pair: stage() hands out a fresh pending status the plan can finish. */
class StageDevice {
  readonly name: string;
  constructor(name: string) { this.name = name; }
  stage(): StatusBase { return new StatusBase({ label: this.name }); }
  unstage(): StatusBase { return completedStatus(this.name); }
}
const wait = (group: string, kw: Record<string, unknown> = {}) => msg('wait', null, [], { group, ...kw });

test('test_failed_status_object (test_examples.py l.641)', async () => {
  const { re } = makeRE();
  const failer = {
    name: 'failer',
    set: () => delayedStatus(50, true),
    trigger: () => delayedStatus(50, true),
    stop: () => {},
  };
  await assert.rejects(re.run([msg('set', failer, [null], { group: 'a' }), wait('a')]), FailedStatus);
  await assert.rejects(re.run([msg('trigger', failer, [], { group: 'a' }), wait('a')]), FailedStatus);
  assert.equal(re.state, 'idle');
});

test('test_wait_with_timeout_can_be_repeated (test_run_engine.py l.1482)', async () => {
  const { re } = makeRE();
  let st: StatusBase | null = null;
  const dummy = { name: 'dummy', set: () => (st = new StatusBase()) };
  const timeouts: unknown[] = [];
  await re.run((function* plan(): VoidPlan {
    yield msg('set', dummy, [1], { group: 'test' });
    try { yield wait('test', { timeout: 0.02 }); } catch (e) { timeouts.push(e); }
    try { yield wait('test', { timeout: 0.02 }); } catch (e) { timeouts.push(e); }
    (st as StatusBase | null)?.setFinished();
    yield wait('test');
  })());
  assert.equal(timeouts.length, 2);
  for (const e of timeouts) assert.ok(e instanceof WaitForTimeoutError);
});

test('test_exceptions_kill_run_and_failed_status_holds_detail / test_status_propagates_exception (test_run_engine.py l.1461, l.1506)', async () => {
  const { re } = makeRE();
  const cause = new Error('the device says no');
  const dummy = { name: 'dummy', set: () => failedStatus(cause) };
  await assert.rejects(re.run([msg('set', dummy, [1], { group: 'test' }), wait('test')]),
    (e: unknown) => e instanceof FailedStatus && e.cause === cause);
});

test('test_abs_set_fails (test_run_engine.py l.2284): a failed status raises even without wait', async () => {
  const { re } = makeRE();
  const dummy = { name: 'dummy', set: () => failedStatus(new Error('nope')) };
  await assert.rejects(re.run([msg('set', dummy, [1], { group: 'g' }), msg('null'), msg('null')]), FailedStatus);
});

test('test_pardon_failures (test_run_engine.py l.1442)', async () => {
  const { re } = makeRE();
  const st = new StatusBase();
  const dummy = { name: 'dummy', set: () => st };
  await re.run([msg('set', dummy, [1])]);
  st.setException(new Error('late'));
  await re.run([msg('null')]);
});

test('test_wait_with_timeout (test_run_engine.py l.1961)', async () => {
  for (const setFinished of [true, false]) {
    const { re } = makeRE();
    const plan = (function* p(): VoidPlan {
      const status = (yield msg('stage', new StageDevice('a'), [], { group: 'test_group' })) as StatusBase;
      if (setFinished) status.setFinished();
      yield wait('test_group', { timeout: 0.02 });
    })();
    if (setFinished) await re.run(plan);
    else await assert.rejects(re.run(plan), WaitForTimeoutError);
  }
});

test('test_wait_then_add_to_groups (test_run_engine.py l.1975)', async () => {
  const { re } = makeRE();
  const seen: unknown[] = [];
  await re.run((function* p(): VoidPlan {
    const s1 = (yield msg('stage', new StageDevice('a'), [], { group: 'g' })) as StatusBase;
    seen.push(yield wait('g', { timeout: 0.001, error_on_timeout: false }));
    const s2 = (yield msg('stage', new StageDevice('b'), [], { group: 'g' })) as StatusBase;
    seen.push(yield wait('g', { timeout: 0.001, error_on_timeout: false }));
    s1.setFinished();
    s2.setFinished();
    seen.push(yield wait('g', { timeout: 0.001 }));
  })());
  assert.deepEqual(seen, [false, false, true]);
});

test('test_wait_when_one_status_returns_raises (test_run_engine.py l.2006)', async () => {
  for (const [raises, excp] of [[true, FailedStatus], [false, WaitForTimeoutError]] as const) {
    const { re } = makeRE();
    const t0 = Date.now();
    await assert.rejects(re.run((function* p(): VoidPlan {
      yield msg('stage', new StageDevice('a'), [], { group: 'g' });
      const s2 = (yield msg('stage', new StageDevice('b'), [], { group: 'g' })) as StatusBase;
      setTimeout(() => (raises ? s2.setException(new Error('failed')) : s2.setFinished()), 10);
      yield wait('g', { timeout: 0.4 });
    })()), excp);
    const dt = Date.now() - t0;
    // a failure ends the wait early; otherwise the timeout does
    if (raises) assert.ok(dt < 300, `${dt} ms`); else assert.ok(dt >= 390, `${dt} ms`);
  }
});

test('test_wait_returns_based_on_watch_raises (test_run_engine.py l.2027)', async () => {
  for (const [raises, excp] of [[true, FailedStatus], [false, WaitForTimeoutError]] as const) {
    const { re } = makeRE();
    await assert.rejects(re.run((function* p(): VoidPlan {
      yield msg('stage', new StageDevice('a'), [], { group: 'g' });
      const s2 = (yield msg('stage', new StageDevice('b'), [], { group: 'watch' })) as StatusBase;
      setTimeout(() => (raises ? s2.setException(new Error('failed')) : s2.setFinished()), 10);
      yield wait('g', { timeout: 0.1, watch: ['watch'] });
    })()), excp);
  }
});

test('test_set_finished_before_watch_completes_immediately (test_run_engine.py l.2041)', async () => {
  const { re } = makeRE();
  await re.run((function* p(): VoidPlan {
    const s = (yield msg('stage', new StageDevice('a'), [], { group: 'g' })) as StatusBase;
    s.setFinished();
    yield msg('stage', new StageDevice('b'), [], { group: 'watch' });
    yield wait('g', { timeout: 0.1, watch: ['watch'] });
  })());
});

test('test_set_failed_before_watch_raises_immediately (test_run_engine.py l.2065)', async () => {
  const { re } = makeRE();
  await assert.rejects(re.run((function* p(): VoidPlan {
    const s = (yield msg('stage', new StageDevice('a'), [], { group: 'g' })) as StatusBase;
    yield msg('stage', new StageDevice('b'), [], { group: 'watch' });
    s.setException(new Error('Mock device failed'));
    yield wait('g', { timeout: 1, watch: ['watch'] });
  })()), FailedStatus);
});

test('test_waiting_hook (test_run_engine.py l.1583)', async () => {
  const { re } = makeRE();
  const seen: Array<number | null> = [];
  re.on('waiting', (s) => { seen.push(s === null ? null : s.size); });
  await re.run([msg('set', { name: 'm', set: () => delayedStatus(5, false) }, [1], { group: 'A' }), wait('A')]);
  await re.run([
    msg('set', { name: 'm', set: () => delayedStatus(5, false) }, [1], { group: 'B' }),
    msg('set', { name: 'n', set: () => delayedStatus(5, false) }, [1], { group: 'B' }), wait('B'),
  ]);
  assert.deepEqual(seen, [1, null, 2, null]);
});

test('test_wait_with_planstub_coroutine / _status (test_run_engine.py l.2089, l.2105)', async () => {
  const { re } = makeRE();
  let results: unknown;
  const passing = Promise.resolve(1080);
  await re.run((function* p(): VoidPlan {
    results = yield msg('wait_for', null, [[() => passing, () => Promise.reject(new Error('This is a runtime error'))]]);
  })());
  const [ok, bad] = results as Array<{ status: string; value?: unknown; reason?: unknown }>;
  assert.equal(ok?.status, 'fulfilled');
  assert.equal(ok?.value, 1080);
  assert.equal(bad?.status, 'rejected');
  assert.match(String((bad?.reason as Error).message), /runtime error/);
});

test('test_wait_with_planstub_timeout (test_run_engine.py l.2119)', async () => {
  const { re } = makeRE();
  await assert.rejects(re.run([msg('wait_for', null, [[() => new Promise(() => {})]], { timeout: 0.01 })]),
    (e: unknown) => e instanceof WaitForTimeoutError && e.message === 'Plan failed to complete in the specified time');
});

test('test_stage_and_unstage_are_optional_methods / test_need_both (test_run_engine.py l.379, l.388)', async () => {
  const { re } = makeRE();
  await re.run([msg('stage', { name: 'plain' }), msg('unstage', { name: 'plain' })]);
  const half = { name: 'half', stage: () => { throw new Error('must not be called'); } };
  await re.run([msg('stage', half), msg('unstage', half)]);
});

test('test_unstage_and_log_errors (test_run_engine.py l.236)', async () => {
  const { re } = makeRE();
  const unstaged: string[] = [];
  const mk = (name: string) => ({ name, stage: () => [], unstage: () => { unstaged.push(name); return []; } });
  const a = mk('a');
  const b = mk('b');
  await re.run([msg('stage', a), msg('stage', b)]);
  assert.deepEqual(unstaged.sort(), ['a', 'b']);
  unstaged.length = 0;
  await re.run([msg('stage', b), msg('stage', a), msg('unstage', a)]);
  assert.deepEqual(unstaged.sort(), ['a', 'b']);
});
