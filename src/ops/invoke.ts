/**
 * Running an operation for a protocol adapter: find it, check the caller's
 * scope, check the params against its schema (compiled once), call the handler.
 * The one place a request's params are validated, whatever the protocol.
 * @module
 */
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { summariseParams } from '../audit/index.js';
import { CodedError } from '../model/errors.js';
import type { OpContext, OpDef } from './define.js';
import { type ErrorDetail, OpError, lockedError } from './errors.js';
import { OPERATIONS, operation } from './table.js';

type Validator = ReturnType<typeof Compile<TSchema>>;
const VALIDATORS = new WeakMap<OpDef, Validator>();

function validator(def: OpDef): Validator {
  let v = VALIDATORS.get(def);
  if (v === undefined) { v = Compile(def.params); VALIDATORS.set(def, v); }
  return v;
}

/** The names of every operation (for `unknown_op`'s hint and the adapters' tables). */
export const OPERATION_NAMES: readonly string[] = OPERATIONS.map((d) => d.name);

/**
 * Run operation `name` with `params` (already parsed JSON) for `ctx.caller`.
 * @throws OpError with a catalogue code (`unknown_op`, `forbidden`, `bad_request`, `locked`, `unavailable`, `shutting_down`, or the operation's own)
 */
export async function invoke(name: string, params: unknown, ctx: OpContext): Promise<unknown> {
  const def = operation(name);
  if (def === undefined) {
    throw new OpError('unknown_op', { op: name }, [{ path: '/op', message: 'unknown op', expected: `one of ${OPERATION_NAMES.join(', ')}`, got: JSON.stringify(name) }]);
  }
  // A request that arrived before the server began to stop can reach here after: it would start a plan
  // the shutdown no longer waits for, or write to stores being closed. Refused, and not recorded (the
  // audit log is closing too).
  if (def.effect === 'change' && ctx.dispatcher.closing) {
    throw new OpError('shutting_down', {}, [{ path: '', message: 'the server is shutting down', expected: 'a running server', got: 'shutting down' }]);
  }
  const audit = ctx.audit;
  if (def.effect !== 'change' || audit === undefined || audit === null) return run(def, params, ctx);
  // Every attempt to change something is recorded, refusals included.
  const entry = { time: Date.now() / 1000, who: ctx.caller.name, protocol: ctx.caller.protocol, op: def.name, params: summariseParams(params) };
  try {
    const result = await run(def, params, ctx);
    audit.record({ ...entry, outcome: 'ok', message: null });
    return result;
  } catch (e) {
    audit.record({ ...entry, outcome: e instanceof OpError ? e.code : 'internal', message: e instanceof Error ? e.message : String(e) });
    throw e;
  }
}

/** The scope, the params, the lock, then the handler. */
async function run(def: OpDef, params: unknown, ctx: OpContext): Promise<unknown> {
  if (!ctx.caller.scopes.has(def.scope)) {
    throw new OpError('forbidden', { op: def.name, scope: def.scope }, [{ path: '', message: `needs the ${def.scope} scope`, expected: def.scope, got: [...ctx.caller.scopes].join(',') || 'no scopes' }]);
  }
  const v = validator(def);
  if (!v.Check(params)) throw paramsError(params, [...v.Errors(params)]);
  if (def.effect === 'change' && LOCKED_SCOPES.has(def.scope) && !LOCK_FREE.has(def.name)) {
    const held = ctx.lock?.heldAgainst(ctx.caller.name) ?? null;
    if (held !== null) throw lockedError(held);
  }
  try {
    return await def.handler(params as never, ctx);
  } catch (e) {
    // The engine's thread did not answer (a plan blocking it) or is being replaced: the
    // caller may retry, so it is `unavailable`, not `internal`.
    if (e instanceof CodedError && e.code.startsWith('HOST_')) throw new OpError('unavailable', { problem: e.message });
    // So is a database that did not answer (the queue, keys, audit or lock store, the runs): not our bug.
    // Each store says so itself (src/store/unavailable.ts), whatever its driver.
    if (e instanceof CodedError && e.code === 'STORE_UNAVAILABLE') throw new OpError('unavailable', { problem: `the database did not answer: ${e.message}` });
    throw e;
  }
}

/** Operations the lock holds back: those of these scopes that change something... */
const LOCKED_SCOPES: ReadonlySet<string> = new Set(['control', 'queue']);
/** ...except the emergency stop (safety first) and the lock's own operations (they check it themselves). */
const LOCK_FREE: ReadonlySet<string> = new Set(['stop_all', 'lock.acquire', 'lock.release']);


/** TypeBox's errors as one `bad_request`: the first problem as the message, each as a detail. */
function paramsError(params: unknown, errors: ReadonlyArray<{ keyword: string; instancePath: string; params: Record<string, unknown>; message: string }>): OpError {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return new OpError('bad_request', { problem: `the parameters must be an object, got ${shown(params)}` }, [{ path: '', message: 'must be an object', expected: 'object', got: shown(params) }]);
  }
  const details: ErrorDetail[] = [];
  for (const e of errors) {
    // `additionalProperties: false` reports each extra key twice (as `false` and as the keyword): once is enough.
    if (e.keyword === 'boolean') continue;
    details.push(detail(params as Record<string, unknown>, e));
    if (details.length >= 20) break;
  }
  const first = details[0];
  const problem = first === undefined ? 'the parameters are invalid' : first.path === '' ? first.message : `"${first.path.slice(1)}" ${first.message}`;
  return new OpError('bad_request', { problem }, details);
}

function detail(params: Record<string, unknown>, e: { keyword: string; instancePath: string; params: Record<string, unknown>; message: string }): ErrorDetail {
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params.additionalProperties as string[] | undefined) ?? [];
    // Under the object that has them (`/item/item_type`), not at the top.
    return { path: extra.length === 1 ? `${e.instancePath}/${String(extra[0])}` : e.instancePath, message: `unknown parameter${extra.length === 1 ? '' : 's'} ${extra.map((k) => `"${k}"`).join(', ')}`, expected: 'only the documented parameters', got: extra.join(', ') };
  }
  if (e.keyword === 'required') {
    const missing = (e.params.requiredProperties as string[] | undefined) ?? [];
    return { path: `/${String(missing[0] ?? '')}`, message: `is required`, expected: 'a value', got: 'nothing' };
  }
  const value = at(params, e.instancePath);
  return { path: e.instancePath, message: `${e.message}, got ${shown(value)}`, expected: e.message.replace(/^must (be |have )?/, ''), got: shown(value) };
}

function at(root: unknown, pointer: string): unknown {
  let x = root;
  for (const key of pointer.split('/').slice(1)) {
    if (typeof x !== 'object' || x === null) return undefined;
    x = (x as Record<string, unknown>)[key.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return x;
}

function shown(v: unknown): string {
  // JSON would write a non-finite number (a body's 1e999) as null: "must be integer, got null".
  const text = typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
