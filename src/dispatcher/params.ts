/**
 * Parameter validation before a scan starts, for scans registered with a JSON
 * Schema: the plans folder's one validator (Ajv, compiled once at registration;
 * devices checked by role; JSON-pointer paths; did-you-mean). Defaults are
 * applied to a fresh copy, never to the request.
 * @module
 */
import { compileParamValidator } from '../plans/index.js';
import type { JsonSchema, ParamError, ScanParams } from './types.js';

/** A compiled validator for one scan's parameters. */
export interface ParamsValidator {
  /** Returns the checked params with defaults filled in, or the list of problems. */
  check(params: unknown, devices: ReadonlyMap<string, unknown>): { ok: true; params: ScanParams } | { ok: false; errors: ParamError[] };
  readonly schema: JsonSchema;
}

/** Compile `schema` (an object schema; its `properties` name the parameters). */
export function compileParams(schema: JsonSchema): ParamsValidator {
  const validator = compileParamValidator(schema, { defaults: true });
  return {
    schema,
    check(params, devices) {
      // The copy receives the defaults; a non-object is reported by the validator as it is.
      const copy = typeof params === 'object' && params !== null ? structuredClone(params) : params;
      const errors = validator.errors(copy, devices);
      return errors.length === 0 ? { ok: true, params: copy as ScanParams } : { ok: false, errors };
    },
  };
}

/** "a; b" — the human summary used in the v1 status text. */
export function summarize(errors: readonly ParamError[]): string {
  return errors.map((e) => e.message).join('; ');
}
