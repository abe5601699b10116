/**
 * Validation of documents against the event-model JSON schemas (draft 2020-12).
 * The validators are Ajv's standalone code, generated ahead of time from
 * schemas/*.json by scripts/gen-validators.mjs (a test fails when they are
 * stale): compiling the twelve schemas at run time cost ~200 ms in the first
 * run of every process.
 * @module
 */
import type { DocumentName } from './documents.js';
import { DocumentValidationError } from './errors.js';
import * as generated from './schemas/validators.generated.js';

/** An Ajv validate function as the standalone code exports it. */
interface ValidateFunction {
  (doc: unknown): boolean;
  errors?: Array<{ instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }> | null;
}

// The generated module is untyped (@ts-nocheck); each export is an Ajv validate function.
const VALIDATORS = generated as unknown as Readonly<Record<DocumentName, ValidateFunction>>;

/** Errors of `doc` against the schema for `name`; empty when valid. */
export function documentErrors(name: DocumentName, doc: unknown): Array<{ path: string; message: string }> {
  const validate: ValidateFunction | undefined = Object.hasOwn(VALIDATORS, name) ? VALIDATORS[name] : undefined;
  if (validate === undefined) return [{ path: '', message: `unknown document name '${name}'` }];
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }));
}

/** Throw DocumentValidationError if `doc` is not a valid `name` document. */
export function validateDocument(name: DocumentName, doc: unknown): void {
  const errors = documentErrors(name, doc);
  if (errors.length > 0) {
    const text = errors.map((e) => `${e.path} ${e.message}`).join('; ');
    throw new DocumentValidationError(`invalid ${name} document: ${text}`, errors);
  }
}

/**
 * Throw DocumentValidationError if `doc` cannot be encoded as JSON (a BigInt, a `toJSON` that
 * throws, a cycle), naming where: every document is stored and streamed as JSON, and a server's
 * engine thread hands each one over as JSON. The engine checks each start document so before its
 * run opens (its metadata is the plan's and the user's), so such a start is refused like any
 * invalid one and no stop goes out without its start.
 */
export function validateEncodable(name: DocumentName, doc: object): void {
  try {
    JSON.stringify(doc);
  } catch (e) {
    const path = unencodablePath(doc, '', new Set());
    const message = `cannot be encoded as JSON (${e instanceof Error ? e.message : String(e)})`;
    throw new DocumentValidationError(`invalid ${name} document: ${path === '' ? '/' : path} ${message}`, [{ path: path === '' ? '/' : path, message }]);
  }
}

/** The JSON pointer of the innermost value in `value` that JSON.stringify refuses ('' for `value` itself). */
function unencodablePath(value: unknown, path: string, seen: Set<object>): string {
  if (typeof value !== 'object' || value === null || seen.has(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return path;
  seen.add(value);
  for (const [k, v] of Object.entries(value)) {
    try { JSON.stringify(v); } catch { return unencodablePath(v, `${path}/${pointerKey(k)}`, seen); }
  }
  return path;
}

/** `key` as one JSON-pointer segment (RFC 6901: `~` and `/` escaped). */
function pointerKey(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** A placeholder uid for checking metadata before a run exists. */
const CHECK_UID = '00000000-0000-4000-8000-000000000000';

/**
 * Problems `md` would cause in a start document (bluesky: `RE(plan, **md)`):
 * `uid`/`time` (the RunEngine sets them), and anything the run_start schema
 * refuses (`scan_id` not an integer, keys with `.` or `/`...). Paths are JSON
 * pointers into `md`. Checked before a run is started, so a refused start
 * emits nothing and uses up no scan id.
 * @example startMetadataErrors({ scan_id: 'x' }) // [{ path: '/scan_id', message: 'must be integer' }]
 */
export function startMetadataErrors(md: unknown): Array<{ path: string; message: string }> {
  if (typeof md !== 'object' || md === null || Array.isArray(md)) return [{ path: '', message: 'must be an object' }];
  const errors: Array<{ path: string; message: string }> = [];
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(md)) {
    if (k === 'uid' || k === 'time') errors.push({ path: `/${k}`, message: `may not be given: the RunEngine sets the start document's ${k}` });
    else rest[k] = v;
  }
  const validate = VALIDATORS.start;
  if (validate({ uid: CHECK_UID, time: 0, ...rest })) return errors;
  for (const e of validate.errors ?? []) {
    const key = (e.params as { additionalProperty?: unknown }).additionalProperty;
    // Ajv reports a refused key on the object holding it: point at the key itself.
    if (e.keyword === 'additionalProperties' && typeof key === 'string') {
      errors.push({ path: `${e.instancePath}/${pointerKey(key)}`, message: 'is not allowed as a key (start document keys may not contain "." or "/")' });
    } else {
      errors.push({ path: e.instancePath, message: e.message ?? 'is invalid' });
    }
  }
  // One problem per place (an anyOf fails once per branch and once as a whole).
  return errors.filter((e, i) => errors.findIndex((o) => o.path === e.path) === i);
}
