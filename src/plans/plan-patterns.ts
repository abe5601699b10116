/**
 * Trajectories for the standard scans (bluesky.plan_patterns + a minimal
 * `cycler`): numpy-exact `linspace`/`logspace`, inner/outer products, snaking.
 * Pure data; no messages.
 * @module
 */
import { PlanArgumentError } from '../model/errors.js';
import { nameOf } from '../model/protocols.js';
import { paramName } from './param-text.js';
import { isMovableReadable, partition } from './utils.js';

/**
 * Evenly spaced points with numpy's arithmetic: `start + i*step` with
 * `step = (stop-start)/(num-1)`, and the last point exactly `stop`.
 */
export function linspace(start: number, stop: number, num: number): number[] {
  if (!Number.isInteger(num) || num < 0) {
    throw new PlanArgumentError(`Number of samples, ${num}, must be a non-negative integer.`, [{ path: '/num', expected: 'a non-negative integer', got: String(num) }]);
  }
  const div = num - 1;
  const delta = stop - start;
  const out: number[] = [];
  const step = div > 0 ? delta / div : Number.NaN;
  for (let i = 0; i < num; i++) {
    // numpy: a zero step is applied as (i/div)*delta; num=1 gives [start].
    if (div <= 0) out.push(i * delta + start);
    else out.push(step === 0 ? (i / div) * delta + start : i * step + start);
  }
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** `10 ** linspace(start, stop, num)` (numpy `logspace`, base 10). */
export function logspace(start: number, stop: number, num: number): number[] {
  return linspace(start, stop, num).map((y) => 10 ** y);
}

/** A trajectory: motor keys in order and one `motor → position` map per point (a minimal `cycler.Cycler`). */
export interface Cycler {
  readonly keys: readonly unknown[];
  readonly points: ReadonlyArray<ReadonlyMap<unknown, unknown>>;
}

/** One motor over a list of positions (`cycler(motor, values)`). */
export function cycler(key: unknown, values: readonly unknown[]): Cycler {
  return { keys: [key], points: values.map((v) => new Map([[key, v]])) };
}

/** Zip two trajectories of equal length with disjoint motors (`cycler + cycler`). */
export function cyclerAdd(a: Cycler, b: Cycler): Cycler {
  if (a.points.length !== b.points.length) {
    throw new PlanArgumentError(`Can only add equal length cycles, not ${a.points.length} and ${b.points.length}`);
  }
  if (a.keys.some((k) => b.keys.includes(k))) throw new PlanArgumentError('Can not compose overlapping cycles');
  return { keys: [...a.keys, ...b.keys], points: a.points.map((p, i) => new Map([...p, ...(b.points[i] ?? [])])) };
}

/** Outer product, `a` slowest (`cycler * cycler`). */
export function cyclerMul(a: Cycler, b: Cycler): Cycler {
  if (a.keys.some((k) => b.keys.includes(k))) throw new PlanArgumentError('Can not compose overlapping cycles');
  const points: Array<Map<unknown, unknown>> = [];
  for (const p of a.points) for (const q of b.points) points.push(new Map([...p, ...q]));
  return { keys: [...a.keys, ...b.keys], points };
}

function reduce(cyclers: readonly Cycler[], op: (a: Cycler, b: Cycler) => Cycler): Cycler {
  const [first, ...rest] = cyclers;
  if (first === undefined) throw new PlanArgumentError('at least one motor is needed for a trajectory', [{ path: '/args', expected: 'at least one motor', got: 'none' }]);
  return rest.reduce(op, first);
}

/** The positions of `key` along the trajectory. */
function column(c: Cycler, key: unknown): unknown[] {
  return c.points.map((p) => p.get(key));
}

/**
 * Combine trajectories as an outer product where each snaked axis reverses
 * direction on every pass of the axes before it (bluesky `snake_cyclers`).
 */
export function snakeCyclers(cyclers: readonly Cycler[], snakes: readonly boolean[]): Cycler {
  if (cyclers.length !== snakes.length) throw new PlanArgumentError('number of cyclers does not match number of booleans');
  if (!snakes.slice(1).some(Boolean)) return reduce(cyclers, cyclerMul);
  const lengths = cyclers.map((c) => c.points.length);
  const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
  const total = product(lengths);
  const expanded: Cycler[] = [];
  cyclers.forEach((c, i) => {
    const tiles = product(lengths.slice(0, i));
    const repeats = product(lengths.slice(i + 1));
    for (const key of c.keys) {
      let values = column(c, key);
      if (snakes[i] === true) values = [...values, ...[...values].reverse()];
      const repeated = values.flatMap((v) => Array<unknown>(repeats).fill(v));
      const tiled = Array.from({ length: tiles }, () => repeated).flat();
      expanded.push(cycler(key, tiled.slice(0, total)));
    }
  });
  return reduce(expanded, cyclerAdd);
}

/** `x` as a number; `path` is the JSON pointer of the parameter (named in the message as `args[1]`). */
function asNumber(x: unknown, path: string): number {
  if (typeof x !== 'number' || Number.isNaN(x)) {
    throw new PlanArgumentError(`${paramName(path)} must be a number (got ${typeof x === 'string' ? `'${x}'` : String(x)})`, [{ path, expected: 'a number', got: String(x) }]);
  }
  return x;
}

/** All motors move together: `motor1, start1, stop1, ..., motorN, startN, stopN` with `num` points each. */
export function innerProduct(num: number, args: readonly unknown[]): Cycler {
  if (args.length % 3 !== 0) {
    throw new PlanArgumentError("Wrong number of positional arguments for 'inner_product'", [{ path: '/args', expected: 'motor, start, stop triples', got: `${args.length} values` }]);
  }
  return reduce(partition(3, args).map(([motor, start, stop], i) =>
    cycler(motor, linspace(asNumber(start, `/args/${3 * i + 1}`), asNumber(stop, `/args/${3 * i + 2}`), num))), cyclerAdd);
}

/** All motors move together through given lists: `motor1, [p...], ..., motorN, [p...]`. */
export function innerListProduct(args: readonly unknown[]): Cycler {
  if (args.length % 2 !== 0) {
    throw new PlanArgumentError("Wrong number of positional arguments for 'inner_list_product'", [{ path: '/args', expected: 'motor, list pairs', got: `${args.length} values` }]);
  }
  return reduce(partition(2, args).map(([motor, positions]) => cycler(motor, [...(positions as Iterable<unknown>)])), cyclerAdd);
}

/** Grid argument layouts: 1 = `m, start, stop, num` per motor; 2 = a `snake` boolean after every motor but the first. */
export type OuterProductArgsPattern = 1 | 2;

function motorsInPlace(args: readonly unknown[], pattern: OuterProductArgsPattern): boolean {
  const motorAt = (n: number): boolean => (pattern === 1 ? n % 4 === 0 : n === 0 || (n >= 4 && (n - 4) % 5 === 0));
  return args.every((a, n) => isMovableReadable(a) === motorAt(n));
}

/**
 * Which layout `args` uses, after checking that motors sit only where the
 * layout puts them (bluesky `classify_outer_product_args_pattern`).
 */
export function classifyOuterProductArgsPattern(args: readonly unknown[]): OuterProductArgsPattern {
  const div4 = args.length % 4 === 0;
  const div5 = args.length > 4 && (args.length - 4) % 5 === 0;
  if (!div4 && !div5) {
    throw new PlanArgumentError(`Wrong number of elements in 'args': len(args) = ${args.length}`, [
      { path: '/args', expected: 'motor, start, stop, num per motor (optionally a snake flag after each motor but the first)', got: `${args.length} values` },
    ]);
  }
  const candidates: OuterProductArgsPattern[] = div4 && div5 ? [1, 2] : div4 ? [1] : [2];
  const found = candidates.find((p) => motorsInPlace(args, p));
  if (found === undefined) {
    throw new PlanArgumentError(`Incorrect order of elements in the argument list 'args': some of the movable objects (motors) are out of place (args = [${args.map((a) => (isMovableReadable(a) ? nameOf(a) : String(a))).join(', ')}])`, [
      { path: '/args', expected: 'a movable, readable device at each motor position', got: 'devices out of place' },
    ]);
  }
  return found;
}

/** One grid axis. */
export interface GridChunk { motor: unknown; start: number; stop: number; num: number; snake: boolean }

/** Split grid args into `{motor, start, stop, num, snake}` per axis (snake false where not given). */
export function chunkOuterProductArgs(args: readonly unknown[], pattern?: OuterProductArgsPattern): GridChunk[] {
  const p = pattern ?? classifyOuterProductArgsPattern(args);
  const list = [...args];
  if (p === 1) for (let n = 1; n <= list.length / 4; n++) list.splice(5 * n - 1, 0, false);
  else list.splice(4, 0, false);
  return partition(5, list).map(([motor, start, stop, num, snake], i) => {
    const base = p === 1 ? 4 * i : i === 0 ? 0 : 5 * i - 1;
    return {
      motor, start: asNumber(start, `/args/${base + 1}`), stop: asNumber(stop, `/args/${base + 2}`),
      num: asNumber(num, `/args/${base + 3}`), snake: Boolean(snake),
    };
  });
}

/** Mesh over independent axes, first axis slowest, with per-axis snaking (bluesky `outer_product`). */
export function outerProduct(args: readonly unknown[]): Cycler {
  const chunks = chunkOuterProductArgs(args);
  return snakeCyclers(chunks.map((c) => cycler(c.motor, linspace(c.start, c.stop, c.num))), chunks.map((c) => c.snake));
}
