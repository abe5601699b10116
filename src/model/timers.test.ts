/**
 * Waits of any length, on node:test's fake timers (which, like Node, fire a
 * plain setTimeout above 2^31-1 ms after 1 ms): nothing here waits for real.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { systemClock } from './clock.js';
import { StatusBase } from './status.js';
import { MAX_TIMER_MS, longTimeout, sleepFor, within } from './timers.js';

const DAY_MS = 86_400_000;
/**
 * Advance the fake clock by `ms` in steps of at most 2^31-1 ms. Node 20's fake
 * timers run a timer set inside a callback relative to the end of the current
 * tick(), so one chunk per tick keeps the chunk boundaries where real timers put them.
 */
function advance(ms: number): void {
  for (let left = ms; left > 0; left -= MAX_TIMER_MS) mock.timers.tick(Math.min(left, MAX_TIMER_MS));
}
/** Let promise callbacks run between fake-timer ticks. */
const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve(); };

describe('longTimeout', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('a plain setTimeout above 2^31-1 ms fires at once (what the helper is for)', () => {
    let fired = false;
    setTimeout(() => { fired = true; }, 2.2e9);
    mock.timers.tick(5);
    assert.equal(fired, true);
  });

  it('fires once, exactly after the whole delay, for delays above 2^31-1 ms', () => {
    const ms = 2_200_000_000 + 1234;
    let fired = 0;
    longTimeout(() => { fired++; }, ms);
    advance(MAX_TIMER_MS);
    assert.equal(fired, 0, 'not after the first chunk');
    advance(ms - MAX_TIMER_MS - 1);
    assert.equal(fired, 0, 'not 1 ms early');
    advance(1);
    assert.equal(fired, 1);
    advance(10 * MAX_TIMER_MS);
    assert.equal(fired, 1);
  });

  it('a year, in many chunks, and clear() in the middle of a chunk', () => {
    let fired = false;
    const t = longTimeout(() => { fired = true; }, 365 * DAY_MS);
    advance(8 * MAX_TIMER_MS + 1000);
    assert.equal(fired, false);
    t.clear();
    advance(400 * DAY_MS);
    assert.equal(fired, false);
    let later = false;
    longTimeout(() => { later = true; }, 365 * DAY_MS);
    advance(365 * DAY_MS - 1);
    assert.equal(later, false);
    advance(1);
    assert.equal(later, true);
  });

  it('NaN and negative delays are 0; Infinity never fires', () => {
    const seen: string[] = [];
    longTimeout(() => seen.push('nan'), Number.NaN);
    longTimeout(() => seen.push('neg'), -5);
    const inf = longTimeout(() => seen.push('inf'), Infinity);
    mock.timers.tick(0);
    assert.deepEqual(seen.sort(), ['nan', 'neg']);
    advance(1000 * DAY_MS);
    assert.deepEqual(seen.sort(), ['nan', 'neg']);
    inf.clear();
  });
});

describe('long sleeps and timeouts', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('sleepFor / systemClock.sleep of 2,200,000 s do not end early', async () => {
    let done = false;
    void systemClock.sleep(2_200_000).then(() => { done = true; });
    advance(MAX_TIMER_MS);
    await settle();
    assert.equal(done, false);
    advance(2_200_000 * 1000 - MAX_TIMER_MS);
    await settle();
    assert.equal(done, true);
  });

  it('sleepFor rejects with the abort reason and leaves no timer behind', async () => {
    const ac = new AbortController();
    const p = sleepFor(30 * 86_400, ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
    await assert.rejects(sleepFor(1, ac.signal), /stop/);
  });

  it('a Status timeout of 30 days fails after 30 days, not at once', async () => {
    const s = new StatusBase({ timeout: 30 * 86_400, label: 'slow' });
    advance(MAX_TIMER_MS);
    assert.equal(s.done, false);
    advance(30 * DAY_MS - MAX_TIMER_MS);
    assert.equal(s.done, true);
    assert.equal((s.exception() as { code?: string }).code, 'DEVICE_STATUS_TIMEOUT');
  });

  it('a Status settle time of 30 days finishes after it', () => {
    const s = new StatusBase({ settleTime: 30 * 86_400 });
    s.setFinished();
    advance(MAX_TIMER_MS);
    assert.equal(s.done, false);
    advance(30 * DAY_MS - MAX_TIMER_MS);
    assert.equal(s.success, true);
  });
});

describe('within (real timers: short waits)', () => {
  it('the value when fn settles in time; late when it does not; a rejection rejects', async () => {
    assert.deepEqual(await within(() => 7, 1000), { late: false, value: 7 });
    assert.deepEqual(await within(() => new Promise((r) => setTimeout(() => r('slow'), 200)), 20), { late: true });
    await assert.rejects(within(() => { throw new Error('refused'); }, 1000), /refused/);
    await assert.rejects(within(() => Promise.reject(new Error('no')), 1000), /no/);
  });
});
