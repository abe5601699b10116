/**
 * Standard plans (bluesky.plans): count, scan, rel_scan, list_scan,
 * rel_list_scan, log_scan, rel_log_scan, scan_nd, with start metadata built
 * exactly as Python's (keys, key order, `plan_args` with device reprs).
 * @module
 */
import type { Clock } from '../model/clock.js';
import { PlanArgumentError } from '../model/errors.js';
import { type Plan, ensurePlan } from '../model/msg.js';
import { type Readable, hasHints, nameOf } from '../model/protocols.js';
import {
  type Md, type PerShot, type PerStep, type PerStep1D, checkDetectors, checkNum, hintsOf, perStepRepr, resolvePerStep, setDefault,
} from './plan-helpers.js';
import { type Cycler, innerListProduct, innerProduct, linspaceAt } from './plan-patterns.js';
import { runWrapper, stageWrapper } from './preprocessors.js';
import { relativeSetWrapper, resetPositionsWrapper } from './relative.js';
import { declareStream } from './stubs/messages.js';
import { type Delay, type PosCache, movePerStep, one1dStep, oneNdStep, oneShot, repeat, triggerAndRead } from './stubs/readings.js';
import { deviceRepr, getHintedFields, partition, pyRepr } from './utils.js';

export const PLAN_PATTERNS_MODULE = 'bluesky.plan_patterns';

/** Options of {@link count}. */
export interface CountOptions {
  /** Number of readings (default 1); null = until interrupted. */
  num?: number | null;
  /** Seconds between readings, or one delay per gap. */
  delay?: Delay;
  perShot?: PerShot | null;
  md?: Md | null;
  /** Declare the primary stream right after open_run (Python: env BLUESKY_PREDECLARE). */
  predeclare?: boolean;
  /** Time source for the delays (default: the system clock). */
  clock?: Clock;
}

function delayForMd(delay: Delay): unknown {
  if (delay === null || typeof delay === 'number') return delay;
  return Array.isArray(delay) ? [...(delay as unknown[])] : pyRepr(delay);
}

/**
 * Take `num` readings of the detectors (bluesky `count`).
 * @returns the run uid
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) if `detectors` is not an array
 * @example engine.run(count([det1, det2], { num: 3 }))
 */
export function* count(detectors: readonly Readable[], options: CountOptions = {}): Plan<string> {
  checkDetectors(detectors);
  const num = options.num === undefined ? 1 : options.num;
  if (num !== null && !(Number.isInteger(num) && num >= 0)) {
    throw new PlanArgumentError(`num must be a whole number of readings or null (got ${String(num)})`, [{ path: '/num', expected: 'an integer >= 0 or null', got: String(num) }]);
  }
  const delay = options.delay ?? 0;
  const userMd = options.md ?? {};
  const md: Record<string, unknown> = {
    detectors: detectors.map((d) => nameOf(d)),
    num_points: num,
    num_intervals: num === null ? null : num - 1,
    plan_args: { detectors: detectors.map(deviceRepr), num, delay: delayForMd(delay) },
    plan_name: 'count',
    hints: {},
    ...userMd,
  };
  md['hints'] = setDefault(hintsOf(md), 'dimensions', [[['time'], 'primary']]);
  const perShot = options.perShot ?? oneShot;
  const predeclare = !options.perShot && options.predeclare === true;
  const repeatOptions = { num, delay, ...(options.clock ? { clock: options.clock } : {}) };
  function* declaredThenRepeat(): Plan<void> {
    yield* declareStream(detectors, { name: 'primary' });
    return yield* repeat(() => perShot(detectors), repeatOptions);
  }
  // Without a declared stream the run is `repeat` itself: one generator fewer under every message.
  const body = predeclare ? declaredThenRepeat() : repeat(() => perShot(detectors), repeatOptions);
  return yield* stageWrapper<string>(runWrapper(body, { md }), detectors);
}

/** Options of the step scans. */
export interface ScanOptions {
  /** Number of points; may instead be the last element of `args`. */
  num?: number | null;
  perStep?: PerStep | null;
  md?: Md | null;
  /** Declare the primary stream right after open_run (Python: env BLUESKY_PREDECLARE). */
  predeclare?: boolean;
}

