/**
 * Error-handling wrappers (bluesky `finalize_wrapper`, `contingency_wrapper`, `rewindable_wrapper`, `make_decorator`).
 * JS has no GeneratorExit: each wrapper rethrows GeneratorExit/PlanHalt untouched and skips its cleanup,
 * and yields nothing more when closed with `.return()` (spec §16.2).
 * @module
 */
import { PlanArgumentError } from '../model/errors.js';
import { type Plan, type PlanLike, ensurePlan, msg } from '../model/msg.js';
import { type Outcome, attempt } from './mutators.js';
import { pause } from './stubs/messages.js';

/** A final plan: a plan-like value, or a function returning one. */
export type FinalPlan = PlanLike | (() => PlanLike);

/**
 * try/finally: run `plan`, then `finalPlan` whether it succeeded or raised
 * (then re-raise). Skipped when the plan is halted or closed.
 * @param options.pauseForDebug yield `pause()` before the final plan on error
 */
export function* finalizeWrapper<R = unknown>(plan: PlanLike, finalPlan: FinalPlan, options: { pauseForDebug?: boolean } = {}): Plan<R> {
  const finalInstance = typeof finalPlan === 'function' ? finalPlan() : finalPlan;
  let outcome: Outcome<R> = yield* attempt(ensurePlan(plan) as Plan<R>);
  if (!outcome.ok && options.pauseForDebug === true) {
    const paused = yield* attempt(pause());
    if (!paused.ok) outcome = paused;
  }
  yield* ensurePlan(finalInstance);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * Decorator form of {@link finalizeWrapper}; `finalPlan` must be a function so
 * the decorated plan can run many times.
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) when the decorated plan starts, if `finalPlan` is not a function
 */
export function finalizeDecorator(finalPlan: () => PlanLike) {
  return <P extends unknown[], R>(fn: (...p: P) => PlanLike) => function* finalized(...p: P): Plan<R> {
    if (typeof finalPlan !== 'function') {
      throw new PlanArgumentError('final_plan must be a callable (e.g., a generator function) not an iterable (e.g., a generator instance).', [
        { path: '/final_plan', expected: 'a function returning a plan', got: typeof finalPlan },
      ]);
    }
    return yield* finalizeWrapper<R>(fn(...p), finalPlan);
  };
}

/** Options of {@link contingencyWrapper}; plans are functions (generator functions in Python). */
export interface ContingencyOptions {
  /** Called with the error (never GeneratorExit/PlanHalt). */
  exceptPlan?: ((e: unknown) => PlanLike) | null;
  /** Called when the plan completed without raising. */
  elsePlan?: (() => PlanLike) | null;
  /** Always called afterwards, unless the plan was halted or closed. */
  finalPlan?: (() => PlanLike) | null;
  pauseForDebug?: boolean;
  /** Re-raise after `exceptPlan` (default true); false makes its return value the result. */
  autoRaise?: boolean;
}

function* exceptBranch(error: unknown, o: ContingencyOptions): Plan<unknown> {
  if (o.pauseForDebug === true) yield* pause();
  if (!o.exceptPlan) throw error;
  const ret = yield* ensurePlan(o.exceptPlan(error));
  if (o.autoRaise ?? true) throw error;
  return ret;
}

function* elseBranch<R>(value: R, o: ContingencyOptions): Plan<R> {
  if (o.elsePlan) yield* ensurePlan(o.elsePlan());
  return value;
}

/**
 * try/except/else/finally for plans (bluesky `contingency_wrapper`).
 * @example contingencyWrapper(plan, { exceptPlan: (e) => closeRun({ exitStatus: 'fail' }), elsePlan: () => closeRun() })
 */
export function* contingencyWrapper<R = unknown>(plan: PlanLike, options: ContingencyOptions = {}): Plan<R> {
  const first = yield* attempt(ensurePlan(plan) as Plan<R>);
  const outcome: Outcome<R> = first.ok
    ? yield* attempt(elseBranch(first.value, options))
    : (yield* attempt(exceptBranch(first.error, options))) as Outcome<R>;
  if (options.finalPlan) yield* ensurePlan(options.finalPlan());
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/**
 * Allow or forbid rewinding while `plan` runs, then restore the engine's
 * previous setting (`Msg('rewindable', None, None)` queries it).
 */
export function* rewindableWrapper<R = unknown>(plan: PlanLike, rewindable: boolean): Plan<R> {
  if (rewindable) return (yield* ensurePlan(plan)) as R;
  const initial: unknown = yield msg('rewindable', null, [null]);
  if (initial !== rewindable) yield msg('rewindable', null, [rewindable]);
  function* restore(): Plan<unknown> {
    if (initial !== rewindable) return yield msg('rewindable', null, [initial]);
    return undefined;
  }
  return yield* finalizeWrapper<R>(plan, restore());
}

/**
 * Turn a wrapper `(plan, ...args) → plan` into a decorator factory
 * `(...args) → (planFunction) → planFunction` (bluesky `make_decorator`).
 * @example const runDecorator = makeDecorator(runWrapper); const myPlan = runDecorator({ md })(inner);
 */
export function makeDecorator<A extends unknown[]>(wrapper: (plan: Plan, ...args: A) => Plan<unknown>) {
  return (...args: A) => <P extends unknown[], R>(fn: (...p: P) => PlanLike) => function* decorated(...p: P): Plan<R> {
    return (yield* wrapper(ensurePlan(fn(...p)), ...args)) as R;
  };
}

/** Decorator form of {@link contingencyWrapper}. */
export const contingencyDecorator = makeDecorator((plan: Plan, options: ContingencyOptions = {}) => contingencyWrapper(plan, options));
