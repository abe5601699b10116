/**
 * The standard plans by bluesky name, for the CLI and the dispatcher: a JSON
 * Schema of each plan's parameters (Python's parameter names; devices by name;
 * maxima from the {@link PlanLimits}), `validatePlanParams` (the one validator,
 * then the checks a schema cannot express), and `build(params, devices)`.
 * @module
 */
import { PlanArgumentError } from '../model/errors.js';
import type { Plan } from '../model/msg.js';
import type { Readable } from '../model/protocols.js';
import { gridScan, relGridScan } from './grid-scan.js';
import { DEFAULT_PLAN_LIMITS, MAX_AXES, MAX_DETECTORS, MAX_POINTS_NAME, type PlanLimits, planLimits } from './limits.js';
import { type JsonSchema, type ParamError, type ParamValidator, capped, compileParamValidator, didYouMean } from './param-validation.js';
import { count, listScan, logScan, relListScan, relScan, scan } from './plans.js';
import { type CheckContext, checkCountDelay, checkExponent, checkGridScanArgs, checkListScanArgs, checkPatternNum, checkScanArgs, checkStartMetadata } from './registry-args.js';
import { isPlainObject } from './utils.js';

export type { JsonSchema, ParamError } from './param-validation.js';

/** Parameters as received (JSON). */
export type PlanParams = Readonly<Record<string, unknown>>;

/** A plan startable by name. */
export interface PlanDescriptor {
  /** bluesky's name: `count`, `rel_scan`, ... */
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the params object; every optional parameter has a `default`. */
  readonly params: JsonSchema;
  /** Every problem with `params` (empty: the plan can be built); paths are JSON pointers. */
  validate(params: unknown, devices: ReadonlyMap<string, unknown>): ParamError[];
  /**
   * Build the plan from params; devices are looked up by name.
   * @throws PlanArgumentError (PLAN_ARGUMENT_INVALID) listing the problems when `params` are not valid
   */
  build(params: PlanParams, devices: ReadonlyMap<string, unknown>): Plan<unknown>;
}

/** How a plan's params are checked beyond the schema, and turned into the plan. */
interface Entry {
  readonly name: string;
  readonly description: string;
  readonly params: JsonSchema;
  check(ctx: CheckContext, params: PlanParams): void;
  make(p: Resolved): Plan<unknown>;
}

/** Params with defaults applied and device names replaced by devices. */
interface Resolved {
  readonly detectors: readonly Readable[];
  readonly args: readonly unknown[];
  readonly raw: PlanParams;
  readonly md: Readonly<Record<string, unknown>>;
  device(name: unknown): unknown;
}

const DETECTORS: JsonSchema = {
  type: 'array', maxItems: MAX_DETECTORS, items: { type: 'string', 'x-device': 'readable' }, description: 'Names of the readable devices to read at each point.', examples: [['det1', 'det2']],
};
const MD: JsonSchema = { anyOf: [{ type: 'object' }, { type: 'null' }], default: {}, description: 'Extra start-document metadata (wins over the plan’s own keys).' };
const NUMBER: JsonSchema = { type: 'number' };
const MOTOR: JsonSchema = { type: 'string', 'x-device': 'movable', title: 'motor' };

function object(required: readonly string[], properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', additionalProperties: false, required, properties: { ...properties, md: MD } };
}

/** A number of points: 1 (or `min`) up to the limit. */
function points(max: number, min = 1, extra: Partial<JsonSchema> = {}): JsonSchema {
  return { type: 'integer', minimum: min, maximum: max, 'x-limit': MAX_POINTS_NAME, ...extra };
}

function scanParams(l: PlanLimits): JsonSchema {
  return object(['detectors', 'args'], {
    detectors: DETECTORS,
    args: { type: 'array', maxItems: 3 * MAX_AXES + 1, items: { anyOf: [{ type: 'string' }, NUMBER] }, description: 'motor, start, stop for each motor (device names), optionally followed by num.', examples: [['motor', -1, 1]],
      'x-row': [MOTOR, { type: 'number', title: 'start' }, { type: 'number', title: 'stop' }] },
    num: { anyOf: [points(l.maxPoints), { type: 'null' }], default: null, description: 'Number of points (null: the last element of args).' },
  });
}

function listScanParams(l: PlanLimits): JsonSchema {
  return object(['detectors', 'args'], {
    detectors: DETECTORS,
    args: { type: 'array', maxItems: 2 * MAX_AXES, items: { anyOf: [{ type: 'string' }, { type: 'array', maxItems: l.maxPoints, 'x-limit': MAX_POINTS_NAME, items: NUMBER }] }, description: 'motor, [positions...] for each motor; all lists the same length.', examples: [['motor', [0, 0.5, -0.25, 2]]],
      'x-row': [MOTOR, { type: 'array', items: NUMBER, title: 'positions' }] },
  });
}

