/**
 * Plan preprocessors (bluesky.preprocessors, `bpp`): run/stage/subs/suspend
 * wrappers, metadata and run-key injection, monitors/flyers/baseline around
 * each run, `SupplementalData`. Wrappers never import the engine.
 * @module
 */
import { DOCUMENT_NAMES, type DocumentCallback, type DocumentName } from '../model/documents.js';
import { PlanArgumentError, isControlException, isGeneratorExit } from '../model/errors.js';
import { type Msg, type Plan, type PlanLike, ensurePlan, msg, replaceMsg } from '../model/msg.js';
import { type Stageable, nameOf } from '../model/protocols.js';
import { shortUid } from '../model/clock.js';
import { type MsgProcResult, type Outcome, msgMutator, planMutator, singleGen } from './mutators.js';
import { stageAll, unstageAll } from './stubs/devices.js';
import { closeRun, declareStream, openRun } from './stubs/messages.js';
import { triggerAndRead } from './stubs/readings.js';
import { isNullish, rootAncestor, separateDevices } from './utils.js';
import { finalizeWrapper, makeDecorator } from './wrappers.js';

export { type ContingencyOptions, type FinalPlan, contingencyDecorator, contingencyWrapper, finalizeDecorator, finalizeWrapper, makeDecorator, rewindableWrapper } from './wrappers.js';
export { type MsgProc, type MsgProcResult, type Outcome, attempt, msgMutator, pchain, planMutator, singleGen } from './mutators.js';
export { relativeSetWrapper, resetPositionsWrapper } from './relative.js';

/** Python `str(e)` for the stop document's `reason`. */
function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function closeOnError(e: unknown): Plan<string> {
  if (isControlException(e)) return closeRun({ exitStatus: e.exitStatus });
  return closeRun({ exitStatus: 'fail', reason: errorText(e) });
}

/**
 * `open_run(md)`, the plan, then `close_run()`; on error `close_run` with the
 * control exception's exit status, or `'fail'` and the error text; re-raises.
 * @returns the run uid
 */
export function* runWrapper(plan: PlanLike, options: { md?: Readonly<Record<string, unknown>> | null } = {}): Plan<string> {
  const uid = yield* openRun(options.md ?? null);
  // contingency_wrapper(except=close with the error, else=close) written out: every
  // message of the run passes through this generator, and the wrapper would add two more.
  try {
    yield* ensurePlan(plan);
  } catch (e) {
    if (isGeneratorExit(e)) throw e;
    yield* closeOnError(e);
    throw e;
  }
  yield* closeRun();
  return uid;
}

