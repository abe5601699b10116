/**
 * Catalogue section G: stop, abort, halt, exceptions and exit status.
 * Re-expressed from bluesky test_run_engine.py.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { NO_PLAN_RETURN, type RunEngineResult } from '../../src/engine/index.js';
import {
  GeneratorExit, RequestAbort, RequestStop, isGeneratorExit,
} from '../../src/model/errors.js';
import type { Plan } from '../../src/model/msg.js';
import type { RunEngine } from '../../src/engine/index.js';
import {
  Motor, assertAllDocumentsValid, commands, interrupted, makeRE, type VoidPlan, msg, resetPositions, runWrapper,
} from './fixtures.js';

afterEach(assertAllDocumentsValid);

const bails = [
  ['resume', 'success'], ['stop', 'success'], ['abort', 'abort'], ['halt', 'abort'],
] as const;

for (const callReturnsResult of [false, true]) {
  for (const [bail, status] of bails) {
    test(`test_force_stop_exit_status [${bail}, callReturnsResult=${callReturnsResult}] (test_run_engine.py l.1718)`, async () => {
      const { re, docs } = makeRE({ callReturnsResult });
      const bad = runWrapper((function* p(): VoidPlan { yield msg('pause'); })());
      await interrupted(re.run(bad));
      const rs = await re[bail]();
      let uid: string;
      if (callReturnsResult) {
        const r = rs as RunEngineResult;
        if (bail === 'resume') assert.notEqual(r.planResult, NO_PLAN_RETURN);
        else assert.equal(r.planResult, NO_PLAN_RETURN);
        assert.equal(r.exitStatus, status);
        uid = String(r.runStartUids[0]);
      } else {
        uid = String((rs as string[])[0]);
      }
      assert.equal(docs.start.length, 1);
      assert.equal(docs.start[0]?.uid, uid);
      assert.equal(Object.keys(docs.stop).length, 1);
      assert.equal(docs.stop[uid]?.exit_status, status);
      assert.equal(re.state, 'idle');
    });
  }
}

const unpause: Array<[string, (re: RunEngine) => Promise<unknown>, new (...a: never[]) => Error]> = [
  ['stop', (re) => re.stop(), RequestStop],
  ['abort', (re) => re.abort(), RequestAbort],
  ['halt', (re) => re.halt(), GeneratorExit],
];

for (const [name, fn, excp] of unpause) {
  test(`test_exit_raise [${name}] (test_run_engine.py l.706)`, async () => {
    const { re } = makeRE();
    let flag = false;
    const plan = resetPositions((function* simple(): VoidPlan {
      try {
        yield msg('checkpoint');
        yield msg('pause');
      } catch (e) {
        if (e instanceof excp) flag = true;
        else throw e;
      }
    })());
    await interrupted(re.run(plan));
    await fn(re);
    assert.equal(flag, true);
    assert.equal(re.state, 'idle');
  });
}

test('test_halt_from_pause (test_run_engine.py l.1272)', async () => {
  const { re, msgs } = makeRE();
  let exceptHit = false;
  function* pausing(): VoidPlan {
    for (let j = 0; j < 5; j++) yield msg('null');
    try {
      yield msg('pause');
    } catch (e) {
      if (isGeneratorExit(e)) throw e; // Python: `except Exception` does not catch GeneratorExit
      yield msg('null');
      exceptHit = true;
      throw e;
    }
  }
  await interrupted(re.run(pausing()));
  await re.halt();
  assert.equal(exceptHit, false);
  assert.deepEqual(commands(msgs), ['null', 'null', 'null', 'null', 'null', 'pause']);
});

function sleepingPlan(hit: { value: boolean }): Plan {
  return (function* sleeping(): VoidPlan {
    try {
      yield msg('sleep', null, [50]);
    } catch (e) {
      if (isGeneratorExit(e)) throw e;
      yield msg('null');
      hit.value = true;
      throw e;
    }
  })();
}

test('test_halt_async (test_run_engine.py l.1295)', async () => {
  const { re, msgs } = makeRE();
  const hit = { value: false };
  const t0 = Date.now();
  const timer = setTimeout(() => { void re.halt(); }, 50);
  await interrupted(re.run(sleepingPlan(hit)));
  clearTimeout(timer);
  const dt = (Date.now() - t0) / 1000;
  assert.ok(dt > 0.03 && dt < 5, `took ${dt} s`);
  assert.equal(hit.value, false);
  assert.deepEqual(commands(msgs), ['sleep']);
  assert.equal(re.state, 'idle');
});

const cancels: Array<[string, (re: RunEngine) => unknown]> = [
  ['stop', (re) => re.stop()],
  ['abort', (re) => re.abort()],
  ['request_pause', (re) => re.requestPause(false)],
];

for (const [name, cancel] of cancels) {
  test(`test_prompt_stop [${name}] (test_run_engine.py l.1324)`, async () => {
    const { re, msgs } = makeRE();
    const hit = { value: false };
    const t0 = Date.now();
    setTimeout(() => { void cancel(re); }, 50);
    await interrupted(re.run(sleepingPlan(hit)));
    const dt = (Date.now() - t0) / 1000;
    // After a pause: abort() throws RequestAbort into the plan, which re-raises it (not an error).
    if (re.state !== 'idle') await re.abort();
    assert.ok(dt > 0.03 && dt < 5, `took ${dt} s`);
    assert.equal(hit.value, true);
    assert.deepEqual(commands(msgs), ['sleep', 'null']);
    assert.equal(re.state, 'idle');
  });
}

const unpauseAll: Array<[string, (re: RunEngine) => Promise<unknown>]> = [
  ['stop', (re) => re.stop()],
  ['abort', (re) => re.abort()],
  ['resume', (re) => re.resume()],
];

for (const [name, fn] of unpauseAll) {
  test(`test_cleanup_after_pause [${name}] (test_run_engine.py l.679)`, async () => {
    const { re } = makeRE();
    const motor = new Motor();
    motor.set(1024);
    const simple = resetPositions((function* p(): VoidPlan {
      for (let j = 0; j < 15; j++) yield msg('set', motor, [j]);
      yield msg('pause');
      for (let j = 0; j < 15; j++) yield msg('set', motor, [-j]);
    })());
    await interrupted(re.run(simple));
    assert.equal(motor.position, 14);
    await fn(re);
    assert.equal(motor.position, 1024);
    assert.equal(re.state, 'idle');
  });
}

test('test_stop_motors_and_log_any_errors (test_run_engine.py l.206)', async () => {
  const { re } = makeRE();
  const good = new Motor('good');
  const bad = Object.assign(new Motor('bad'), { stop: () => { throw new Error('cannot stop'); } });
  const warnings: string[] = [];
  re.on('warning', (t) => { warnings.push(t); });
  await interrupted(re.run([msg('set', bad, [1]), msg('set', good, [1]), msg('pause')]));
  assert.equal(good.stops, 1);
  assert.ok(warnings.some((w) => w.includes('bad')));
  await re.stop();
});

test('test_cleanup_pathological_plans: pause then raise (test_run_engine.py l.962)', async () => {
  const { re } = makeRE();
  const motor = new Motor();
  motor.set(7);
  const plan = resetPositions((function* p(): Plan {
    yield msg('set', motor, [3]);
    yield msg('pause');
    throw new Error('after pause');
  })());
  await interrupted(re.run(plan));
  await assert.rejects(re.resume(), /after pause/);
  assert.equal(motor.position, 7);
  // unknown command
  await assert.rejects(re.run(resetPositions((function* p(): VoidPlan {
    yield msg('set', motor, [3]);
    yield msg('aardvark');
  })())), /aardvark/);
  assert.equal(motor.position, 7);
  // pause without checkpoint
  await interrupted(re.run(resetPositions((function* p(): VoidPlan {
    yield msg('set', motor, [3]);
    yield msg('clear_checkpoint');
    yield msg('pause');
  })())));
  assert.equal(motor.position, 7);
});

test('test_invalid_generator (test_run_engine.py l.989)', async () => {
  const { re } = makeRE();
  const motor = new Motor();
  const notices: string[] = [];
  re.on('notice', (t) => { notices.push(t); });
  // Not a valid plan: it yields from `finally`, i.e. also when it is closed.
  function* pathoFinalize(plan: Plan, post: Plan): VoidPlan {
    try { yield* plan; } finally { yield* post; }
  }
  function* base(): VoidPlan {
    for (let j = 0; j < 5; j++) yield msg('set', motor, [j * 2 + 1]);
    yield msg('pause');
  }
  function* post(): VoidPlan { yield msg('set', motor, [500]); }
  function* preSuspend(): Plan {
    yield msg('set', motor, [-500]);
    throw new GeneratorExit('this one');
  }
  await interrupted(re.run(pathoFinalize(base(), post())));
  re.requestSuspend(() => Promise.resolve(), { prePlan: preSuspend() });
  // A GeneratorExit escaping a plan is not an ordinary error: it is not thrown into the
  // plans below; the call fails (Python: ValueError from it) and the rest are closed.
  await assert.rejects(re.resume(), (e: unknown) => e instanceof Error && (e.cause as Error | undefined)?.message === 'this one');
  assert.ok(notices.some((n) => /^The plan .* tried to yield a value on close\.  Please fix your plan\.$/.test(n)), notices.join('|'));
  assert.equal(re.state, 'idle');
});

test('test_rogue_sigint equivalent: abort(reason) on a bare plan (spec §8)', async () => {
  const { re, docs } = makeRE();
  await interrupted(re.run([msg('open_run'), msg('checkpoint'), msg('pause'), msg('close_run')]));
  await re.abort('my reason');
  const stop = Object.values(docs.stop)[0];
  assert.equal(stop?.exit_status, 'abort');
  assert.equal(stop?.reason, 'my reason');
});

for (const verb of ['abort', 'halt'] as const) {
  test(`spec §3.2: ${verb}() while 'pausing' (a slow device pause) ends the run with exit_status abort`, async () => {
    const { re, docs } = makeRE();
    const states: string[] = [];
    re.on('state', (n) => { states.push(n); });
    const slow = { name: 'slow', pause: () => new Promise<void>((r) => setTimeout(r, 30)), resume: () => {} };
    const run = re.run([msg('open_run'), msg('null', slow), msg('pause'), msg('close_run')]);
    setTimeout(() => { assert.equal(re.state, 'pausing'); void re[verb](); }, 10);
    await interrupted(run);
    assert.deepEqual(states, ['running', 'pausing', verb === 'abort' ? 'aborting' : 'halting', 'idle']);
    assert.equal(Object.values(docs.stop)[0]?.exit_status, 'abort');
  });
}