function gridScanParams(l: PlanLimits): JsonSchema {
  return object(['detectors', 'args'], {
    detectors: DETECTORS,
    args: { type: 'array', maxItems: 5 * MAX_AXES, items: { anyOf: [{ type: 'string' }, NUMBER, { type: 'boolean' }] }, description: 'motor, start, stop, num for each axis, first axis slowest.', examples: [['motor1', -1, 1, 3, 'motor2', -2, 2, 4]],
      'x-row': [MOTOR, { type: 'number', title: 'start' }, { type: 'number', title: 'stop' }, points(l.maxPoints, 1, { title: 'num' })] },
    snake_axes: { anyOf: [{ type: 'boolean' }, { type: 'array', maxItems: MAX_AXES, items: { type: 'string' } }, { type: 'null' }], default: null, description: 'true: snake every axis but the first; false: none; a list: these motors.' },
  });
}

function numGiven(params: PlanParams): boolean {
  return params['num'] !== undefined && params['num'] !== null;
}

const scanLike = (name: string, description: string, plan: typeof scan, l: PlanLimits): Entry => ({
  name, description, params: scanParams(l),
  check: (ctx, p) => { if (Array.isArray(p['args'])) checkScanArgs(ctx, p['args'], numGiven(p)); },
  make: (r) => plan(r.detectors, r.args, { num: (r.raw['num'] ?? null) as number | null, md: r.md }),
});

const listLike = (name: string, description: string, plan: typeof listScan, l: PlanLimits): Entry => ({
  name, description, params: listScanParams(l),
  check: (ctx, p) => { if (Array.isArray(p['args'])) checkListScanArgs(ctx, p['args']); },
  make: (r) => plan(r.detectors, r.args, { md: r.md }),
});

function snakeAxesOf(r: Resolved): boolean | unknown[] | null {
  const s = r.raw['snake_axes'];
  if (Array.isArray(s)) return s.map((name) => r.device(name));
  return typeof s === 'boolean' ? s : null;
}

const gridLike = (name: string, description: string, plan: typeof gridScan, l: PlanLimits): Entry => ({
  name, description, params: gridScanParams(l),
  check: (ctx, p) => { if (Array.isArray(p['args'])) checkGridScanArgs(ctx, p['args'], p['snake_axes']); },
  make: (r) => plan(r.detectors, r.args, { snakeAxes: snakeAxesOf(r), md: r.md }),
});

function entries(l: PlanLimits): Entry[] {
  return [
    {
      name: 'count', description: 'Take one or more readings from detectors.',
      params: object(['detectors'], {
        detectors: DETECTORS,
        num: { anyOf: [points(l.maxPoints, 0), { type: 'null' }], default: 1, description: 'Number of readings; null: until stopped.' },
        delay: {
          anyOf: [{ type: 'number', minimum: 0 }, { type: 'array', maxItems: l.maxPoints, 'x-limit': MAX_POINTS_NAME, items: { anyOf: [NUMBER, { type: 'null' }] } }, { type: 'null' }],
          default: 0, description: 'Seconds between readings, or one delay per gap.',
        },
      }),
      check: (ctx, p) => checkCountDelay(ctx, p['num'] ?? 1, p['delay']),
      make: (r) => count(r.detectors, {
        num: (r.raw['num'] === undefined ? 1 : r.raw['num']) as number | null,
        delay: (r.raw['delay'] ?? 0) as number | Array<number | null>, md: r.md,
      }),
    },
    scanLike('scan', 'Scan over one multi-motor trajectory.', scan, l),
    scanLike('rel_scan', 'Scan over one multi-motor trajectory relative to current position.', relScan, l),
    listLike('list_scan', 'Scan over one or more variables in steps simultaneously (inner product).', listScan, l),
    listLike('rel_list_scan', 'Scan over one or more variables in steps relative to current position.', relListScan, l),
    gridLike('grid_scan', 'Scan over a mesh; each motor is on an independent trajectory.', gridScan, l),
    gridLike('rel_grid_scan', 'Scan over a mesh relative to current position.', relGridScan, l),
    {
      name: 'log_scan', description: 'Scan over one variable in log-spaced steps.',
      params: object(['detectors', 'motor', 'start', 'stop', 'num'], {
        detectors: DETECTORS,
        motor: { type: 'string', 'x-device': 'movable', description: 'Name of the device to move.' },
        start: { type: 'number', description: 'Starting exponent: the first point is 10**start.' },
        stop: { type: 'number', description: 'Final exponent: the last point is 10**stop.' },
        num: points(l.maxPoints, 1, { description: 'Number of points.' }),
      }),
      check: (ctx, p) => {
        checkExponent(ctx, p['start'], '/start');
        checkExponent(ctx, p['stop'], '/stop');
        checkPatternNum(ctx, p['md']);
      },
      make: (r) => logScan(r.detectors, r.device(r.raw['motor']), r.raw['start'] as number, r.raw['stop'] as number, r.raw['num'] as number, { md: r.md }),
    },
  ];
}

