/**
 * Semantic checks of registry parameters that JSON Schema cannot express:
 * device names (with "did you mean"), device capabilities, and the layout of
 * each scan's variadic `args`. Reports errors; never throws.
 * @module
 */
import { isMovable, isReadable } from '../model/protocols.js';
import { type ParamError, describeValue, didYouMean } from './param-validation.js';

/** What a checker needs: the plan name, the devices by name, where to put errors. */
export interface CheckContext {
  readonly plan: string;
  readonly devices: ReadonlyMap<string, unknown>;
  readonly errors: ParamError[];
}

function knownDevices(ctx: CheckContext): string {
  const names = [...ctx.devices.keys()].sort();
  const shown = names.slice(0, 15).join(', ');
  return names.length === 0 ? 'a device name (no devices are registered)' : `a device name: ${shown}${names.length > 15 ? ', …' : ''}`;
}

/** `name` must name a registered device with the given capability. */
export function checkDevice(ctx: CheckContext, name: unknown, path: string, role: 'readable' | 'movable'): void {
  if (typeof name !== 'string') {
    ctx.errors.push({ path, message: `${path} of ${ctx.plan} must be a device name, got ${describeValue(name)}`, expected: knownDevices(ctx), got: describeValue(name) });
    return;
  }
  const device = ctx.devices.get(name);
  if (device === undefined) {
    ctx.errors.push({ path, message: `unknown device "${name}" in ${path} of ${ctx.plan}${didYouMean(name, ctx.devices.keys())}`, expected: knownDevices(ctx), got: `"${name}"` });
    return;
  }
  const ok = role === 'movable' ? isMovable(device) : isReadable(device);
  if (!ok) {
    const why = role === 'movable' ? 'cannot be moved (it has no set method)' : 'cannot be read (it needs name, read and describe)';
    ctx.errors.push({ path, message: `device "${name}" in ${path} of ${ctx.plan} ${why}`, expected: `a ${role} device`, got: `"${name}" (not ${role})` });
  }
}

function checkNumber(ctx: CheckContext, x: unknown, path: string, role: string): void {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    ctx.errors.push({ path, message: `${path} of ${ctx.plan} is the ${role} and must be a number, got ${describeValue(x)}`, expected: 'a number', got: describeValue(x) });
  }
}

function checkPoints(ctx: CheckContext, x: unknown, path: string): void {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) {
    ctx.errors.push({ path, message: `${path} of ${ctx.plan} is a number of points and must be a whole number >= 1, got ${describeValue(x)}`, expected: 'an integer >= 1', got: describeValue(x) });
  }
}

function arity(ctx: CheckContext, args: readonly unknown[], layout: string, example: string): void {
  ctx.errors.push({
    path: 'args',
    message: `"args" of ${ctx.plan} must be ${layout}, e.g. ${example}; got ${args.length} value${args.length === 1 ? '' : 's'}`,
    expected: `${layout}, e.g. ${example}`,
    got: describeValue(args),
  });
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
    if (i % 3 === 0) checkDevice(ctx, args[i], `args[${i}]`, 'movable');
    else checkNumber(ctx, args[i], `args[${i}]`, i % 3 === 1 ? 'start position' : 'stop position');
  }
  if (!numGiven) checkPoints(ctx, args[n - 1], `args[${n - 1}]`);
}

/** `list_scan`/`rel_list_scan`: `motor, [positions]` pairs of equal length. */
export function checkListScanArgs(ctx: CheckContext, args: readonly unknown[]): void {
  if (args.length < 2 || args.length % 2 !== 0) {
    arity(ctx, args, 'motor, [positions...] pairs', '["motor", [0, 0.5, 1]]');
    return;
  }
  const lengths: number[] = [];
  for (let i = 0; i < args.length; i += 2) {
    checkDevice(ctx, args[i], `args[${i}]`, 'movable');
    const positions = args[i + 1];
    if (!Array.isArray(positions) || positions.some((p) => typeof p !== 'number' || !Number.isFinite(p))) {
      ctx.errors.push({ path: `args[${i + 1}]`, message: `args[${i + 1}] of ${ctx.plan} must be a list of positions (numbers), got ${describeValue(positions)}`, expected: 'a list of numbers', got: describeValue(positions) });
    } else {
      lengths.push(positions.length);
    }
  }
  if (new Set(lengths).size > 1) {
    ctx.errors.push({ path: 'args', message: `the position lists in "args" of ${ctx.plan} must all have the same length, got lengths ${lengths.join(', ')}`, expected: 'position lists of equal length', got: `lengths ${lengths.join(', ')}` });
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
    ctx.errors.push({ path: 'snake_axes', message: `"snake_axes" of ${ctx.plan} cannot be combined with snake flags inside "args"`, expected: 'snake_axes or per-axis snake flags in args, not both', got: describeValue(snakeAxes) });
    return;
  }
  if (!Array.isArray(snakeAxes)) return;
  const allowed = motors.slice(1).filter((m): m is string => typeof m === 'string');
  snakeAxes.forEach((axis, i) => {
    if (typeof axis === 'string' && !allowed.includes(axis)) {
      const why = axis === motors[0] ? 'is the first (slowest) motor, which cannot be snaked' : `is not one of the scanned motors after the first${didYouMean(axis, allowed)}`;
      ctx.errors.push({ path: `snake_axes[${i}]`, message: `"${axis}" in snake_axes of ${ctx.plan} ${why}`, expected: `one of: ${allowed.join(', ') || '(no motor can be snaked)'}`, got: `"${axis}"` });
    }
  });
  if (new Set(snakeAxes).size !== snakeAxes.length) {
    ctx.errors.push({ path: 'snake_axes', message: `snake_axes of ${ctx.plan} lists a motor more than once`, expected: 'each motor once', got: describeValue(snakeAxes) });
  }
}

/** `grid_scan`/`rel_grid_scan`: `motor, start, stop, num` per axis (or the deprecated snake-flag layout). */
export function checkGridScanArgs(ctx: CheckContext, args: readonly unknown[], snakeAxes: unknown): void {
  const pattern = gridPattern(args);
  if (pattern === null) {
    arity(ctx, args, 'motor, start, stop, num for each axis', '["motor1", -1, 1, 3, "motor2", -2, 2, 4]');
    return;
  }
  args.forEach((a, i) => {
    const role = gridRole(i, pattern);
    const path = `args[${i}]`;
    if (role === 'motor') checkDevice(ctx, a, path, 'movable');
    else if (role === 'num') checkPoints(ctx, a, path);
    else if (role === 'snake') {
      if (typeof a !== 'boolean') ctx.errors.push({ path, message: `${path} of ${ctx.plan} is a snake flag and must be true or false, got ${describeValue(a)}`, expected: 'true or false', got: describeValue(a) });
    } else checkNumber(ctx, a, path, `${role} position`);
  });
  const motors = args.filter((_, i) => gridRole(i, pattern) === 'motor');
  if (new Set(motors).size !== motors.length) {
    ctx.errors.push({ path: 'args', message: `a motor is listed more than once in "args" of ${ctx.plan}`, expected: 'each motor once', got: motors.map(String).join(', ') });
  }
  checkSnakeAxes(ctx, snakeAxes, motors, pattern);
}
