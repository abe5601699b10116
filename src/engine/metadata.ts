/**
 * Start-document metadata (bluesky spec §10.3): merge order, default
 * validator, scan_id source.
 * @module
 */
import { CodedError } from '../model/errors.js';

export type Metadata = Record<string, unknown>;
export type ScanIdSource = (md: Metadata) => number | Promise<number>;
export type MdValidator = (md: Metadata) => void;
export type MdNormalizer = (md: Metadata) => Metadata;

export class MetadataError extends CodedError {
  constructor(message: string) { super('ENGINE_METADATA_INVALID', message); }
}

/** bluesky default_scan_id_source: `md.scan_id + 1` (0 when absent). */
export const defaultScanIdSource: ScanIdSource = (md) => (typeof md.scan_id === 'number' ? md.scan_id : 0) + 1;

/** bluesky's default validator: `sample`, when present, must be a string or a mapping. */
export const defaultMdValidator: MdValidator = (md) => {
  if (!Object.hasOwn(md, 'sample')) return;
  const s = md.sample;
  if (typeof s === 'string' || (typeof s === 'object' && s !== null && !Array.isArray(s))) return;
  throw new MetadataError(`'sample' must be a string or an object; got ${JSON.stringify(s)}`);
};

/**
 * Precedence low → high: RE.md, {plan_type, plan_name}, the open_run kwargs,
 * the call's kwargs. Keys keep their first position (as a Python dict update).
 */
export function mergeMetadata(persistent: Metadata, planMeta: { planType: string; planName: string },
  openRunKw: Metadata, callKw: Metadata): Metadata {
  return { ...persistent, plan_type: planMeta.planType, plan_name: planMeta.planName, ...openRunKw, ...callKw };
}

/**
 * A deep copy of JSON-like metadata (devices and functions are kept by reference).
 * @throws MetadataError (ENGINE_METADATA_INVALID) when the metadata contains itself, naming where
 */
export function deepCopy<T>(x: T): T {
  const open = new Set<object>(); // the containers being copied, from the root down to here
  const copy = (v: unknown, path: string): unknown => {
    const plain = Array.isArray(v) || (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype);
    if (!plain) return v;
    const container = v as object;
    if (open.has(container)) throw new MetadataError(`metadata may not contain itself: ${path} refers back to a container it is in`);
    open.add(container);
    const out = Array.isArray(v)
      ? v.map((item, i) => copy(item, `${path}/${String(i)}`))
      : Object.fromEntries(Object.entries(container).map(([k, item]) => [k, copy(item, `${path}/${k}`)]));
    open.delete(container);
    return out;
  };
  return copy(x, '') as T;
}