/** Keys whose own problems make the cross-parameter checks meaningless. */
const CROSS_CHECKED = ['args', 'motor', 'num', 'snake_axes'];

function describe(entry: Entry, l: PlanLimits): PlanDescriptor {
  let validator: ParamValidator | null = null;
  const validate = (params: unknown, devices: ReadonlyMap<string, unknown>): ParamError[] => {
    // Compiled once per plan, on first use (a process that never validates never pays for it).
    validator ??= compileParamValidator(entry.params as Record<string, unknown>);
    const p = params === undefined || params === null ? {} : params;
    const errors = validator.errors(p, devices);
    if (!isPlainObject(p) || errors.some((e) => e.expected === 'a finite number')) return errors;
    const bad = new Set(errors.map((e) => e.path.split('/')[1]));
    const ctx: CheckContext = { devices, maxPoints: l.maxPoints, errors };
    if (!CROSS_CHECKED.some((k) => bad.has(k))) entry.check(ctx, p);
    if (!bad.has('md')) checkStartMetadata(ctx, p['md']);
    return capped(errors);
  };
  return {
    name: entry.name, description: entry.description, params: entry.params, validate,
    build: (params, devices) => buildWith(entry, validate(params, devices), params, devices),
  };
}

/**
 * The standard plans, in display order, with their schemas' maxima from `limits`
 * (`serve --max-points`).
 * @throws RangeError for a limit that is not a whole number >= 1
 * @example standardPlans({ maxPoints: 1000 }).find((p) => p.name === 'scan')?.validate(params, devices)
 */
export function standardPlans(limits: Partial<PlanLimits> = {}): readonly PlanDescriptor[] {
  const l = planLimits(limits);
  return entries(l).map((e) => describe(e, l));
}

/** The standard plans with the default limits. */
export const STANDARD_PLANS: readonly PlanDescriptor[] = standardPlans(DEFAULT_PLAN_LIMITS);

const DESCRIPTORS = new Map<string, PlanDescriptor>(STANDARD_PLANS.map((d) => [d.name, d]));

/** A standard plan (default limits) by bluesky name, or undefined. */
export function getPlanDescriptor(name: string): PlanDescriptor | undefined {
  return DESCRIPTORS.get(name);
}

/**
 * Every problem with `params` for the standard plan `name` (default limits):
 * unknown plan or parameter, wrong type, a number over its limit, unknown or
 * unsuitable device (with a suggestion), wrong `args` layout, metadata that
 * would make an invalid start document. Paths are JSON pointers.
 * @returns an empty list when the plan can be built
 * @example validatePlanParams('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 5 }, devices)
 */
export function validatePlanParams(name: string, params: unknown, devices: ReadonlyMap<string, unknown>): ParamError[] {
  const plan = DESCRIPTORS.get(name);
  if (plan === undefined) {
    return [{ path: '', message: `unknown plan "${name}"${didYouMean(name, DESCRIPTORS.keys())}`, expected: `one of: ${[...DESCRIPTORS.keys()].join(', ')}`, got: JSON.stringify(name) }];
  }
  return plan.validate(params, devices);
}

function buildWith(entry: Entry, errors: readonly ParamError[], params: PlanParams, devices: ReadonlyMap<string, unknown>): Plan<unknown> {
  if (errors.length > 0) {
    throw new PlanArgumentError(`invalid parameters for plan "${entry.name}": ${errors.map((e) => e.message).join('; ')}`, errors);
  }
  const device = (x: unknown): unknown => (typeof x === 'string' ? devices.get(x) : x);
  const resolved: Resolved = {
    // The validator checked every detector name against the Readable guard.
    detectors: ((params['detectors'] ?? []) as unknown[]).map(device) as Readable[],
    args: ((params['args'] ?? []) as unknown[]).map(device),
    raw: params,
    md: (params['md'] ?? {}) as Record<string, unknown>,
    device,
  };
  return entry.make(resolved);
}
