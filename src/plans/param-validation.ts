/**
 * The one validator of plan parameters, for the standard plans and for plans
 * users register: JSON Schema draft 2020-12 compiled once per plan by Ajv, with
 * device names checked against the devices (`x-device`), non-finite numbers
 * refused, and every problem reported as a {@link ParamError} whose `path` is a
 * JSON pointer (`/detectors/1`) and whose message names the parameter, what
 * was expected and what was received (with "did you mean").
 * @module
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMovable, isReadable } from '../model/protocols.js';
import { type JsonSchema, describeSchema, describeValue, didYouMean, paramName, pointer, preview } from './param-text.js';

export { type JsonSchema, describeSchema, describeValue, didYouMean, editDistance, paramName, pointer, preview, suggest } from './param-text.js';

/** One problem with a plan's parameters. */
export interface ParamError {
  /** JSON pointer into the params object: `/num`, `/detectors/1`, `/args/3` (`''`: the params object itself). */
  readonly path: string;
  readonly message: string;
  readonly expected: string;
  readonly got: string;
}

/** A plan's compiled parameter check. */
export interface ParamValidator {
  readonly schema: Readonly<Record<string, unknown>>;
  /**
   * Every problem with `params` (empty: valid). With `defaults`, missing
   * parameters' defaults are written into `params`: give it a copy.
   * Without `devices`, device names are not looked up.
   */
  errors(params: unknown, devices?: ReadonlyMap<string, unknown>): ParamError[];
}

/** At most this many problems are reported for one request (the rest are counted). */
export const MAX_REPORTED_ERRORS = 20;

type Role = 'readable' | 'movable' | 'any';
interface DeviceContext { readonly devices: ReadonlyMap<string, unknown> }
type Detail = Omit<ParamError, 'path'>;

function knownDevices(devices: ReadonlyMap<string, unknown>): string {
  const names = [...devices.keys()].sort();
  const shown = names.slice(0, 15).join(', ');
  return names.length === 0 ? 'a device name (no devices are registered)' : `a device name: ${shown}${names.length > 15 ? ', …' : ''}`;
}

/**
 * Why `name` at `path` is not a usable device of `role`, or null when it is.
 * Shared by the `x-device` keyword and the standard plans' `args` checks.
 */
export function deviceProblem(devices: ReadonlyMap<string, unknown>, name: unknown, path: string, role: Role): ParamError | null {
  const what = `parameter "${paramName(path)}"`;
  if (typeof name !== 'string') {
    return { path, message: `${what} must be a device name, got ${describeValue(name)}`, expected: knownDevices(devices), got: describeValue(name) };
  }
  const device = devices.get(name);
  if (device === undefined) {
    return { path, message: `${what}: unknown device "${name}"${didYouMean(name, devices.keys())}`, expected: knownDevices(devices), got: JSON.stringify(name) };
  }
  if (role === 'any' || (role === 'movable' ? isMovable(device) : isReadable(device))) return null;
  const why = role === 'movable' ? 'cannot be moved (it has no set method)' : 'cannot be read (it needs name, read and describe)';
  return { path, message: `${what}: device "${name}" ${why}`, expected: `a ${role} device`, got: `"${name}" (not ${role})` };
}

function roleOf(hint: unknown): Role {
  return hint === 'readable' || hint === 'movable' ? hint : 'any';
}

/** Ajv keyword `x-device`: with a DeviceContext as `this` (Ajv passContext), the name must be a device of the role. */
function checkDevice(this: DeviceContext | undefined, hint: unknown, data: unknown, _parent: unknown, cxt?: { instancePath: string }): boolean {
  if (this?.devices === undefined || typeof data !== 'string') return true;
  const problem = deviceProblem(this.devices, data, cxt?.instancePath ?? '', roleOf(hint));
  if (problem === null) return true;
  checkDevice.errors = [{ keyword: 'x-device', message: problem.message, params: { problem } }];
  return false;
}
checkDevice.errors = [] as Array<Partial<ErrorObject>>;

const instances = new Map<boolean, Ajv2020>();

