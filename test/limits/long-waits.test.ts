/**
 * Issue 10, "long delays become 1 ms": a count with delay 2,200,000 s, a wait
 * timeout, a suspender's sleep, a move and a scan function's sleep, each of
 * them longer than setTimeout's 2^31-1 ms, on node:test's fake timers (which
 * fire a bare setTimeout above that bound after 1 ms, as Node does).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { hw } from '../../src/devices/index.js';
import { Dispatcher, registerSimulated } from '../../src/dispatcher/index.js';
import { RunEngine, SuspendBoolHigh } from '../../src/engine/index.js';
import { MAX_TIMER_MS, StatusBase, msg } from '../../src/model/index.js';
import { count } from '../../src/plans/index.js';
import { Signal } from '../../src/devices/index.js';

/** One chunk per tick: Node 20's fake timers schedule a timer set inside a callback from the tick's end. */
function advance(ms: number): void {
  for (let left = ms; left > 0; left -= MAX_TIMER_MS) mock.timers.tick(Math.min(left, MAX_TIMER_MS));
}

/** Real macrotask turns (setImmediate is not faked): let the engine reach its next wait. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('waits longer than 2^31-1 ms', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('count delay 2,200,000 s does not finish at once; each delay lasts 2,200,000 s', async () => {
    const { det } = hw();
    const re = new RunEngine();
    let events = 0;
    re.subscribe(() => { events++; }, 'event');
    let finished = false;
    const run = re.run(count([det], { num: 2, delay: 2_200_000 })).then(() => { finished = true; });
    await turns();
    advance(MAX_TIMER_MS); // a bare setTimeout would have fired long before this
    await turns();
    assert.equal(finished, false);
    assert.equal(events, 1);
    assert.equal(re.state, 'running');
    advance(2_200_000_000 - MAX_TIMER_MS);
    await turns();
    assert.equal(events, 2);
    // bluesky's repeat sleeps after the last reading too.
    assert.equal(finished, false);
    advance(2_200_000_000);
    await turns();
    await run;
  });

  it('a wait with a 30-day timeout does not time out at once', async () => {
    const re = new RunEngine();
    const status = new StatusBase({ label: 'never' });
    let settled = false;
    const run = re.run([msg('set', { name: 'm', set: () => status, read: () => ({}), describe: () => ({}) }, [1], { group: 'g' }), msg('wait', null, [], { group: 'g', timeout: 30 * 86_400 })])
      .then(() => 'ok', (e: unknown) => e).then((r) => { settled = true; return r; });
    await turns();
    advance(MAX_TIMER_MS);
    await turns();
    assert.equal(settled, false, 'not timed out after 2^31-1 ms');
    advance(30 * 86_400_000 - MAX_TIMER_MS);
    await turns();
    const outcome = await run;
    assert.notEqual(outcome, 'ok', 'times out after 30 days');
  });

  it('a suspender sleep of 30 days holds the release that long', async () => {
    const sig = new Signal({ name: 'beam_dump', value: 0 });
    const susp = new SuspendBoolHigh(sig, { sleep: 30 * 86_400 });
    susp.install({ state: 'idle', requestSuspend: () => undefined });
    sig.set(1);
    assert.equal(susp.tripped, true);
    sig.set(0);
    advance(MAX_TIMER_MS);
    assert.equal(susp.tripped, true, 'still suspended after 2^31-1 ms');
    advance(30 * 86_400_000 - MAX_TIMER_MS);
    assert.equal(susp.tripped, false);
    susp.remove();
  });

  it('a simulated motor with a 30-day move delay is still moving after 2^31-1 ms', async () => {
    const { motor } = hw();
    motor.delay = 30 * 86_400;
    const status = motor.set(1);
    advance(MAX_TIMER_MS);
    assert.equal(status.done, false);
    advance(30 * 86_400_000 - MAX_TIMER_MS);
    assert.equal(status.done, true);
  });

  it("a scan function's ctx.sleep of 2,200,000 s keeps the dispatcher busy", async () => {
    const d = new Dispatcher({ devices: hw().devices });
    registerSimulated(d);
    // The seed's scan announces an artificial "running" once its count is over, then sleeps.
    const sleeping = new Promise<void>((resolve) => {
      d.listen((e) => { if (e.kind === 'state' && e.state === 'running' && e.oldState === 'idle') resolve(); });
    });
    assert.equal((await d.startScan('simulated', { duration: 2_200_000 })).ok, true);
    await sleeping;
    await turns();
    advance(MAX_TIMER_MS);
    await turns();
    assert.equal(d.busy, true);
    advance(2_200_000_000 - MAX_TIMER_MS);
    await turns();
    await d.whenIdle();
    assert.equal(d.busy, false);
  });
});
