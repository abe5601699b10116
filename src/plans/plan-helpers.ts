/**
 * Shared pieces of the standard plans: argument checks, start-metadata
 * merging with Python's dict-update key order, per-step resolution.
 * @module
 */
import { PlanArgumentError } from '../model/errors.js';
import type { PlanLike } from '../model/msg.js';
import type { Readable } from '../model/protocols.js';
import { type PosCache, type Step, one1dStep, oneNdStep } from './stubs/readings.js';
import { isNullish, isPlainObject, pyRepr } from './utils.js';

/** Start-document metadata a caller adds (`md=`). */
export type Md = Readonly<Record<string, unknown>>;

/** Inner loop of `count`: `(detectors) → plan`. */
export type PerShot = (detectors: readonly Readable[]) => PlanLike;
/** Inner loop of an N-D scan: `(detectors, step, posCache) → plan` (see `oneNdStep`). */
export type PerStepND = (detectors: readonly Readable[], step: Step, posCache: PosCache) => PlanLike;
/** Legacy 1-D inner loop `(detectors, motor, step) → plan`; mark it with {@link perStep1d}. */
export type PerStep1D = (detectors: readonly Readable[], motor: unknown, step: unknown) => PlanLike;
export type PerStep = PerStepND | PerStep1D;

const LEGACY_1D = new WeakSet<object>([one1dStep]);

/**
 * Mark a `(detectors, motor, step)` function as a legacy 1-D per-step (JS cannot
 * read parameter names as Python's `inspect.signature` does). `one1dStep` is pre-marked.
 */
export function perStep1d<F extends PerStep1D>(fn: F): F {
  LEGACY_1D.add(fn);
  return fn;
}

/**
 * `detectors` must be an array (bluesky `_check_detectors_type_input`).
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID)
 */
export function checkDetectors(detectors: unknown): asserts detectors is readonly Readable[] {
  if (!Array.isArray(detectors)) {
    throw new PlanArgumentError('The input argument must be either as a list or a tuple of Readable objects.', [
      { path: '/detectors', expected: 'an array of readable devices', got: detectors === null ? 'null' : typeof detectors },
    ]);
  }
}

/** A `hints` value from metadata as a fresh dict (Python mutates the caller's; we copy). */
export function hintsOf(md: Md, key = 'hints'): Record<string, unknown> {
  const hints = md[key];
  if (isNullish(hints)) return {};
  if (!isPlainObject(hints)) {
    throw new PlanArgumentError(`md.hints must be an object (got ${typeof hints})`, [{ path: '/md/hints', expected: 'an object', got: typeof hints }]);
  }
  return { ...hints };
}

/** Python's `dict.setdefault` on a copy. */
export function setDefault(obj: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  return Object.hasOwn(obj, key) ? obj : { ...obj, [key]: value };
}

/** `per_step` for metadata: Python's repr of the callable or None. */
export function perStepRepr(perStep: unknown): string {
  return pyRepr(perStep);
}

/**
 * The per-step to call as `(detectors, step, posCache)`: `oneNdStep` by
 * default, a 1-D one adapted for a single motor.
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) for a non-function, or a 1-D per-step with several motors
 */
export function resolvePerStep(perStep: PerStep | null | undefined, motors: readonly unknown[]): PerStepND {
  if (isNullish(perStep)) return oneNdStep;
  if (typeof perStep !== 'function') {
    throw new PlanArgumentError('per_step must be a callable with the signature (detectors, step, pos_cache) or (detectors, motor, step).', [
      { path: '/per_step', expected: 'a function', got: typeof perStep },
    ]);
  }
  if (!LEGACY_1D.has(perStep)) return perStep as PerStepND;
  if (motors.length !== 1) {
    throw new PlanArgumentError(`Signature of per_step assumes 1D trajectory but ${motors.length} motors are specified.`, [
      { path: '/per_step', expected: '(detectors, step, pos_cache) for several motors', got: '(detectors, motor, step)' },
    ]);
  }
  const motor = motors[0];
  const oneD = perStep as PerStep1D;
  return (detectors, step) => oneD(detectors, motor, [...step.values()][0]);
}

/**
 * `num` must be a whole number of points above 0.
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID)
 */
export function checkNum(num: unknown, path = '/num'): number {
  if (typeof num !== 'number' || !Number.isInteger(num) || num <= 0) {
    throw new PlanArgumentError(`The parameter \`num\` is expected to be a number of steps (not step size!) It must therefore be a whole number. The given value was ${String(num)}.`, [
      { path, expected: 'a whole number > 0', got: String(num) },
    ]);
  }
  return num;
}