/** `stage_all` the devices' root ancestors first, `unstage_all` them in reverse in a finally. */
export function* stageWrapper<R = unknown>(plan: PlanLike, devices: Iterable<unknown>): Plan<R> {
  const roots = separateDevices([...devices].map(rootAncestor));
  // finalize_wrapper written out, for the same reason as in runWrapper: one layer instead of three.
  let outcome: Outcome<R>;
  try {
    // The engine's stage handler checks Stageable (bluesky check_supports).
    yield* stageAll(roots as Stageable[]);
    outcome = { ok: true, value: (yield* ensurePlan(plan)) as R };
  } catch (e) {
    if (isGeneratorExit(e)) throw e;
    outcome = { ok: false, error: e };
  }
  yield* unstageAll([...roots].reverse() as Stageable[]);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** Callbacks: one function, a list (all documents), or `{documentName: fn | fn[]}`. */
export type Subs = DocumentCallback | readonly DocumentCallback[] | Partial<Record<'all' | DocumentName, DocumentCallback | readonly DocumentCallback[]>>;

const SUB_NAMES: ReadonlyArray<'all' | DocumentName> = ['all', ...DOCUMENT_NAMES];

/** Normalise subscriptions to `[name, fn]` pairs (bluesky `normalize_subs_input`). */
export function normalizeSubs(subs: Subs | null): Array<['all' | DocumentName, DocumentCallback]> {
  if (subs === null) return [];
  if (typeof subs === 'function') return [['all', subs]];
  if (Array.isArray(subs)) return (subs as readonly DocumentCallback[]).map((f) => ['all', f]);
  const byName = subs as Partial<Record<string, DocumentCallback | readonly DocumentCallback[]>>;
  for (const key of Object.keys(byName)) {
    if (!SUB_NAMES.includes(key as DocumentName)) {
      throw new PlanArgumentError(`Keys must be one of ${SUB_NAMES.join(', ')} (got '${key}')`, [{ path: `/subs/${key}`, expected: SUB_NAMES.join(' | '), got: key }]);
    }
  }
  const out: Array<['all' | DocumentName, DocumentCallback]> = [];
  for (const name of SUB_NAMES) {
    const funcs = byName[name];
    if (funcs === undefined) continue;
    for (const f of typeof funcs === 'function' ? [funcs] : funcs) {
      if (typeof f !== 'function') throw new PlanArgumentError(`subs values must be functions or lists of functions (got ${typeof f} for '${name}')`);
      out.push([name, f]);
    }
  }
  return out;
}

/** `Msg('subscribe', None, fn, name)` for each callback, the plan, then `unsubscribe` each token in a finally. */
export function* subsWrapper<R = unknown>(plan: PlanLike, subs: Subs | null): Plan<R> {
  const pairs = normalizeSubs(subs);
  const tokens = new Set<unknown>();
  function* inner(): Plan<R> {
    for (const [name, func] of pairs) tokens.add(yield msg('subscribe', null, [func, name]));
    return (yield* ensurePlan(plan)) as R;
  }
  function* unsubscribeAll(): Plan<void> {
    for (const token of tokens) yield msg('unsubscribe', null, [], { token });
  }
  return yield* finalizeWrapper<R>(inner(), unsubscribeAll());
}

/** `install_suspender` each, the plan, then `remove_suspender` each in a finally. */
export function* suspendWrapper<R = unknown>(plan: PlanLike, suspenders: unknown): Plan<R> {
  const list: readonly unknown[] = Array.isArray(suspenders) ? suspenders : [suspenders];
  function* inner(): Plan<R> {
    for (const s of list) yield msg('install_suspender', null, [s]);
    return (yield* ensurePlan(plan)) as R;
  }
  function* remove(): Plan<void> {
    for (const s of list) yield msg('remove_suspender', null, [s]);
  }
  return yield* finalizeWrapper<R>(inner(), remove());
}

/** Add `md` to every `open_run` (md wins on overlapping keys; the plan's dict is not mutated). */
export function injectMdWrapper<R = unknown>(plan: PlanLike, md: Readonly<Record<string, unknown>>): Plan<R> {
  return msgMutator<R>(plan, (m) => (m.command === 'open_run' ? replaceMsg(m, { kwargs: { ...m.kwargs, ...md } }) : m));
}

/**
 * Set `msg.run = run` on every message that has no run key.
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) if `run` is null/undefined
 */
export function setRunKeyWrapper<R = unknown>(plan: PlanLike, run: unknown): Plan<R> {
  if (isNullish(run)) throw new PlanArgumentError('run ID can not be None', [{ path: '/run', expected: 'a run key', got: String(run) }]);
  return msgMutator<R>(plan, (m) => (isNullish(m.run) ? replaceMsg(m, { run }) : m));
}

/** Insert `after` right after each `open_run` and `before` right before each `close_run`. */
function aroundRuns<R>(plan: PlanLike, after: () => PlanLike, before: () => PlanLike): Plan<R> {
  const insertAfterOpen = (m: Msg): MsgProcResult => (m.command === 'open_run' ? [singleGen(m), after()] : [null, null]);
  const insertBeforeClose = (m: Msg): MsgProcResult => {
    if (m.command !== 'close_run') return [null, null];
    return [(function* beforeClose(): Plan<void> { yield* ensurePlan(before()); yield m; })(), null];
  };
  return planMutator<R>(planMutator(plan, insertAfterOpen), insertBeforeClose);
}

/** `Msg('monitor', sig, name=sig.name + '_monitor')` after each `open_run`, `unmonitor` before each `close_run`. */
export function monitorDuringWrapper<R = unknown>(plan: PlanLike, signals: readonly unknown[]): Plan<R> {
  const monitorMsgs = signals.map((s) => msg('monitor', s, [], { name: `${nameOf(s)}_monitor` }));
  const unmonitorMsgs = signals.map((s) => msg('unmonitor', s));
  return aroundRuns<R>(plan, () => monitorMsgs, () => unmonitorMsgs);
}

/** Kick off flyers (and wait) after each `open_run`; complete, wait and collect them before each `close_run`. */
export function flyDuringWrapper<R = unknown>(plan: PlanLike, flyers: readonly unknown[]): Plan<R> {
  const kickoffGroup = shortUid('flyers-kickoff');
  const completeGroup = shortUid('flyers-complete');
  const kickoffMsgs = flyers.map((f) => msg('kickoff', f, [], { group: kickoffGroup }));
  const completeMsgs = flyers.map((f) => msg('complete', f, [], { group: completeGroup }));
  const collectMsgs = flyers.map((f) => msg('collect', f));
  if (flyers.length > 0) {
    kickoffMsgs.push(msg('wait', null, [], { group: kickoffGroup }));
    completeMsgs.push(msg('wait', null, [], { group: completeGroup }));
  }
  return aroundRuns<R>(plan, () => kickoffMsgs, () => [...completeMsgs, ...collectMsgs]);
}

/**
 * Read `devices` into stream `name` after each `open_run` (with a
 * `declare_stream`) and before each `close_run`, keeping the run key.
 */
export function* baselineWrapper<R = unknown>(plan: PlanLike, devices: readonly unknown[] | null, name = 'baseline'): Plan<R> {
  if (devices === null || devices.length === 0) return (yield* ensurePlan(plan)) as R;
  const devs = devices;
  function* head(): Plan<void> {
    yield* declareStream(devs, { name });
    yield* triggerAndRead(devs, name);
  }
  const withRun = (p: Plan, run: unknown): Plan => (isNullish(run) ? p : setRunKeyWrapper(p, run));
  const insertBaseline = (m: Msg): MsgProcResult => {
    if (m.command === 'open_run') return [null, withRun(head(), m.run)];
    if (m.command === 'close_run') {
      return [(function* postBaseline(): Plan<unknown> {
        yield* withRun(triggerAndRead(devs, name), m.run);
        return yield m;
      })(), null];
    }
    return [null, null];
  };
  return yield* planMutator<R>(plan, insertBaseline);
}

export const runDecorator = makeDecorator(runWrapper);
export const stageDecorator = makeDecorator(stageWrapper);
export const subsDecorator = makeDecorator(subsWrapper);
export const suspendDecorator = makeDecorator(suspendWrapper);
export const injectMdDecorator = makeDecorator(injectMdWrapper);
export const setRunKeyDecorator = makeDecorator(setRunKeyWrapper);
export const monitorDuringDecorator = makeDecorator(monitorDuringWrapper);
export const flyDuringDecorator = makeDecorator(flyDuringWrapper);
export const baselineDecorator = makeDecorator(baselineWrapper);

/** Options of {@link SupplementalData}: devices read, monitored or flown around every run. */
export interface SupplementalDataOptions {
  baseline?: readonly unknown[];
  monitors?: readonly unknown[];
  flyers?: readonly unknown[];
}

/** A SupplementalData instance is itself a preprocessor: `sd(plan)` returns the wrapped plan. */
export interface SupplementalData {
  (plan: PlanLike): Plan<unknown>;
}

/**
 * A configurable preprocessor: baseline readings, monitors and flyers around
 * every run; order open_run → baseline → monitors → flyers kicked off → plan →
 * flyers completed/collected → monitors stopped → baseline → close_run.
 * The lists are ordinary mutable arrays.
 * @example const sd = new SupplementalData({ baseline: [det2] }); engine.preprocessors.push(sd);
 */
export class SupplementalData {
  declare baseline: unknown[];
  declare monitors: unknown[];
  declare flyers: unknown[];

  constructor(options: SupplementalDataOptions = {}) {
    // Python's instance is callable (__call__); a JS function object carrying the class prototype is the closest match.
    const callable = ((plan: PlanLike): Plan<unknown> => callable.wrap(plan)) as SupplementalData;
    Object.setPrototypeOf(callable, new.target.prototype);
    callable.baseline = [...(options.baseline ?? [])];
    callable.monitors = [...(options.monitors ?? [])];
    callable.flyers = [...(options.flyers ?? [])];
    return callable;
  }

  /** Wrap `plan` (inside out: flyers, then monitors, then baseline). */
  wrap(plan: PlanLike): Plan<unknown> {
    let wrapped: Plan<unknown> = flyDuringWrapper(plan, [...this.flyers]);
    wrapped = monitorDuringWrapper(wrapped, [...this.monitors]);
    return baselineWrapper(wrapped, [...this.baseline]);
  }

  /** Python-like repr: `SupplementalData(baseline=[...], monitors=[...], flyers=[...])`. */
  toString(): string {
    const names = (xs: readonly unknown[]): string => `[${xs.map((x) => nameOf(x)).join(', ')}]`;
    return `SupplementalData(baseline=${names(this.baseline)}, monitors=${names(this.monitors)}, flyers=${names(this.flyers)})`;
  }
}
// Keep call/apply/bind on instances, which are functions.
Object.setPrototypeOf(SupplementalData.prototype, Function.prototype);
