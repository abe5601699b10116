/**
 * The standard plans' checks that JSON Schema cannot express, run after the
 * schema check: the layout of each scan's variadic `args` (devices by role,
 * numbers, points within the limit, a grid's product of points), snake_axes,
 * and start metadata. Reports ParamErrors (JSON-pointer paths); never throws.
 * @module
 */
import { startMetadataErrors } from '../model/validate.js';
import { MAX_POINTS_NAME } from './limits.js';
import { type ParamError, describeValue, deviceProblem, didYouMean, nonFiniteErrors, paramName, pointer } from './param-validation.js';

/** What a checker needs: the devices by name, the points limit, where to put errors. */
export interface CheckContext {
  readonly devices: ReadonlyMap<string, unknown>;
  readonly maxPoints: number;
  readonly errors: ParamError[];
}

function push(ctx: CheckContext, path: string, problem: string, expected: string, got: string): void {
  ctx.errors.push({ path, message: `parameter "${paramName(path)}" ${problem}`, expected, got });
}

/** `name` must name a registered device with the given capability. */
export function checkDevice(ctx: CheckContext, name: unknown, path: string, role: 'readable' | 'movable'): void {
  const problem = deviceProblem(ctx.devices, name, path, role);
  if (problem !== null) ctx.errors.push(problem);
}

function checkNumber(ctx: CheckContext, x: unknown, path: string, role: string): void {
  if (typeof x !== 'number' || !Number.isFinite(x)) push(ctx, path, `is the ${role} and must be a number, got ${describeValue(x)}`, 'a number', describeValue(x));
}

/**
 * A trajectory from `start` to `stop` is divided into points: `stop - start` must be a number too.
 * Two finite ends whose span overflows (±1.7e308) made every position NaN, refused only when the run
 * had opened (`motor.set() needs a number`), its scan id used up.
 */
function checkSpan(ctx: CheckContext, start: unknown, stop: unknown, path: string): void {
  if (typeof start !== 'number' || typeof stop !== 'number' || !Number.isFinite(start) || !Number.isFinite(stop)) return;
  if (Number.isFinite(stop - start)) return;
  push(ctx, path, `is the stop position, ${describeValue(stop)} away from the start ${describeValue(start)} by more than the largest number: the points between cannot be computed`,
    'a stop whose distance from the start is a finite number (within ±1.7e308)', describeValue(stop));
}

/** `log_scan`'s exponent: 10**x must be a finite position. */
export function checkExponent(ctx: CheckContext, x: unknown, path: string): void {
  if (typeof x === 'number' && Number.isFinite(x) && !Number.isFinite(10 ** x)) {
    push(ctx, path, `is an exponent and 10**${describeValue(x)} is beyond the largest number`, 'an exponent of at most 308', describeValue(x));
  }
}

/**
 * `count`'s `delay` as a list gives one delay per gap between readings: at least num − 1 of them
 * (bluesky's repeat: "num=3 but delays only provides 1 entries", which came only once the run had opened).
 */
export function checkCountDelay(ctx: CheckContext, num: unknown, delay: unknown): void {
  if (!Array.isArray(delay) || typeof num !== 'number' || !Number.isInteger(num)) return;
  if (num - 1 <= delay.length) return;
  push(ctx, '/delay', `lists ${delay.length} delay${delay.length === 1 ? '' : 's'} but num=${num} readings have ${num - 1} gaps between them`,
    `at least ${num - 1} entries (one per gap), or one number for every gap`, `${delay.length} entries`);
}

/** A number of points: a whole number from 1 to the limit. */
function checkPoints(ctx: CheckContext, x: unknown, path: string): x is number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) {
    push(ctx, path, `is a number of points and must be a whole number >= 1, got ${describeValue(x)}`, 'an integer >= 1', describeValue(x));
    return false;
  }
  if (x > ctx.maxPoints) {
    const expected = `at most ${ctx.maxPoints} (${MAX_POINTS_NAME})`;
    push(ctx, path, `is a number of points and must be ${expected}, got ${describeValue(x)}`, expected, describeValue(x));
    return false;
  }
  return true;
}

/**
 * `log_scan` takes its points from the start metadata's `plan_pattern_args`
 * (as Python's does), which `md` may replace: its `num` is bounded too.
 */
