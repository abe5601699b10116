/**
 * Composite stubs that take readings or loop (bluesky.plan_stubs):
 * `trigger_and_read`, the per-shot/per-step inner loops, `repeater`, `repeat`.
 * Time for `repeat`'s delays comes from an injectable Clock, never the globals.
 * @module
 */
import { type Clock, shortUid, systemClock } from '../../model/clock.js';
import { PlanArgumentError, isGeneratorExit } from '../../model/errors.js';
import { type Plan, type PlanLike, ensurePlan, msg } from '../../model/msg.js';
import { type Reading, isTriggerable } from '../../model/protocols.js';
import { allSafeRewind, isNullish, separateDevices } from '../utils.js';
import { rewindableWrapper } from '../wrappers.js';
import { nullMsg, waitMsg } from './messages.js';

/** Readings keyed by data key, as `read` returns them. */
export type Readings = Record<string, Reading>;

/** A plan that takes one reading of some devices (bluesky `TakeReading`). */
export type TakeReading = (devices: readonly unknown[]) => Plan<Readings>;

/**
 * The reading of one step, on the path of every message of every scan: it
 * yields its messages itself (as the stubs spell them; the golden tests
 * compare) and writes out contingency_wrapper's except/else, since each stub
 * or wrapper generator would add a layer every message passes through.
 */
function* innerTriggerAndRead(devices: readonly unknown[], name: string): Plan<Readings> {
  const group = shortUid('trigger');
  let triggered = false;
  for (const obj of devices) {
    if (isTriggerable(obj)) {
      triggered = true;
      yield msg('trigger', obj, [], { group });
    }
  }
  if (triggered) yield waitMsg(group);
  yield msg('create', null, [], { name });
  const out: Readings = {};
  try {
    // The engine's read handler checks Readable (bluesky check_supports).
    for (const obj of devices) {
      const reading: unknown = yield msg('read', obj);
      if (!isNullish(reading)) Object.assign(out, reading);
    }
  } catch (e) {
    if (isGeneratorExit(e)) throw e; // closed or halted: no cleanup, as the wrappers
    yield msg('drop');
    throw e;
  }
  yield msg('save');
  return out;
}

/**
 * Trigger every Triggerable device (one group), wait, then `create`, `read`
 * each device and `save` (or `drop` if a read fails). Devices that a listed
 * ancestor already covers are skipped; an empty list yields `Msg('null')` first.
 * @returns the merged readings
 */
export function* triggerAndRead(devices: readonly unknown[], name = 'primary'): Plan<Readings> {
  if (devices.length === 0) yield* nullMsg();
  const separated = separateDevices(devices);
  const safe = allSafeRewind(separated);
  // rewindable_wrapper(plan, True) only passes messages through: skip its layer.
  if (safe) return yield* innerTriggerAndRead(separated, name);
  return yield* rewindableWrapper<Readings>(innerTriggerAndRead(separated, name), safe);
}

/** Inner loop of `count`: `Msg('checkpoint')` then `takeReading(detectors)`. */
export function* oneShot(detectors: readonly unknown[], takeReading: TakeReading = triggerAndRead): Plan<void> {
  yield msg('checkpoint');
  yield* takeReading([...detectors]);
}

/**
 * Inner loop of a 1-D step scan: `checkpoint`, `set` motor (group `set-<6hex>`),
 * `wait`, then `takeReading([...detectors, motor])`.
 */
export function* one1dStep(detectors: readonly unknown[], motor: unknown, step: unknown, takeReading: TakeReading = triggerAndRead): Plan<Readings> {
  const group = shortUid('set');
  yield msg('checkpoint');
  yield msg('set', motor, [step], { group });
  yield msg('wait', null, [], { group });
  return yield* takeReading([...detectors, motor]);
}

/** A scan point: motor → position, in motor order. */
export type Step = ReadonlyMap<unknown, unknown>;
/** Motor → last position set (a missing motor counts as "never set"). */
export type PosCache = Map<unknown, unknown>;

/** `checkpoint`, a `set` for each motor whose position changed, one `wait`. */
export function* movePerStep(step: Step, posCache: PosCache): Plan<void> {
  yield msg('checkpoint');
  const group = shortUid('set');
  for (const [motor, pos] of step) {
    // This step does not move this motor (bluesky: a defaultdict(None) compared with ==).
    if ((posCache.has(motor) ? posCache.get(motor) : null) === pos) continue;
    yield msg('set', motor, [pos], { group });
    posCache.set(motor, pos);
  }
  yield msg('wait', null, [], { group });
}

/** Inner loop of an N-D step scan: {@link movePerStep} then `takeReading([...detectors, ...motors])`. */
export function* oneNdStep(detectors: readonly unknown[], step: Step, posCache: PosCache, takeReading: TakeReading = triggerAndRead): Plan<void> {
  yield* movePerStep(step, posCache);
  yield* takeReading([...detectors, ...step.keys()]);
}

/** `genFunc(...args)` chained `n` times (`null` = forever). */
export function* repeater<A extends unknown[]>(n: number | null, genFunc: (...args: A) => PlanLike, ...args: A): Plan<void> {
  for (let j = 0; n === null || j < n; j++) yield* ensurePlan(genFunc(...args));
}

/** A delay between repeats: seconds, or one entry per gap (null = no sleep). */
export type Delay = number | null | Iterable<number | null>;

function delayIterator(delay: Delay, num: number | null): Iterator<number | null> {
  if (delay === null || typeof delay === 'number') {
    return { next: () => ({ done: false, value: delay }) };
  }
  if (Array.isArray(delay) && num !== null && num - 1 > delay.length) {
    throw new PlanArgumentError(`num=${num} but delays only provides ${delay.length} entries`, [
      { path: '/delay', expected: `at least ${num - 1} entries`, got: String(delay.length) },
    ]);
  }
  return delay[Symbol.iterator]();
}

/**
 * Repeat `plan()` `num` times (null = until interrupted): `checkpoint`, the
 * plan, then `Msg('sleep', None, d - elapsed)` only if time is left.
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) when `delay` runs out before `num - 1` entries
 */
export function* repeat(plan: () => PlanLike, options: { num?: number | null; delay?: Delay; clock?: Clock } = {}): Plan<void> {
  const num = options.num === undefined ? 1 : options.num;
  const clock = options.clock ?? systemClock;
  const delays = delayIterator(options.delay ?? 0, num);
  for (let i = 0; num === null || i < num; i++) {
    const started = clock.now();
    yield msg('checkpoint');
    yield* ensurePlan(plan());
    const next = delays.next();
    if (next.done === true) {
      if (i + 1 === num || num === null) break;
      throw new PlanArgumentError(`num=${num} but delays only provides ${i} entries`, [
        { path: '/delay', expected: `at least ${num - 1} entries`, got: String(i) },
      ]);
    }
    if (next.value !== null) {
      const remaining = next.value - (clock.now() - started);
      if (remaining > 0) yield msg('sleep', null, [remaining]);
    }
  }
}
