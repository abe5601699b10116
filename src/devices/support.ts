/**
 * Small pieces shared by the simulated devices: wall-clock timestamps, ophyd's dtype/shape
 * inference, subscriber lists and configuration values. No device logic here.
 * @module
 */
import type { DataKey, Reading } from '../model/protocols.js';
import { StatusBase, type Status } from '../model/status.js';
import { longTimeout } from '../model/timers.js';

/** Seconds since the epoch, as ophyd's `time.time()`. */
export function now(): number {
  return Date.now() / 1000;
}

/**
 * The event-model dtype of a value, as ophyd's `data_type`: arrays → 'array', strings →
 * 'string', integral numbers → 'integer' (a Python int), other numbers → 'number'.
 * Booleans are 'integer' because Python's bool is an int.
 */
export function inferDtype(value: unknown): DataKey['dtype'] {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return 'array';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean' || typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  throw new TypeError(`Cannot determine the appropriate bluesky-friendly data type for value ${String(value)}`);
}

/** ophyd's `data_shape`: `[]` for scalars, the nested lengths for (rectangular) arrays. */
export function inferShape(value: unknown): number[] {
  const shape: number[] = [];
  let v: unknown = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  if (shape.length === 0 && ArrayBuffer.isView(value)) shape.push((value as unknown as ArrayLike<unknown>).length);
  return shape;
}

/** `{source: 'SIM:<key>', dtype, shape}` for a soft signal holding `value` (ophyd Signal.describe). */
export function softDataKey(key: string, value: unknown): DataKey {
  return { source: `SIM:${key}`, dtype: inferDtype(value), shape: inferShape(value) };
}

/** A subscription callback: receives the device's readings dict. */
export type ReadingsCallback = (readings: Record<string, Reading>) => void;

/**
 * Callbacks for `subscribe`/`clearSub`. A new callback runs at once with the current
 * readings (ophyd's `run=True`), then on every change. A failing callback is reported and
 * skipped, as ophyd logs and swallows callback exceptions.
 */
export class Subscribers {
  readonly #callbacks = new Set<ReadingsCallback>();
  readonly #owner: string;
  readonly #current: () => Record<string, Reading>;

  constructor(owner: string, current: () => Record<string, Reading>) {
    this.#owner = owner;
    this.#current = current;
  }

  add(cb: ReadingsCallback): void {
    this.#callbacks.add(cb);
    this.#call(cb, this.#current());
  }

  remove(cb: ReadingsCallback): void {
    this.#callbacks.delete(cb);
  }

  get size(): number {
    return this.#callbacks.size;
  }

  emit(): void {
    if (this.#callbacks.size === 0) return;
    const readings = this.#current();
    for (const cb of [...this.#callbacks]) this.#call(cb, readings);
  }

  #call(cb: ReadingsCallback, readings: Record<string, Reading>): void {
    try {
      cb(readings);
    } catch (err) {
      console.error(`${this.#owner}: subscription callback failed`, err);
    }
  }
}

/** One configuration signal (ophyd `Cpt(Signal, kind='config')`): its value and timestamp. */
export interface ConfigEntry {
  /** Attribute name as in ophyd, e.g. 'velocity' or 'noise_multiplier'. */
  readonly attr: string;
  value: unknown;
  timestamp: number;
  /** Extra data-key fields (e.g. `enum_strs`). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Reject a bad value before it is stored (throws). */
  readonly check?: (value: unknown) => void;
  /** The dtype to report instead of inferring one from the value. */
  readonly dtype?: DataKey['dtype'];
}

/** Build a config entry stamped now. */
export function configEntry(attr: string, value: unknown, more: Partial<Pick<ConfigEntry, 'extra' | 'check' | 'dtype'>> = {}): ConfigEntry {
  return { attr, value, timestamp: now(), ...more };
}

/** `readConfiguration()` of `entries` for device `name`: keys `<name>_<attr>`. */
export function readConfig(name: string, entries: readonly ConfigEntry[]): Record<string, Reading> {
  const out: Record<string, Reading> = {};
  for (const e of entries) out[`${name}_${e.attr}`] = { value: e.value, timestamp: e.timestamp };
  return out;
}

/** `describeConfiguration()` of `entries` for device `name`. */
export function describeConfig(name: string, entries: readonly ConfigEntry[]): Record<string, DataKey> {
  const out: Record<string, DataKey> = {};
  for (const e of entries) {
    const key = `${name}_${e.attr}`;
    const dk = softDataKey(key, e.value);
    if (e.dtype !== undefined) dk.dtype = e.dtype;
    out[key] = { ...dk, ...e.extra };
  }
  return out;
}

/**
 * A simulated detector's trigger: `acquire` now, finished at once, when `exposureTime` is not
 * positive (a throw reaches the caller, as ophyd.sim's does); else after `exposureTime` seconds,
 * a throw then failing the status.
 */
export function exposure(label: string, exposureTime: number, acquire: () => void): Status {
  const status = new StatusBase({ label });
  if (!(exposureTime > 0)) {
    acquire();
    status.setFinished();
    return status;
  }
  // longTimeout: an exposure above 2^31-1 ms must not end at once.
  longTimeout(() => {
    try {
      acquire();
      status.setFinished();
    } catch (err) {
      status.setException(err);
    }
  }, exposureTime * 1000);
  return status;
}