/** Options of {@link scanNd}. */
export type ScanNdOptions = Omit<ScanOptions, 'num'>;

function motorDimensions(motors: readonly unknown[]): unknown[] | null {
  const dims: unknown[] = [];
  for (const m of motors) {
    // bluesky: `motor.hints["fields"]` raising AttributeError/KeyError means "no dimensions".
    if (!hasHints(m) || !Array.isArray(m.hints.fields)) return null;
    dims.push([[...m.hints.fields], 'primary']);
  }
  return dims;
}

function cyclerRepr(c: Cycler): string {
  const values = (k: unknown): string => Array.from({ length: c.length }, (_, i) => String(c.at(i).get(k))).join(', ');
  const parts = c.keys.map((k) => `cycler(${deviceRepr(k)}, [${values(k)}])`);
  return parts.length === 1 ? parts[0] as string : `(${parts.join(' + ')})`;
}

/**
 * Scan over an arbitrary trajectory: one `perStep(detectors, step, posCache)` per point (bluesky `scan_nd`).
 * @returns the run uid
 */
export function* scanNd(detectors: readonly Readable[], cycler: Cycler, options: ScanNdOptions = {}): Plan<string> {
  return yield* scanNdRun(detectors, cycler, options);
}

/**
 * {@link scanNd}'s checks and metadata, then its staged run as a plan. Not a generator: the
 * plans built on scan_nd call it from their own body (so its errors still surface when the
 * plan starts) and delegate to the run directly, one generator fewer under every message.
 */
export function scanNdRun(detectors: readonly Readable[], cycler: Cycler, options: ScanNdOptions = {}): Plan<string> {
  checkDetectors(detectors);
  const n = cycler.length;
  const userMd = options.md ?? {};
  const md: Record<string, unknown> = {
    detectors: detectors.map((d) => nameOf(d)),
    motors: cycler.keys.map((m) => nameOf(m)),
    num_points: n,
    num_intervals: n - 1,
    // The repr lists every point (as Python's does): only worth building when no caller's plan_args replaces it.
    plan_args: Object.hasOwn(userMd, 'plan_args') ? null : { detectors: detectors.map(deviceRepr), cycler: cyclerRepr(cycler), per_step: perStepRepr(options.perStep) },
    plan_name: 'scan_nd',
    hints: {},
    ...userMd,
  };
  const dims = motorDimensions(cycler.keys);
  md['hints'] = dims === null ? hintsOf(md) : setDefault(hintsOf(md), 'dimensions', dims);
  const predeclare = !options.perStep && options.predeclare === true;
  const perStep = resolvePerStep(options.perStep, cycler.keys);
  // Python stages `set(cycler.keys)` in hash order; we use argument order (the order the recordings show).
  const motors = [...cycler.keys];
  const posCache: PosCache = new Map();
  function* innerScanNd(): Plan<void> {
    if (predeclare) yield* declareStream([...motors, ...detectors], { name: 'primary' });
    // One point at a time: a trajectory of any length takes no memory per point.
    if (perStep === oneNdStep) {
      // The default step written out: one_nd_step's generator would be one more layer under every message.
      for (let i = 0; i < n; i++) {
        const step = cycler.at(i);
        yield* movePerStep(step, posCache);
        yield* triggerAndRead([...detectors, ...step.keys()]);
      }
      return;
    }
    for (let i = 0; i < n; i++) yield* ensurePlan(perStep(detectors, cycler.at(i), posCache));
  }
  return stageWrapper<string>(runWrapper(innerScanNd(), { md }), [...detectors, ...motors]);
}

/** `args` without a trailing num, and the num (from options or the trailing element). */
function splitScanNum(args: readonly unknown[], num: number | null | undefined): { args: readonly unknown[]; num: number } {
  if (num === null || num === undefined) {
    if (args.length % 3 !== 1) {
      throw new PlanArgumentError("The number of points to scan must be provided as the last positional argument or as keyword argument 'num'.", [
        { path: '/args', expected: 'motor, start, stop triples followed by num (or the num option)', got: `${args.length} values` },
      ]);
    }
    return { args: args.slice(0, -1), num: checkNum(args[args.length - 1], `/args/${args.length - 1}`) };
  }
  return { args, num: checkNum(num) };
}