export function checkPatternNum(ctx: CheckContext, md: unknown): void {
  const args = typeof md === 'object' && md !== null ? (md as { plan_pattern_args?: unknown }).plan_pattern_args : undefined;
  if (typeof args === 'object' && args !== null && 'num' in args) checkPoints(ctx, (args as { num: unknown }).num, '/md/plan_pattern_args/num');
}

function arity(ctx: CheckContext, args: readonly unknown[], layout: string, example: string): void {
  push(ctx, '/args', `must be ${layout}, e.g. ${example}; got ${args.length} value${args.length === 1 ? '' : 's'}`, `${layout}, e.g. ${example}`, describeValue(args));
}

/** `scan`/`rel_scan`: `motor, start, stop` triples, plus the number of points last unless `num` is given. */
export function checkScanArgs(ctx: CheckContext, args: readonly unknown[], numGiven: boolean): void {
  const n = args.length;
  const ok = numGiven ? n >= 3 && n % 3 === 0 : n >= 4 && n % 3 === 1;
  if (!ok) {
    if (numGiven) arity(ctx, args, 'motor, start, stop triples (num is given separately)', '["motor", -1, 1]');
    else arity(ctx, args, 'motor, start, stop triples followed by the number of points (or give "num")', '["motor", -1, 1, 5]');
    return;
  }
  const body = numGiven ? n : n - 1;
  for (let i = 0; i < body; i++) {
    if (i % 3 === 0) checkDevice(ctx, args[i], pointer('args', i), 'movable');
    else checkNumber(ctx, args[i], pointer('args', i), i % 3 === 1 ? 'start position' : 'stop position');
    if (i % 3 === 2) checkSpan(ctx, args[i - 1], args[i], pointer('args', i));
  }
  if (!numGiven) checkPoints(ctx, args[n - 1], pointer('args', n - 1));
}

/** `list_scan`/`rel_list_scan`: `motor, [positions]` pairs of equal length (the schema bounds each length). */
export function checkListScanArgs(ctx: CheckContext, args: readonly unknown[]): void {
  if (args.length < 2 || args.length % 2 !== 0) {
    arity(ctx, args, 'motor, [positions...] pairs', '["motor", [0, 0.5, 1]]');
    return;
  }
  const lengths: number[] = [];
  for (let i = 0; i < args.length; i += 2) {
    checkDevice(ctx, args[i], pointer('args', i), 'movable');
    const positions = args[i + 1];
    if (!Array.isArray(positions) || positions.some((p) => typeof p !== 'number' || !Number.isFinite(p))) {
      push(ctx, pointer('args', i + 1), `must be a list of positions (numbers), got ${describeValue(positions)}`, 'a list of numbers', describeValue(positions));
    } else {
      lengths.push(positions.length);
    }
  }
  if (new Set(lengths).size > 1) {
    push(ctx, '/args', `must have position lists of the same length, got lengths ${lengths.join(', ')}`, 'position lists of equal length', `lengths ${lengths.join(', ')}`);
  }
}

type GridRole = 'motor' | 'start' | 'stop' | 'num' | 'snake';

function gridRole(i: number, pattern: 1 | 2): GridRole {
  const roles: GridRole[] = ['motor', 'start', 'stop', 'num', 'snake'];
  if (pattern === 1 || i < 4) return roles[i % 4] as GridRole;
  return roles[(i - 4) % 5] as GridRole;
}

/** The layout of grid args, judged by where the device names are (bluesky classifies by movables). */
export function gridPattern(args: readonly unknown[]): 1 | 2 | null {
  const n = args.length;
  const candidates: Array<1 | 2> = [];
  if (n > 0 && n % 4 === 0) candidates.push(1);
  if (n > 4 && (n - 4) % 5 === 0) candidates.push(2);
  return candidates.find((p) => args.every((a, i) => (typeof a === 'string') === (gridRole(i, p) === 'motor'))) ?? null;
}

