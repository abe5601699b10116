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

/** What `linspace` checks about `num`. @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) */
function checkSamples(num: number): void {
  if (!Number.isInteger(num) || num < 0) {
    throw new PlanArgumentError(`Number of samples, ${num}, must be a non-negative integer.`, [{ path: '/num', expected: 'a non-negative integer', got: String(num) }]);
  }
}

/**
 * The `i`-th of `num` evenly spaced points, with numpy's arithmetic:
 * `start + i*step` with `step = (stop-start)/(num-1)`, the last point exactly `stop`.
 */
export function linspaceAt(start: number, stop: number, num: number, i: number): number {
  const div = num - 1;
  const delta = stop - start;
  if (div > 0 && i === div) return stop;
  // numpy: num=1 gives [start]; a zero step is applied as (i/div)*delta.
  if (div <= 0) return i * delta + start;
  const step = delta / div;
  return step === 0 ? (i / div) * delta + start : i * step + start;
}

/**
 * Evenly spaced points with numpy's arithmetic (see {@link linspaceAt}), as an array.
 * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) when `num` is not a whole number >= 0
 */
export function linspace(start: number, stop: number, num: number): number[] {
  checkSamples(num);
  return Array.from({ length: num }, (_, i) => linspaceAt(start, stop, num, i));
}

/** `10 ** linspace(start, stop, num)` (numpy `logspace`, base 10). */
export function logspace(start: number, stop: number, num: number): number[] {
  return linspace(start, stop, num).map((y) => 10 ** y);
}

/** A point of a trajectory: `motor → position`, in the trajectory's key order. */
export type Point = ReadonlyMap<unknown, unknown>;

/**
 * A trajectory (a minimal `cycler.Cycler`): motor keys in order and `length`
 * points, each computed when asked for, so a trajectory of any length takes
 * memory for its definition only (Python's cycler materialises every point).
 */
export interface Cycler extends Iterable<Point> {
  readonly keys: readonly unknown[];
  /** Number of points. */
  readonly length: number;
  /** The point at index `i` (0 <= i < length), a new Map. */
  at(i: number): Point;
  /** Every point as an array: O(length) memory, for small trajectories and tests. */
  readonly points: readonly Point[];
}

/** A Cycler from its keys, length and point function. */
export function lazyCycler(keys: readonly unknown[], length: number, at: (i: number) => Point): Cycler {
  return {
    keys,
    length,
    at,
    *[Symbol.iterator]() { for (let i = 0; i < length; i++) yield at(i); },
    get points() { return Array.from({ length }, (_, i) => at(i)); },
  };
}

/** One motor over a list of positions (`cycler(motor, values)`); the list is read, not copied. */
export function cycler(key: unknown, values: readonly unknown[]): Cycler {
  return lazyCycler([key], values.length, (i) => new Map([[key, values[i]]]));
}

/** One motor over `num` evenly spaced positions (`cycler(motor, np.linspace(start, stop, num))`), computed on demand. */
export function linspaceCycler(key: unknown, start: number, stop: number, num: number): Cycler {
  checkSamples(num);
  return lazyCycler([key], num, (i) => new Map([[key, linspaceAt(start, stop, num, i)]]));
}

function merge(a: Point, b: Point): Point {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, v);
  return out;
}

/** Zip two trajectories of equal length with disjoint motors (`cycler + cycler`). */
export function cyclerAdd(a: Cycler, b: Cycler): Cycler {
  if (a.length !== b.length) {
    throw new PlanArgumentError(`Can only add equal length cycles, not ${a.length} and ${b.length}`);
  }
  if (a.keys.some((k) => b.keys.includes(k))) throw new PlanArgumentError('Can not compose overlapping cycles');
  return lazyCycler([...a.keys, ...b.keys], a.length, (i) => merge(a.at(i), b.at(i)));
}

/** Outer product, `a` slowest (`cycler * cycler`). */
export function cyclerMul(a: Cycler, b: Cycler): Cycler {
  if (a.keys.some((k) => b.keys.includes(k))) throw new PlanArgumentError('Can not compose overlapping cycles');
  const inner = b.length;
  return lazyCycler([...a.keys, ...b.keys], a.length * inner, (i) => merge(a.at(Math.floor(i / inner)), b.at(i % inner)));
}

function reduce(cyclers: readonly Cycler[], op: (a: Cycler, b: Cycler) => Cycler): Cycler {
  const [first, ...rest] = cyclers;
  if (first === undefined) throw new PlanArgumentError('at least one motor is needed for a trajectory', [{ path: '/args', expected: 'at least one motor', got: 'none' }]);
  return rest.reduce(op, first);
}

/**
 * Combine trajectories as an outer product where each snaked axis reverses
 * direction on every pass of the axes before it (bluesky `snake_cyclers`).
 * Point `k` is computed from `k` alone: axis `i` is at index `⌊k / (product of
 * the later axes' lengths)⌋`, counted back and forth when snaked.
 */
export function snakeCyclers(cyclers: readonly Cycler[], snakes: readonly boolean[]): Cycler {
  if (cyclers.length !== snakes.length) throw new PlanArgumentError('number of cyclers does not match number of booleans');
  if (!snakes.slice(1).some(Boolean)) return reduce(cyclers, cyclerMul);
  if (cyclers.length === 0) return reduce(cyclers, cyclerMul);
  const lengths = cyclers.map((c) => c.length);
  const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
  const repeats = lengths.map((_, i) => product(lengths.slice(i + 1)));
  const keys = cyclers.flatMap((c) => c.keys);
  return lazyCycler(keys, product(lengths), (k) => {
    const out = new Map<unknown, unknown>();
    cyclers.forEach((c, i) => {
      const n = c.length;
      const j = Math.floor(k / (repeats[i] as number)) % (snakes[i] === true ? 2 * n : n);
      // bluesky: the snaked axis runs its values, then the same values reversed, and again.
      for (const [key, v] of c.at(j < n ? j : 2 * n - 1 - j)) out.set(key, v);
    });
    return out;
  });
}

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
    linspaceCycler(motor, asNumber(start, `/args/${3 * i + 1}`), asNumber(stop, `/args/${3 * i + 2}`), num)), cyclerAdd);
}

/** All motors move together through given lists: `motor1, [p...], ..., motorN, [p...]`. */
export function innerListProduct(args: readonly unknown[]): Cycler {
  if (args.length % 2 !== 0) {
    throw new PlanArgumentError("Wrong number of positional arguments for 'inner_list_product'", [{ path: '/args', expected: 'motor, list pairs', got: `${args.length} values` }]);
  }
  return reduce(partition(2, args).map(([motor, positions]) => cycler(motor, Array.isArray(positions) ? positions : [...(positions as Iterable<unknown>)])), cyclerAdd);
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
  return snakeCyclers(chunks.map((c) => linspaceCycler(c.motor, c.start, c.stop, c.num)), chunks.map((c) => c.snake));
}