/**
 * All motors move together from start to stop in `num` points (bluesky `scan`).
 * @param args `motor1, start1, stop1, ..., motorN, startN, stopN[, num]`
 * @example scan([det], [motor, -1, 1], { num: 5 })
 */
export function* scan(detectors: readonly Readable[], args: readonly unknown[], options: ScanOptions = {}): Plan<string> {
  checkDetectors(detectors);
  const split = splitScanNum(args, options.num);
  const triples = partition(3, split.args);
  const mdArgs = triples.flatMap(([m, start, stop]) => [deviceRepr(m), start, stop]);
  const motors = triples.map(([m]) => m);
  const userMd = options.md ?? {};
  const md: Record<string, unknown> = {
    plan_args: { detectors: detectors.map(deviceRepr), num: split.num, args: mdArgs, per_step: perStepRepr(options.perStep) },
    plan_name: 'scan',
    plan_pattern: 'inner_product',
    plan_pattern_module: PLAN_PATTERNS_MODULE,
    plan_pattern_args: { num: split.num, args: mdArgs },
    motors: motors.map((m) => nameOf(m)),
    ...userMd,
  };
  const xFields = motors.flatMap(getHintedFields);
  md['hints'] = { ...(xFields.length > 0 ? { dimensions: [[xFields, 'primary']] } : {}), ...hintsOf(userMd) };
  const cycler = innerProduct(split.num, split.args);
  return yield* scanNdRun(detectors, cycler, { ...scanNdExtras(options), md });
}

function scanNdExtras(options: ScanOptions): ScanNdOptions {
  return {
    ...(options.perStep ? { perStep: options.perStep } : {}),
    ...(options.predeclare === undefined ? {} : { predeclare: options.predeclare }),
  };
}

/** Wrap a plan so `set`s of `motors` are relative and the motors return home afterwards. */
function* relative<R>(plan: Plan<R>, motors: readonly unknown[]): Plan<R> {
  return yield* resetPositionsWrapper<R>(relativeSetWrapper<R>(plan, motors), motors);
}

/** {@link scan} relative to the motors' current positions, which are restored afterwards (bluesky `rel_scan`). */
export function* relScan(detectors: readonly Readable[], args: readonly unknown[], options: ScanOptions = {}): Plan<string> {
  checkDetectors(detectors);
  const md = { plan_name: 'rel_scan', ...(options.md ?? {}) };
  const motors = partition(3, args).map(([m]) => m);
  return yield* relative(scan(detectors, args, { ...options, md }), motors);
}

function listLengths(pairs: readonly unknown[][]): { names: string[]; length: number } {
  const lengths = new Map<string, number>();
  let length = 0;
  for (const [motor, positions] of pairs) {
    if (!Array.isArray(positions)) {
      throw new PlanArgumentError(`the positions of ${nameOf(motor)} must be a list (got ${typeof positions})`, [{ path: '/args', expected: 'motor, [positions...] pairs', got: typeof positions }]);
    }
    lengths.set(nameOf(motor), positions.length);
    if (!length) length = positions.length;
  }
  if (new Set(lengths.values()).size > 1) {
    const shown = [...lengths].map(([k, v]) => `'${k}': ${v}`).join(', ');
    throw new PlanArgumentError(`The lengths of all lists in *args must be the same. However the lengths in args are : {${shown}}`, [
      { path: '/args', expected: 'position lists of equal length', got: shown },
    ]);
  }
  return { names: [...lengths.keys()], length };
}

/**
 * All motors move together through given positions (bluesky `list_scan`).
 * @param args `motor1, [p1, p2, ...], ..., motorN, [p1, p2, ...]`
 */
