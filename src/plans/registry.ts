/**
 * The standard plans by bluesky name, for the CLI and the dispatcher: a JSON
 * Schema of each plan's parameters (Python's parameter names; devices by name),
 * `validatePlanParams`, and `build(params, devices)` returning the plan.
 * @module
 */
import { PlanArgumentError } from '../model/errors.js';
import type { Plan } from '../model/msg.js';
import type { Readable } from '../model/protocols.js';
import { gridScan, relGridScan } from './grid-scan.js';
import { type JsonSchema, type ParamError, checkValue, describeValue, didYouMean } from './param-validation.js';
import { count, listScan, logScan, relListScan, relScan, scan } from './plans.js';
import { type CheckContext, checkDevice, checkGridScanArgs, checkListScanArgs, checkScanArgs } from './registry-args.js';
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
  /** Build the plan from validated params; devices are looked up by name. */
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
  type: 'array', items: { type: 'string', 'x-device': 'readable' }, description: 'Names of the readable devices to read at each point.', examples: [['det1', 'det2']],
};
const MD: JsonSchema = { anyOf: [{ type: 'object' }, { type: 'null' }], default: {}, description: 'Extra start-document metadata (wins over the plan’s own keys).' };
const NUMBER: JsonSchema = { type: 'number' };
const MOTOR: JsonSchema = { type: 'string', 'x-device': 'movable', title: 'motor' };

function object(required: readonly string[], properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', additionalProperties: false, required, properties: { ...properties, md: MD } };
}

const SCAN_PARAMS = object(['detectors', 'args'], {
  detectors: DETECTORS,
  args: { type: 'array', items: { anyOf: [{ type: 'string' }, NUMBER] }, description: 'motor, start, stop for each motor (device names), optionally followed by num.', examples: [['motor', -1, 1]],
    'x-row': [MOTOR, { type: 'number', title: 'start' }, { type: 'number', title: 'stop' }] },
  num: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }], default: null, description: 'Number of points (null: the last element of args).' },
});
const LIST_SCAN_PARAMS = object(['detectors', 'args'], {
  detectors: DETECTORS,
  args: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'array', items: NUMBER }] }, description: 'motor, [positions...] for each motor; all lists the same length.', examples: [['motor', [0, 0.5, -0.25, 2]]],
    'x-row': [MOTOR, { type: 'array', items: NUMBER, title: 'positions' }] },
});
const GRID_SCAN_PARAMS = object(['detectors', 'args'], {
  detectors: DETECTORS,
  args: { type: 'array', items: { anyOf: [{ type: 'string' }, NUMBER, { type: 'boolean' }] }, description: 'motor, start, stop, num for each axis, first axis slowest.', examples: [['motor1', -1, 1, 3, 'motor2', -2, 2, 4]],
    'x-row': [MOTOR, { type: 'number', title: 'start' }, { type: 'number', title: 'stop' }, { type: 'integer', minimum: 1, title: 'num' }] },
  snake_axes: { anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string' } }, { type: 'null' }], default: null, description: 'true: snake every axis but the first; false: none; a list: these motors.' },
});

function numGiven(params: PlanParams): boolean {
  return params['num'] !== undefined && params['num'] !== null;
}

const scanLike = (name: string, description: string, plan: typeof scan): Entry => ({
  name, description, params: SCAN_PARAMS,
  check: (ctx, p) => { if (Array.isArray(p['args'])) checkScanArgs(ctx, p['args'], numGiven(p)); },
  make: (r) => plan(r.detectors, r.args, { num: (r.raw['num'] ?? null) as number | null, md: r.md }),
});

const listLike = (name: string, description: string, plan: typeof listScan): Entry => ({
  name, description, params: LIST_SCAN_PARAMS,
  check: (ctx, p) => { if (Array.isArray(p['args'])) checkListScanArgs(ctx, p['args']); },
  make: (r) => plan(r.detectors, r.args, { md: r.md }),
});

function snakeAxesOf(r: Resolved): boolean | unknown[] | null {
  const s = r.raw['snake_axes'];
  if (Array.isArray(s)) return s.map((name) => r.device(name));
  return typeof s === 'boolean' ? s : null;
}

const gridLike = (name: string, description: string, plan: typeof gridScan): Entry => ({
  name, description, params: GRID_SCAN_PARAMS,
  check: (ctx, p) => { if (Array.isArray(p['args'])) checkGridScanArgs(ctx, p['args'], p['snake_axes']); },
  make: (r) => plan(r.detectors, r.args, { snakeAxes: snakeAxesOf(r), md: r.md }),
});

const ENTRIES: readonly Entry[] = [
  {
    name: 'count', description: 'Take one or more readings from detectors.',
    params: object(['detectors'], {
      detectors: DETECTORS,
      num: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'null' }], default: 1, description: 'Number of readings; null: until stopped.' },
      delay: { anyOf: [{ type: 'number', minimum: 0 }, { type: 'array', items: { anyOf: [NUMBER, { type: 'null' }] } }, { type: 'null' }], default: 0, description: 'Seconds between readings, or one delay per gap.' },
    }),
    check: () => undefined,
    make: (r) => count(r.detectors, {
      num: (r.raw['num'] === undefined ? 1 : r.raw['num']) as number | null,
      delay: (r.raw['delay'] ?? 0) as number | Array<number | null>, md: r.md,
    }),
    },
  scanLike('scan', 'Scan over one multi-motor trajectory.', scan),
  scanLike('rel_scan', 'Scan over one multi-motor trajectory relative to current position.', relScan),
  listLike('list_scan', 'Scan over one or more variables in steps simultaneously (inner product).', listScan),
  listLike('rel_list_scan', 'Scan over one or more variables in steps relative to current position.', relListScan),
  gridLike('grid_scan', 'Scan over a mesh; each motor is on an independent trajectory.', gridScan),
  gridLike('rel_grid_scan', 'Scan over a mesh relative to current position.', relGridScan),
  {
    name: 'log_scan', description: 'Scan over one variable in log-spaced steps.',
    params: object(['detectors', 'motor', 'start', 'stop', 'num'], {
      detectors: DETECTORS,
      motor: { type: 'string', 'x-device': 'movable', description: 'Name of the device to move.' },
      start: { type: 'number', description: 'Starting exponent: the first point is 10**start.' },
      stop: { type: 'number', description: 'Final exponent: the last point is 10**stop.' },
      num: { type: 'integer', minimum: 1, description: 'Number of points.' },
    }),
    check: (ctx, p) => checkDevice(ctx, p['motor'], 'motor', 'movable'),
    make: (r) => logScan(r.detectors, r.device(r.raw['motor']), r.raw['start'] as number, r.raw['stop'] as number, r.raw['num'] as number, { md: r.md }),
    },
];