function checkSnakeAxes(ctx: CheckContext, snakeAxes: unknown, motors: readonly unknown[], pattern: 1 | 2): void {
  if (snakeAxes === null || snakeAxes === undefined) return;
  if (pattern === 2) {
    push(ctx, '/snake_axes', 'cannot be combined with snake flags inside "args"', 'snake_axes or per-axis snake flags in args, not both', describeValue(snakeAxes));
    return;
  }
  if (!Array.isArray(snakeAxes)) return;
  const allowed = motors.slice(1).filter((m): m is string => typeof m === 'string');
  snakeAxes.forEach((axis, i) => {
    if (typeof axis === 'string' && !allowed.includes(axis)) {
      const why = axis === motors[0] ? 'is the first (slowest) motor, which cannot be snaked' : `is not one of the scanned motors after the first${didYouMean(axis, allowed)}`;
      push(ctx, pointer('snake_axes', i), `"${axis}" ${why}`, `one of: ${allowed.join(', ') || '(no motor can be snaked)'}`, JSON.stringify(axis));
    }
  });
  if (new Set(snakeAxes).size !== snakeAxes.length) push(ctx, '/snake_axes', 'lists a motor more than once', 'each motor once', describeValue(snakeAxes));
}

/**
 * `grid_scan`/`rel_grid_scan`: `motor, start, stop, num` per axis (or the deprecated
 * snake-flag layout); the product of the `num`s is within the points limit.
 */
export function checkGridScanArgs(ctx: CheckContext, args: readonly unknown[], snakeAxes: unknown): void {
  const pattern = gridPattern(args);
  if (pattern === null) {
    arity(ctx, args, 'motor, start, stop, num for each axis', '["motor1", -1, 1, 3, "motor2", -2, 2, 4]');
    return;
  }
  const nums: number[] = [];
  let numsOk = true;
  args.forEach((a, i) => {
    const role = gridRole(i, pattern);
    const path = pointer('args', i);
    if (role === 'motor') checkDevice(ctx, a, path, 'movable');
    else if (role === 'num') {
      if (checkPoints(ctx, a, path)) nums.push(a as number);
      else numsOk = false;
    } else if (role === 'snake') {
      if (typeof a !== 'boolean') push(ctx, path, `is a snake flag and must be true or false, got ${describeValue(a)}`, 'true or false', describeValue(a));
    } else {
      checkNumber(ctx, a, path, `${role} position`);
      if (role === 'stop') checkSpan(ctx, args[i - 1], a, path);
    }
  });
  // Each factor is <= maxPoints, so the running product stays exact until it passes the limit.
  let product = 1;
  for (const n of nums) { product *= n; if (product > ctx.maxPoints) break; }
  if (numsOk && product > ctx.maxPoints) {
    const expected = `at most ${ctx.maxPoints} points in all (${MAX_POINTS_NAME})`;
    push(ctx, '/args', `asks for a grid of ${nums.join(' × ')} points, more than ${expected}`, expected, `${nums.join(' × ')} points`);
  }
  const motors = args.filter((_, i) => gridRole(i, pattern) === 'motor');
  if (new Set(motors).size !== motors.length) push(ctx, '/args', 'lists a motor more than once', 'each motor once', motors.map(String).join(', '));
  checkSnakeAxes(ctx, snakeAxes, motors, pattern);
}

/** `md` must make a valid start document (`scan_id` an integer, no `uid`/`time`, keys without `.` or `/`). */
export function checkStartMetadata(ctx: CheckContext, md: unknown, path = '/md'): void {
  if (md === null || md === undefined) return;
  for (const e of startMetadataErrors(md)) {
    const at = path + e.path;
    const value = e.path === '' ? md : valueAt(md, e.path);
    push(ctx, at, `would make an invalid start document: ${e.message}, got ${describeValue(value)}`, `start-document metadata (${e.message})`, describeValue(value));
  }
}

function valueAt(x: unknown, path: string): unknown {
  let v = x;
  for (const seg of path.slice(1).split('/')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[seg.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return v;
}

/**
 * Problems `md` (a start request's metadata, not a plan parameter) would cause:
 * non-finite numbers, and whatever {@link checkStartMetadata} finds. Paths are
 * JSON pointers starting with `path`.
 * @example startMetadataProblems({ scan_id: 'x' }) // [{ path: '/md/scan_id', ... }]
 */
export function startMetadataProblems(md: unknown, path = '/md'): ParamError[] {
  const infinite = nonFiniteErrors(md, path);
  if (infinite.length > 0) return infinite;
  const ctx: CheckContext = { devices: new Map(), maxPoints: 0, errors: [] };
  checkStartMetadata(ctx, md, path);
  return ctx.errors;
}
