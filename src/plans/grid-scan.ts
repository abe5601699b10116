/**
 * Mesh scans (bluesky `grid_scan`, `rel_grid_scan`): argument layouts,
 * `snake_axes`, and the grid start metadata (shape, extents, snaking).
 * @module
 */
import { PlanArgumentError } from '../model/errors.js';
import type { Plan } from '../model/msg.js';
import { type Readable, nameOf } from '../model/protocols.js';
import { type Md, type PerStep, checkDetectors, hintsOf, perStepRepr, setDefault } from './plan-helpers.js';
import { type GridChunk, chunkOuterProductArgs, classifyOuterProductArgsPattern, outerProduct } from './plan-patterns.js';
import { PLAN_PATTERNS_MODULE, scanNdRun } from './plans.js';
import { relativeSetWrapper, resetPositionsWrapper } from './relative.js';
import { deviceRepr } from './utils.js';

/** Options of {@link gridScan}. */
export interface GridScanOptions {
  /** true: snake every axis but the first; false: none; a list: these motors (never the first). */
  snakeAxes?: boolean | readonly unknown[] | null;
  perStep?: PerStep | null;
  md?: Md | null;
  predeclare?: boolean;
}

function badSnakeAxes(message: string, got: string): PlanArgumentError {
  return new PlanArgumentError(message, [{ path: '/snake_axes', expected: 'true, false, or a list of the scanned motors except the first', got }]);
}

function listedNames(xs: readonly unknown[]): string {
  return `[${xs.map((x) => nameOf(x)).join(', ')}]`;
}

/** Apply `snake_axes` to the chunks (it overrides any snake flags given in `args`). */
function applySnakeAxes(chunks: GridChunk[], snakeAxes: boolean | readonly unknown[]): GridChunk[] {
  const motors = chunks.map((c) => c.motor);
  if (typeof snakeAxes === 'boolean') return chunks.map((c, n) => ({ ...c, snake: n > 0 && snakeAxes }));
  if (!Array.isArray(snakeAxes)) {
    throw badSnakeAxes(`Parameter 'snake_axes' is not iterable, boolean or None: '${String(snakeAxes)}'`, typeof snakeAxes);
  }
  const axes = snakeAxes as readonly unknown[];
  if (new Set(axes).size !== axes.length) {
    throw badSnakeAxes(`The list of axes 'snake_axes' contains repeated elements: '${listedNames(axes)}'`, listedNames(axes));
  }
  if (motors.length > 0 && axes.includes(motors[0])) {
    throw badSnakeAxes(`The list of axes 'snake_axes' contains the slowest motor: '${listedNames(axes)}'`, listedNames(axes));
  }
  if (axes.some((a) => !motors.includes(a))) {
    throw badSnakeAxes(`The list of axes 'snake_axes' contains motors that are not controlled during the scan: '${listedNames(axes)}'`, listedNames(axes));
  }
  return chunks.map((c, n) => ({ ...c, snake: n > 0 && axes.includes(c.motor) }));
}

/** Validate `args`/`snake_axes` and return one chunk per axis with its final snake flag. */
function gridChunks(args: readonly unknown[], snakeAxes: boolean | readonly unknown[] | null): GridChunk[] {
  const pattern = classifyOuterProductArgsPattern(args);
  if (snakeAxes !== null && pattern === 2) {
    throw badSnakeAxes("Mixing of deprecated and new API interface is not allowed: the parameter 'snake_axes' can not be used if snaking is set as part of 'args'", String(snakeAxes));
  }
  const chunks = chunkOuterProductArgs(args, pattern);
  const motors = chunks.map((c) => c.motor);
  if (new Set(motors).size !== motors.length) {
    throw new PlanArgumentError(`Some motors are listed multiple times in the argument list 'args': '${listedNames(motors)}'`, [
      { path: '/args', expected: 'each motor once', got: listedNames(motors) },
    ]);
  }
  // The new API without snake_axes means "no snaking" (bluesky sets snake_axes=False).
  const effective = snakeAxes === null && pattern !== 2 ? false : snakeAxes;
  return effective === null ? chunks : applySnakeAxes(chunks, effective);
}

/** `m1, s1, e1, n1, m2, s2, e2, n2, snake2, ...`: the layout `outer_product` and `plan_args` use. */
function chunksToArgs(chunks: readonly GridChunk[], repr: (m: unknown) => unknown): unknown[] {
  return chunks.flatMap((c, i) => [repr(c.motor), c.start, c.stop, c.num, ...(i > 0 ? [c.snake] : [])]);
}

function gridHints(md: Md, motors: readonly unknown[]): Record<string, unknown> {
  let hints = setDefault(hintsOf(md), 'gridding', 'rectilinear');
  const fields = motors.map((m) => (m as { hints?: { fields?: unknown } }).hints?.fields);
  // bluesky: a motor without hints["fields"] (AttributeError/KeyError) leaves dimensions unset.
  if (fields.every((f) => Array.isArray(f))) hints = setDefault(hints, 'dimensions', fields.map((f) => [f, 'primary']));
  return hints;
}

/**
 * Scan a mesh, first motor slowest (bluesky `grid_scan`).
 * @param args `motor1, start1, stop1, num1, motor2, start2, stop2, num2, ...` (or the
 *   deprecated layout with a snake flag after every motor but the first)
 * @example gridScan([det], [motor1, -1, 1, 3, motor2, -2, 2, 4], { snakeAxes: true })
 */
export function* gridScan(detectors: readonly Readable[], args: readonly unknown[], options: GridScanOptions = {}): Plan<string> {
  checkDetectors(detectors);
  const chunks = gridChunks(args, options.snakeAxes ?? null);
  const motors = chunks.map((c) => c.motor);
  const cycler = outerProduct(chunksToArgs(chunks, (m) => m));
  const mdArgs = chunksToArgs(chunks, deviceRepr);
  const md: Record<string, unknown> = {
    shape: chunks.map((c) => c.num),
    extents: chunks.map((c) => [c.start, c.stop]),
    snaking: chunks.map((c) => c.snake),
    plan_args: { detectors: detectors.map(deviceRepr), args: mdArgs, per_step: perStepRepr(options.perStep) },
    plan_name: 'grid_scan',
    plan_pattern: 'outer_product',
    plan_pattern_args: { args: mdArgs },
    plan_pattern_module: PLAN_PATTERNS_MODULE,
    motors: motors.map((m) => nameOf(m)),
    hints: {},
    ...(options.md ?? {}),
  };
  md['hints'] = gridHints(md, motors);
  return yield* scanNdRun(detectors, cycler, {
    md,
    ...(options.perStep ? { perStep: options.perStep } : {}),
    ...(options.predeclare === undefined ? {} : { predeclare: options.predeclare }),
  });
}

/** {@link gridScan} relative to the motors' current positions, restored afterwards (bluesky `rel_grid_scan`). */
export function* relGridScan(detectors: readonly Readable[], args: readonly unknown[], options: GridScanOptions = {}): Plan<string> {
  const md = { plan_name: 'rel_grid_scan', ...(options.md ?? {}) };
  const motors = chunkOuterProductArgs(args).map((c) => c.motor);
  return yield* resetPositionsWrapper<string>(relativeSetWrapper<string>(gridScan(detectors, args, { ...options, md }), motors), motors);
}