export function* listScan(detectors: readonly Readable[], args: readonly unknown[], options: ScanNdOptions = {}): Plan<string> {
  checkDetectors(detectors);
  if (args.length % 2 !== 0) {
    throw new PlanArgumentError('The list of arguments must contain a list of points for each defined motor', [
      { path: '/args', expected: 'motor, [positions...] pairs', got: `${args.length} values` },
    ]);
  }
  const pairs = partition(2, args);
  const { names, length } = listLengths(pairs);
  const mdArgs = pairs.flatMap(([m, positions]) => [deviceRepr(m), [...(positions as unknown[])]]);
  const userMd = options.md ?? {};
  const md: Record<string, unknown> = {
    detectors: detectors.map((d) => nameOf(d)),
    motors: names,
    num_points: length,
    num_intervals: (length || 1) - 1,
    plan_args: { detectors: detectors.map(deviceRepr), args: mdArgs, per_step: perStepRepr(options.perStep) },
    plan_name: 'list_scan',
    plan_pattern: 'inner_list_product',
    plan_pattern_module: PLAN_PATTERNS_MODULE,
    plan_pattern_args: { args: mdArgs },
    hints: {},
    ...userMd,
  };
  const xFields = pairs.flatMap(([m]) => getHintedFields(m));
  md['hints'] = { ...(xFields.length > 0 ? { dimensions: [[xFields, 'primary']] } : {}), ...hintsOf(userMd) };
  return yield* scanNdRun(detectors, innerListProduct(args), { ...options, md });
}

/** {@link listScan} with positions relative to the current ones (bluesky `rel_list_scan`). */
export function* relListScan(detectors: readonly Readable[], args: readonly unknown[], options: ScanNdOptions = {}): Plan<string> {
  const md = { plan_name: 'rel_list_scan', ...(options.md ?? {}) };
  const motors = partition(2, args).map(([m]) => m);
  return yield* relative(listScan(detectors, args, { ...options, md }), motors);
}

/** Options of {@link logScan}: its per-step has the 1-D signature `(detectors, motor, step)`. */
export interface LogScanOptions { perStep?: PerStep1D | null; md?: Md | null; predeclare?: boolean }

/** One motor through `num` log-spaced points `10**start ... 10**stop` (bluesky `log_scan`). */
export function* logScan(detectors: readonly Readable[], motor: unknown, start: number, stop: number, num: number, options: LogScanOptions = {}): Plan<string> {
  checkDetectors(detectors);
  const md: Record<string, unknown> = {
    detectors: detectors.map((d) => nameOf(d)),
    motors: [nameOf(motor)],
    num_points: num,
    num_intervals: num - 1,
    plan_args: { detectors: detectors.map(deviceRepr), num, start, stop, motor: deviceRepr(motor), per_step: perStepRepr(options.perStep) },
    plan_name: 'log_scan',
    plan_pattern: 'logspace',
    plan_pattern_module: 'numpy',
    plan_pattern_args: { start, stop, num },
    hints: {},
    ...(options.md ?? {}),
  };
  const dims = motorDimensions([motor]);
  md['hints'] = dims === null ? hintsOf(md) : setDefault(hintsOf(md), 'dimensions', dims);
  const predeclare = !options.perStep && options.predeclare === true;
  const perStep = options.perStep ?? one1dStep;
  const pattern = md['plan_pattern_args'] as { start: number; stop: number; num: number };
  // Python takes the points from the (overridable) metadata's plan_pattern_args.
  const points = checkNum(pattern.num);
  function* innerLogScan(): Plan<void> {
    if (predeclare) yield* declareStream([motor, ...detectors], { name: 'primary' });
    // numpy logspace, one point at a time.
    for (let i = 0; i < points; i++) yield* ensurePlan(perStep(detectors, motor, 10 ** linspaceAt(pattern.start, pattern.stop, points, i)));
  }
  return yield* stageWrapper<string>(runWrapper(innerLogScan(), { md }), [...detectors, motor]);
}

/** {@link logScan} relative to the motor's current position (bluesky `rel_log_scan`). */
export function* relLogScan(detectors: readonly Readable[], motor: unknown, start: number, stop: number, num: number, options: LogScanOptions = {}): Plan<string> {
  const md = { plan_name: 'rel_log_scan', ...(options.md ?? {}) };
  return yield* relative(logScan(detectors, motor, start, stop, num, { ...options, md }), [motor]);
}