function ajvFor(defaults: boolean): Ajv2020 {
  let ajv = instances.get(defaults);
  if (ajv === undefined) {
    // verbose: errors carry the data and the failing (sub)schema, which the messages describe.
    ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: defaults, passContext: true, verbose: true });
    ajv.addKeyword({ keyword: 'x-device', schemaType: ['boolean', 'string'], validate: checkDevice, errors: true });
    ajv.addKeyword({ keyword: 'x-row', schemaType: 'array' });
    ajv.addKeyword({ keyword: 'x-limit', schemaType: 'string' });
    ajv.addFormat('device', true);
    instances.set(defaults, ajv);
  }
  return ajv;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A copy of `schema` ready to compile: `format: "device"` also means `x-device`,
 * and a root without `additionalProperties` refuses unknown parameters (a typo
 * must not be silently ignored).
 */
function prepare(schema: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const VALUES = new Set(['default', 'examples', 'const', 'enum']);
  const mark = (s: unknown, inProperties = false): unknown => {
    if (Array.isArray(s)) return s.map((x) => mark(x));
    if (!isObject(s)) return s;
    const out: Record<string, unknown> = {};
    // Values (defaults, examples...) are data, not schemas; under `properties` every key is a schema.
    for (const [k, v] of Object.entries(s)) out[k] = !inProperties && VALUES.has(k) ? v : mark(v, k === 'properties' && !inProperties);
    if (out.format === 'device' && out['x-device'] === undefined) out['x-device'] = true;
    return out;
  };
  const root = mark(schema) as Record<string, unknown>;
  if (root.additionalProperties === undefined) root.additionalProperties = false;
  return root;
}

/**
 * Non-finite numbers anywhere in `x` (JSON.parse turns `1e999` into Infinity),
 * at most {@link MAX_REPORTED_ERRORS}; iterative, so no depth limit of our own.
 * @param base the pointer of `x` itself
 */
