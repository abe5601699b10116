/**
 * Parameter validation before a scan starts: JSON Schema (draft 2020-12, Ajv)
 * plus device-name checks, reported as `{path, message, expected, got}` with a
 * did-you-mean. Defaults are applied to a fresh copy, never to the request.
 * @module
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { suggest } from '../plans/index.js';
import type { JsonSchema, ParamError, ScanParams } from './types.js';

const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true });
// Schemas mark device-valued parameters with `"x-device": true` (or `format: "device"`);
// `"readable"` / `"movable"` also tell the web panel which devices to offer. `x-row` is a UI hint only.
ajv.addKeyword({ keyword: 'x-device', schemaType: ['boolean', 'string'] });
ajv.addKeyword({ keyword: 'x-row', schemaType: 'array' });
ajv.addFormat('device', true);

/** A compiled validator for one scan's parameters. */
export interface ParamsValidator {
  /** Returns the checked params with defaults filled in, or the list of problems. */
  check(params: unknown, devices: ReadonlyMap<string, unknown>): { ok: true; params: ScanParams } | { ok: false; errors: ParamError[] };
  readonly schema: JsonSchema;
}

/** Compile `schema` (an object schema; its `properties` name the parameters). */
export function compileParams(schema: JsonSchema): ParamsValidator {
  const validate: ValidateFunction = ajv.compile(schema);
  return {
    schema,
    check(params, devices) {
      if (typeof params !== 'object' || params === null || Array.isArray(params)) {
        return { ok: false, errors: [{ path: '', message: `"params" must be an object, got ${describe(params)}`, expected: 'object', got: describe(params) }] };
      }
      const copy = structuredClone(params) as ScanParams;
      const errors = unknownKeys(schema, copy);
      if (!validate(copy)) errors.push(...(validate.errors ?? []).filter((e) => e.keyword !== 'additionalProperties').map(fromAjv));
      errors.push(...deviceErrors(schema, copy, devices));
      return errors.length === 0 ? { ok: true, params: copy } : { ok: false, errors };
    },
  };
}

/** "a; b" — the human summary used in the v1 status text. */
export function summarize(errors: readonly ParamError[]): string {
  return errors.map((e) => e.message).join('; ');
}

function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  const p = schema.properties;
  return typeof p === 'object' && p !== null ? (p as Record<string, JsonSchema>) : {};
}

/** Unknown parameters, unless the schema explicitly allows extra keys. */
function unknownKeys(schema: JsonSchema, params: ScanParams): ParamError[] {
  const extra = schema.additionalProperties;
  if (extra !== undefined && extra !== false) return [];
  const known = Object.keys(propertiesOf(schema));
  return Object.keys(params).filter((k) => !known.includes(k)).map((k) => {
    const guess = suggest(k, known);
    const hint = guess === null ? '' : ` (did you mean "${guess}"?)`;
    const expected = known.length === 0 ? 'no parameters' : `one of ${known.join(', ')}`;
    return { path: `/${k}`, message: `unknown parameter "${k}"${hint}`, expected, got: JSON.stringify(k) };
  });
}

function fromAjv(e: ErrorObject): ParamError {
  const path = e.instancePath;
  const name = path === '' ? 'params' : `parameter "${path.slice(1)}"`;
  switch (e.keyword) {
    case 'required': {
      const missing = String((e.params as { missingProperty?: unknown }).missingProperty);
      return { path: `/${missing}`, message: `missing required parameter "${missing}"`, expected: 'a value', got: 'nothing' };
    }
    case 'type': {
      const expected = String((e.params as { type?: unknown }).type);
      return { path, message: `${name} must be ${expected}, got ${describeAt(e.data)}`, expected, got: describeAt(e.data) };
    }
    default:
      return { path, message: `${name} ${e.message ?? 'is invalid'}, got ${describeAt(e.data)}`, expected: e.message ?? e.keyword, got: describeAt(e.data) };
  }
}

function isDeviceSchema(s: unknown): boolean {
  if (typeof s !== 'object' || s === null) return false;
  const r = s as Record<string, unknown>;
  const hint = r['x-device'];
  return hint === true || hint === 'readable' || hint === 'movable' || r.format === 'device';
}

/** Device names (top-level parameters or arrays of them) must name known devices. */
function deviceErrors(schema: JsonSchema, params: ScanParams, devices: ReadonlyMap<string, unknown>): ParamError[] {
  const out: ParamError[] = [];
  const check = (path: string, value: unknown): void => {
    if (typeof value !== 'string' || devices.has(value)) return;
    const guess = suggest(value, devices.keys());
    const hint = guess === null ? '' : ` (did you mean "${guess}"?)`;
    out.push({ path, message: `parameter "${path.slice(1)}": unknown device "${value}"${hint}`, expected: 'a device name', got: JSON.stringify(value) });
  };
  for (const [key, sub] of Object.entries(propertiesOf(schema))) {
    const value = params[key];
    if (isDeviceSchema(sub)) check(`/${key}`, value);
    else if (isDeviceSchema(sub.items) && Array.isArray(value)) value.forEach((v, i) => check(`/${key}/${String(i)}`, v));
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function describeAt(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return `${describe(v)} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}
