/**
 * Helpers shared by stubs, preprocessors and standard plans (bluesky.utils):
 * device ancestry, `separate_devices`, hinted fields, Python-like `repr`s.
 * Pure functions; never yields messages, never touches the engine.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { hasHints, hasParent, isMovable, isReadable } from '../model/protocols.js';

/** A new UUID4 string (bluesky `str(uuid.uuid4())`). */
export function newUid(): string {
  return randomUUID();
}

/** True for `null` and `undefined`: the reply a plan gets when it is list-ified (driven without an engine). */
export function isNullish(x: unknown): x is null | undefined {
  return x === null || x === undefined;
}

/** True for `{...}` literals (prototype `Object.prototype` or `null`), not class instances or arrays. */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function parentOf(obj: unknown): unknown {
  // bluesky requires a `parent` attribute; a missing one is read as "top level" here.
  return hasParent(obj) ? obj.parent : null;
}

/** `[obj, parent, grandparent, ...]` up to the root (bluesky `ancestry`). */
export function ancestry(obj: unknown): unknown[] {
  const out: unknown[] = [obj];
  let current = parentOf(obj);
  while (current !== null && current !== undefined && !out.includes(current)) {
    out.push(current);
    current = parentOf(current);
  }
  return out;
}

/** The top-level device that `obj` belongs to (bluesky `root_ancestor`). */
export function rootAncestor(obj: unknown): unknown {
  const chain = ancestry(obj);
  return chain[chain.length - 1];
}

/**
 * Drop duplicates and devices whose ancestor is also listed, keeping order
 * (bluesky `separate_devices`: if A is an ancestor of B, `[A, B, C] → [A, C]`).
 */
export function separateDevices<T>(devices: Iterable<T>): T[] {
  const result: T[] = [];
  for (const det of devices) {
    let redundant = false;
    for (const existing of [...result]) {
      if (ancestry(det).includes(existing)) { redundant = true; break; }
      if (ancestry(existing).includes(det)) result.splice(result.indexOf(existing), 1);
    }
    if (!redundant) result.push(det);
  }
  return result;
}

/**
 * False if any device has a `rewindable` flag (a boolean, or a signal with a
 * synchronous `get()`) that is falsy (bluesky `all_safe_rewind`).
 */
export function allSafeRewind(devices: Iterable<unknown>): boolean {
  for (const d of devices) {
    if (typeof d !== 'object' || d === null || !('rewindable' in d)) continue;
    const flag: unknown = (d as { rewindable: unknown }).rewindable;
    const value = typeof flag === 'object' && flag !== null && typeof (flag as { get?: unknown }).get === 'function'
      ? (flag as { get(): unknown }).get()
      : flag;
    if (!value) return false;
  }
  return true;
}

/** The device's hinted fields, `[]` without hints (bluesky `get_hinted_fields`). */
export function getHintedFields(obj: unknown): string[] {
  return hasHints(obj) ? [...(obj.hints.fields ?? [])] : [];
}

/** Movable and Readable (bluesky `is_movable`): what a grid-scan motor must be. */
export function isMovableReadable(obj: unknown): boolean {
  return isMovable(obj) && isReadable(obj);
}

/**
 * A device's textual representation for `plan_args`: its `repr()` when it has
 * one (ophyd-like `SynAxis(prefix='', name='motor', ...)`), else its name.
 */
export function deviceRepr(obj: unknown): string {
  if (typeof obj === 'object' && obj !== null) {
    const r = (obj as { repr?: unknown }).repr;
    if (typeof r === 'function') return String((r as () => unknown).call(obj));
    if ('name' in obj) return String((obj as { name: unknown }).name);
  }
  return pyRepr(obj);
}

/** Python `repr` of a non-device value as metadata shows it (`None`, `<function f>`...). */
export function pyRepr(x: unknown): string {
  if (x === null || x === undefined) return 'None';
  if (typeof x === 'function') return `<function ${x.name || '<lambda>'}>`;
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'object') return `<${(x as object).constructor?.name ?? 'object'}>`;
  return String(x);
}

/** Split into chunks of `n`, dropping an incomplete tail (toolz `partition`). */
export function partition<T>(n: number, items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i + n <= items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}