const BY_NAME = new Map<string, Entry>(ENTRIES.map((e) => [e.name, e]));

/** The standard plans, in display order. */
export const STANDARD_PLANS: readonly PlanDescriptor[] = ENTRIES.map((e) => ({
  name: e.name, description: e.description, params: e.params,
  build: (params: PlanParams, devices: ReadonlyMap<string, unknown>) => buildWith(e, params, devices),
}));

const DESCRIPTORS = new Map<string, PlanDescriptor>(STANDARD_PLANS.map((d) => [d.name, d]));

/** A standard plan by bluesky name, or undefined. */
export function getPlanDescriptor(name: string): PlanDescriptor | undefined {
  return DESCRIPTORS.get(name);
}

function schemaErrors(entry: Entry, params: PlanParams): ParamError[] {
  const props = entry.params.properties ?? {};
  const names = Object.keys(props);
  const errors: ParamError[] = [];
  for (const [key, value] of Object.entries(params)) {
    const schema = props[key];
    if (schema === undefined) {
      errors.push({ path: key, message: `unknown parameter "${key}" for plan "${entry.name}"${didYouMean(key, names)}`, expected: `one of: ${names.join(', ')}`, got: `"${key}"` });
    } else {
      errors.push(...checkValue(schema, value, key, `parameter "${key}" of ${entry.name}`));
    }
  }
  for (const key of entry.params.required ?? []) {
    if (!Object.hasOwn(params, key)) {
      const schema = props[key] ?? {};
      errors.push({ path: key, message: `missing parameter "${key}" for plan "${entry.name}"`, expected: schema.description ?? 'a value', got: 'nothing' });
    }
  }
  return errors;
}

/**
 * Every problem with `params` for the plan `name`: unknown plan or parameter,
 * wrong type, unknown or unsuitable device (with a suggestion), wrong `args` layout.
 * @returns an empty list when the plan can be built
 * @example validatePlanParams('scan', { detectors: ['det'], args: ['motor', -1, 1], num: 5 }, devices)
 */
export function validatePlanParams(name: string, params: unknown, devices: ReadonlyMap<string, unknown>): ParamError[] {
  const entry = BY_NAME.get(name);
  if (entry === undefined) {
    return [{ path: '', message: `unknown plan "${name}"${didYouMean(name, BY_NAME.keys())}`, expected: `one of: ${[...BY_NAME.keys()].join(', ')}`, got: `"${name}"` }];
  }
  const p = params === undefined || params === null ? {} : params;
  if (!isPlainObject(p)) {
    return [{ path: '', message: `the parameters of plan "${name}" must be an object, got ${describeValue(p)}`, expected: 'an object of named parameters', got: describeValue(p) }];
  }
  const errors = schemaErrors(entry, p);
  const badKeys = new Set(errors.map((e) => e.path.split('[')[0]));
  const ctx: CheckContext = { plan: name, devices, errors };
  if (Array.isArray(p['detectors']) && !badKeys.has('detectors')) {
    p['detectors'].forEach((d: unknown, i: number) => checkDevice(ctx, d, `detectors[${i}]`, 'readable'));
  }
  if (!['args', 'motor', 'num', 'snake_axes'].some((k) => badKeys.has(k))) entry.check(ctx, p);
  return errors;
}

function buildWith(entry: Entry, params: PlanParams, devices: ReadonlyMap<string, unknown>): Plan<unknown> {
  const errors = validatePlanParams(entry.name, params, devices);
  if (errors.length > 0) {
    throw new PlanArgumentError(`invalid parameters for plan "${entry.name}": ${errors.map((e) => e.message).join('; ')}`, errors);
  }
  const device = (x: unknown): unknown => (typeof x === 'string' ? devices.get(x) : x);
  const resolved: Resolved = {
    // validatePlanParams checked every detector name against the Readable guard.
    detectors: ((params['detectors'] ?? []) as unknown[]).map(device) as Readable[],
    args: ((params['args'] ?? []) as unknown[]).map(device),
    raw: params,
    md: (params['md'] ?? {}) as Record<string, unknown>,
    device,
  };
  return entry.make(resolved);
}
