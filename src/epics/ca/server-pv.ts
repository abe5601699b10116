/**
 * `ServerPv`: one process variable as a CA server holds it — native type, element
 * count, value, alarm, timestamp, display metadata — and the listeners (the server's
 * monitors) told of each change with its `DBE_*` mask. No sockets here.
 * @module
 */
import { BadValueError } from '../errors.js';
import { convertValues, DbrConvertError, type BaseType, type CaLimits, type DbrData } from './dbr.js';
import { DBE_ALARM, DBE_LOG, DBE_PROPERTY, DBE_VALUE } from './proto.js';

/** Alarm severities (`epicsAlarmSeverity`). */
export const Severity = { NO_ALARM: 0, MINOR: 1, MAJOR: 2, INVALID: 3 } as const;
/** Alarm conditions (`epicsAlarmCondition`), the ones our records raise. */
export const AlarmStatus = { NO_ALARM: 0, HIHI: 3, HIGH: 4, LOLO: 5, LOW: 6, STATE: 7, UDF: 17 } as const;

/** Display metadata served in the GR and CTRL forms. */
export interface PvMeta {
  units?: string;
  precision?: number;
  limits?: Partial<CaLimits>;
  enumStrings?: string[];
}

export interface ServerPvOptions {
  type: BaseType;
  /** Maximum number of elements (the native count). Default 1. */
  count?: number;
  /** Initial value: one element or an array. */
  value: number | string | readonly (number | string)[];
  meta?: PvMeta;
  /** Whether clients may write it. Default true. */
  writable?: boolean;
  /**
   * A client's put, its values already converted to this PV's type. The put-callback
   * reply waits for a returned promise; a throw (or rejection) refuses the put.
   * Default: store the values.
   */
  onPut?: (values: number[] | string[], pv: ServerPv) => void | Promise<void>;
}

/** A change listener: `mask` is the OR of the DBE bits this change raises. */
export type PvListener = (mask: number) => void;

const ALL_LIMITS: CaLimits = { upperDisp: 0, lowerDisp: 0, upperAlarm: 0, upperWarning: 0, lowerWarning: 0, lowerAlarm: 0, upperCtrl: 0, lowerCtrl: 0 };

/**
 * A process variable served over CA.
 * @example
 * const pv = new ServerPv('SIM:ao1', { type: 'double', value: 0, meta: { units: 'V', precision: 3 } });
 * pv.post(1.5);   // monitors with DBE_VALUE see it
 */
export class ServerPv {
  readonly name: string;
  readonly type: BaseType;
  readonly maxCount: number;
  readonly writable: boolean;
  #value: number[] | string[];
  #status: number = AlarmStatus.NO_ALARM;
  #severity: number = Severity.NO_ALARM;
  #timestamp = Date.now() / 1000;
  #meta: PvMeta;
  readonly #onPut: ((values: number[] | string[], pv: ServerPv) => void | Promise<void>) | null;
  readonly #listeners = new Set<PvListener>();

  constructor(name: string, options: ServerPvOptions) {
    this.name = name;
    this.type = options.type;
    this.maxCount = options.count ?? 1;
    this.writable = options.writable ?? true;
    this.#meta = { ...options.meta };
    this.#onPut = options.onPut ?? null;
    this.#value = this.#coerce(options.value);
  }

  /** The current values (an array even for scalars). */
  get values(): readonly (number | string)[] { return this.#value; }
  /** The first element: the value of a scalar PV. */
  get value(): number | string { return this.#value[0] ?? (this.type === 'string' ? '' : 0); }
  get severity(): number { return this.#severity; }
  get status(): number { return this.#status; }
  get timestamp(): number { return this.#timestamp; }
  get meta(): Readonly<PvMeta> { return this.#meta; }

  /** Value, alarm, time stamp and metadata, as the DBR forms need them. */
  snapshot(): DbrData {
    const m = this.#meta;
    const data: DbrData = { value: this.#value, status: this.#status, severity: this.#severity, timestamp: this.#timestamp };
    if (m.units !== undefined) data.units = m.units;
    if (m.precision !== undefined) data.precision = m.precision;
    if (m.enumStrings !== undefined) data.enumStrings = m.enumStrings;
    data.limits = { ...ALL_LIMITS, ...m.limits };
    return data;
  }

  /**
   * Set the value (stamped now) and tell monitors: DBE_VALUE|DBE_LOG when it changed
   * (or `force`), DBE_ALARM when severity or status changed.
   */
  post(value: number | string | readonly (number | string)[], alarm?: { severity: number; status: number }, force = false): void {
    const next = this.#coerce(value);
    const changed = force || next.length !== this.#value.length || next.some((v, i) => v !== this.#value[i]);
    this.#value = next;
    let mask = changed ? DBE_VALUE | DBE_LOG : 0;
    if (alarm !== undefined && (alarm.severity !== this.#severity || alarm.status !== this.#status)) {
      this.#severity = alarm.severity;
      this.#status = alarm.status;
      mask |= DBE_ALARM;
    }
    if (mask === 0) return;
    this.#timestamp = Date.now() / 1000;
    this.#emit(mask);
  }

  /** Change display metadata (units, limits…): monitors with DBE_PROPERTY see it. */
  setMeta(meta: PvMeta): void {
    this.#meta = { ...this.#meta, ...meta, limits: { ...this.#meta.limits, ...meta.limits } };
    this.#emit(DBE_PROPERTY);
  }

  /** How many listeners (server monitors) there are. */
  get listenerCount(): number { return this.#listeners.size; }

  /** Listen to changes; returns the function that stops listening. */
  listen(fn: PvListener): () => void {
    this.#listeners.add(fn);
    return () => { this.#listeners.delete(fn); };
  }

  /** A client's put: convert, then the record's handler (or store). @throws BadValueError */
  async put(values: readonly (number | string)[], from: BaseType): Promise<void> {
    let converted: number[] | string[];
    try {
      converted = convertValues(values, from, this.type, { enumStrings: this.#meta.enumStrings, precision: this.#meta.precision });
    } catch (e) {
      if (e instanceof DbrConvertError) throw new BadValueError(this.name, e.message);
      throw e;
    }
    if (this.type === 'enum') {
      const n = this.#meta.enumStrings?.length ?? 0;
      const bad = (converted as number[]).find((v) => !Number.isInteger(v) || v < 0 || (n > 0 && v >= n));
      if (bad !== undefined) throw new BadValueError(this.name, `enum state ${bad} is out of range (expected 0..${n - 1})`);
    }
    if (this.#onPut !== null) await this.#onPut(converted, this);
    else this.post(converted, undefined, true);
  }

  #emit(mask: number): void {
    for (const fn of this.#listeners) fn(mask);
  }

  #coerce(value: number | string | readonly (number | string)[]): number[] | string[] {
    const arr = (Array.isArray(value) ? value : [value]) as readonly (number | string)[];
    const from: BaseType = arr.length > 0 && typeof arr[0] === 'string' ? 'string' : 'double';
    const out = convertValues(arr.slice(0, this.maxCount), from, this.type === 'string' ? 'string' : 'double', { enumStrings: this.#meta.enumStrings });
    return out;
  }
}
