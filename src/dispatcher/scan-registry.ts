/**
 * The table of scan functions by name, each with its compiled parameter
 * validator. Seed-shaped functions and plan factories end up as one shape.
 * @module
 */
import { ScanNameError, UnknownScanError } from './errors.js';
import { compileParams } from './params.js';
import { describeValue, suggest } from '../plans/index.js';
import type { JsonSchema, ParamError, ScanFunction, ScanParams } from './types.js';

/** Checks one start's params: the params to use (a fresh object) or the problems. */
export type ParamsCheck = (params: unknown, devices: ReadonlyMap<string, unknown>) =>
  { ok: true; params: ScanParams } | { ok: false; errors: ParamError[] };

/** Options of a registration. */
export interface ScanOptions {
  description?: string;
  /** Replaces the schema check (e.g. the plans registry's `validatePlanParams`); returns the problems. */
  validate?: (params: ScanParams, devices: ReadonlyMap<string, unknown>) => readonly ParamError[];
}

export interface ScanEntry {
  readonly name: string;
  readonly fn: ScanFunction;
  /** null: the scan declared no schema, so params are passed on unchecked (as the seed did). */
  readonly check: ParamsCheck | null;
  readonly schema: JsonSchema | null;
  readonly description: string;
}

export class ScanRegistry {
  readonly #scans = new Map<string, ScanEntry>();

  /** @throws ScanNameError when `name` is taken. */
  add(name: string, fn: ScanFunction, schema: JsonSchema | null = null, options: ScanOptions = {}): void {
    if (typeof fn !== 'function') throw new TypeError(`scan "${name}" must be a function (re, stateHook, params) => ...`);
    if (this.#scans.has(name)) throw new ScanNameError(name);
    this.#scans.set(name, { name, fn, check: makeCheck(schema, options), schema, description: options.description ?? '' });
  }

  /** @throws UnknownScanError when nothing is registered under `name`. */
  remove(name: string): void {
    if (!this.#scans.delete(name)) throw new UnknownScanError(name, this.suggest(name));
  }

  get(name: string): ScanEntry | undefined { return this.#scans.get(name); }
  names(): string[] { return [...this.#scans.keys()]; }
  suggest(name: string): string | null { return suggest(name, this.#scans.keys()); }
}

function isParamsObject(p: unknown): p is ScanParams {
  return typeof p === 'object' && p !== null && !Array.isArray(p);
}

function makeCheck(schema: JsonSchema | null, options: ScanOptions): ParamsCheck | null {
  const custom = options.validate;
  if (custom !== undefined) {
    return (params, devices) => {
      if (!isParamsObject(params)) {
        const got = describeValue(params);
        return { ok: false, errors: [{ path: '', message: `the parameters must be an object of named parameters, got ${got}`, expected: 'an object of named parameters', got }] };
      }
      const copy = structuredClone(params);
      const errors = custom(copy, devices);
      return errors.length === 0 ? { ok: true, params: copy } : { ok: false, errors: [...errors] };
    };
  }
  if (schema === null) return null;
  const validator = compileParams(schema);
  return (params, devices) => validator.check(params, devices);
}