export function nonFiniteErrors(x: unknown, base = ''): ParamError[] {
  const out: ParamError[] = [];
  const stack: Array<[unknown, string]> = [[x, base]];
  while (stack.length > 0 && out.length < MAX_REPORTED_ERRORS) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === 'number' && !Number.isFinite(v)) {
      out.push({ path, message: `parameter "${paramName(path)}" must be a finite number, got ${String(v)}`, expected: 'a finite number', got: `${String(v)} (number)` });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}/${i}`]);
    } else if (isObject(v)) {
      for (const k of Object.keys(v).reverse()) stack.push([v[k], path + pointer(k)]);
    }
  }
  return out;
}

function bound(e: ErrorObject): string {
  const limit = String((e.params as { limit?: unknown }).limit);
  switch (e.keyword) {
    case 'maximum': return `at most ${limit}`;
    case 'minimum': return `at least ${limit}`;
    case 'exclusiveMaximum': return `less than ${limit}`;
    case 'exclusiveMinimum': return `more than ${limit}`;
    case 'maxItems': return `a list of at most ${limit} items`;
    case 'minItems': return `a list of at least ${limit} items`;
    case 'maxLength': return `at most ${limit} characters long`;
    case 'minLength': return `at least ${limit} characters long`;
    case 'maxProperties': return `an object of at most ${limit} keys`;
    default: return `${e.message ?? 'valid'}`;
  }
}

const BOUNDS = new Set(['maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'maxItems', 'minItems', 'maxLength', 'minLength', 'maxProperties', 'multipleOf']);

function fromAjv(e: ErrorObject, knownParams: readonly string[]): ParamError {
  const path = e.instancePath;
  const what = `parameter "${paramName(path)}"`;
  const got = describeValue(e.data);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'x-device':
      return { ...(params.problem as Detail), path };
    case 'required': {
      const missing = String(params.missingProperty);
      const sub = isObject(e.parentSchema) && isObject(e.parentSchema.properties) ? e.parentSchema.properties[missing] : undefined;
      const expected = isObject(sub) && typeof sub.description === 'string' ? sub.description : 'a value';
      const inner = path === '' ? '' : ` in ${what}`;
      return { path: path + pointer(missing), message: `missing required parameter "${missing}"${inner}`, expected, got: 'nothing' };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      if (path !== '') return { path: path + pointer(key), message: `${what} has an unknown key "${key}"`, expected: 'no such key', got: JSON.stringify(key) };
      const expected = knownParams.length === 0 ? 'no parameters' : `one of: ${knownParams.join(', ')}`;
      return { path: pointer(key), message: `unknown parameter "${key}"${didYouMean(key, knownParams)}`, expected, got: JSON.stringify(key) };
    }
    default: {
      if (BOUNDS.has(e.keyword)) {
        // The limit is named only for upper bounds: -1 points is below the minimum, not over --max-points.
        const upper = e.keyword === 'maximum' || e.keyword === 'exclusiveMaximum' || e.keyword === 'maxItems';
        const limit = upper && isObject(e.parentSchema) && typeof e.parentSchema['x-limit'] === 'string' ? ` (${e.parentSchema['x-limit']})` : '';
        const expected = `${bound(e)}${limit}`;
        return { path, message: `${what} must be ${expected}, got ${got}`, expected, got };
      }
      const expected = isObject(e.parentSchema) ? describeSchema(e.parentSchema as JsonSchema) : (e.message ?? e.keyword);
      if (e.keyword === 'enum' || e.keyword === 'const') {
        const allowed = e.keyword === 'const' ? preview(params.allowedValue) : (params.allowedValues as unknown[]).map((v) => preview(v)).join(', ');
        return { path, message: `${what} must be one of: ${allowed}, got ${got}`, expected: `one of: ${allowed}`, got };
      }
      return { path, message: `${what} must be ${expected}, got ${got}`, expected, got };
    }
  }
}

/**
 * Ajv reports one error per failing anyOf branch and one for the anyOf itself.
 * Keep one per anyOf: the bounds a branch of the right type broke (`num` 1e9
 * against `integer <= 1e7 | null` says "at most 1e7"), else the anyOf as a whole.
 */
function collapseAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const within = (e: ErrorObject, u: ErrorObject): boolean => e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`) && e.instancePath.startsWith(u.instancePath);
  const outermost = unions.filter((u) => !unions.some((o) => within(u, o)));
  const kept = errors.filter((e) => !outermost.some((u) => within(e, u) || e === u));
  for (const u of outermost) {
    const branches = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      if (!within(e, u)) continue;
      const branch = e.schemaPath.slice(u.schemaPath.length + 1).split('/')[0] ?? '';
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    const closest = [...branches.values()].find((es) => es.every((e) => BOUNDS.has(e.keyword) || e.keyword === 'x-device'));
    kept.push(...(closest ?? [u]));
  }
  return kept;
}

/**
 * Compile `schema` (an object schema whose `properties` are the parameters).
 * @param options.defaults write each missing parameter's `default` into the checked object
 * @example compileParamValidator({ type: 'object', properties: { num: { type: 'integer', maximum: 100 } } }).errors({ num: 1e9 })
 */
export function compileParamValidator(schema: Readonly<Record<string, unknown>>, options: { defaults?: boolean } = {}): ParamValidator {
  const validate: ValidateFunction = ajvFor(options.defaults === true).compile(prepare(schema));
  const known = isObject(schema.properties) ? Object.keys(schema.properties) : [];
  return {
    schema,
    errors(params, devices) {
      if (!isObject(params)) {
        const got = describeValue(params);
        return [{ path: '', message: `the parameters must be an object of named parameters, got ${got}`, expected: 'an object of named parameters', got }];
      }
      const infinite = nonFiniteErrors(params);
      if (infinite.length > 0) return infinite;
      const context: DeviceContext | undefined = devices === undefined ? undefined : { devices };
      if (validate.call(context, params)) return [];
      const errors = collapseAnyOf(validate.errors ?? []).map((e) => fromAjv(e, known));
      return capped(errors);
    },
  };
}

/** At most {@link MAX_REPORTED_ERRORS}, the last one saying how many more there were. */
export function capped(errors: ParamError[]): ParamError[] {
  if (errors.length <= MAX_REPORTED_ERRORS) return errors;
  const more = errors.length - MAX_REPORTED_ERRORS + 1;
  return [...errors.slice(0, MAX_REPORTED_ERRORS - 1), { path: '', message: `… and ${more} more problems`, expected: 'valid parameters', got: `${more} more problems` }];
}
