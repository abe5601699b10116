/**
 * `PvSignal`: what every EPICS device component shares — one channel, its control
 * metadata (units, precision, limits, enum strings; refreshed on DBE_PROPERTY), readings
 * as bluesky wants them, and the data key ophyd's `describe()` gives for it.
 * @module
 */
import type { DataKey, Reading } from '../../model/protocols.js';
import type { CaReading, Channel, Subscription } from '../ca/channel.js';
import type { CaClient } from '../ca/client.js';
import { DBE_ALARM, DBE_PROPERTY, DBE_VALUE } from '../ca/proto.js';
import { EpicsError } from '../errors.js';

const NUMPY: Record<string, string> = { double: '<f8', float: '<f4', long: '<i4', short: '<i2', enum: '<u2', char: '|u1' };

export interface PvSignalOptions {
  /** Read as DBR_STRING (ophyd `string=True`): enums as their state names, char arrays as text. */
  string?: boolean;
}

/** One PV of a device. */
export class PvSignal {
  readonly pv: string;
  readonly channel: Channel;
  readonly #string: boolean;
  #meta: CaReading | null = null;
  #metaSub: Subscription | null = null;

  constructor(client: CaClient, pv: string, options: PvSignalOptions = {}) {
    this.pv = pv;
    this.channel = client.channel(pv);
    this.#string = options.string === true;
  }

  get connected(): boolean { return this.channel.connected; }
  /** The newest control metadata (null before the first connection). */
  get meta(): CaReading | null { return this.#meta; }

  /**
   * Wait for the channel and its control metadata; keep the metadata current afterwards.
   * @throws ConnectTimeoutError (EPICS_CONNECT_TIMEOUT) naming the PV.
   */
  async connect(timeout: number): Promise<void> {
    await this.channel.waitConnected(timeout);
    this.#meta = await this.channel.get({ form: 'ctrl', timeout });
    this.#metaSub ??= this.channel.monitor((r) => { this.#meta = r; }, { form: 'ctrl', mask: DBE_PROPERTY });
  }

  /** `{value, timestamp, alarm_severity}` from a fresh DBR_TIME get. */
  async read(timeout?: number): Promise<Reading> {
    const r = await this.channel.get({ form: 'time', ...(this.#string ? { type: 'string' } : {}), ...(timeout === undefined ? {} : { timeout }) });
    return toReading(r);
  }

  /** The current value (a plain get). */
  async value(timeout?: number): Promise<unknown> {
    return (await this.channel.get({ ...(this.#string ? { type: 'string' } : {}), ...(timeout === undefined ? {} : { timeout }) })).value;
  }

  /** Readings on every value or alarm change; returns the subscription. */
  monitor(cb: (reading: Reading) => void): Subscription {
    return this.channel.monitor((r) => cb(toReading(r)), { form: 'time', mask: DBE_VALUE | DBE_ALARM, ...(this.#string ? { type: 'string' } : {}) });
  }

  /**
   * The event-model data key, as ophyd's EpicsSignalBase.describe() gives it: source
   * `PV:<name>`, dtype, shape, units, precision, control limits, enum strings, plus the
   * event-model `limits` (control, display, warning, alarm) and `choices`.
   */
  dataKey(): DataKey {
    const native = this.channel.nativeType ?? 'double';
    const count = this.channel.count;
    const m = this.#meta;
    const isText = this.#string || native === 'string';
    const isArray = count > 1 && !(isText && native === 'char');
    const key: DataKey = {
      source: `PV:${this.pv}`,
      dtype: isArray ? 'array' : isText ? 'string' : native === 'double' || native === 'float' ? 'number' : 'integer',
      shape: isArray ? [count] : [],
    };
    if (!isText && NUMPY[native] !== undefined) key.dtype_numpy = NUMPY[native];
    if (native === 'enum') {
      const strs = m?.enumStrings ?? [];
      key.enum_strs = strs;
      key.choices = strs;
      key.units = null;
      return key;
    }
    if (isText) return key;
    key.units = m?.units ?? '';
    if (native === 'double' || native === 'float') key.precision = m?.precision ?? null;
    const l = m?.limits;
    if (l !== undefined) {
      key.lower_ctrl_limit = finite(l.lowerCtrl);
      key.upper_ctrl_limit = finite(l.upperCtrl);
      key.limits = {
        control: { low: finite(l.lowerCtrl), high: finite(l.upperCtrl) },
        display: { low: finite(l.lowerDisp), high: finite(l.upperDisp) },
        warning: { low: finite(l.lowerWarning), high: finite(l.upperWarning) },
        alarm: { low: finite(l.lowerAlarm), high: finite(l.upperAlarm) },
      };
    }
    return key;
  }

  close(): void {
    this.#metaSub?.cancel();
    this.#metaSub = null;
  }
}

/** A CA reading as a bluesky reading (NaN limits and values become null: JSON has no NaN). */
export function toReading(r: CaReading): Reading {
  const reading: Reading = { value: jsonSafe(r.value), timestamp: r.timestamp ?? Date.now() / 1000 };
  if (r.severity !== undefined) reading.alarm_severity = r.severity;
  return reading;
}

/** EPICS leaves unset limits NaN; documents are JSON, which has none. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function jsonSafe(v: CaReading['value']): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return (v as Array<number | string>).map((x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x));
  return v;
}

/**
 * Connect several PV signals at once; one error names every PV that did not connect.
 * @throws ConnectTimeoutError for a single PV, or EpicsError (EPICS_CONNECT_TIMEOUT) listing all.
 */
export async function connectAll(device: string, signals: readonly PvSignal[], timeout: number): Promise<void> {
  const results = await Promise.allSettled(signals.map((s) => s.connect(timeout)));
  const failed = signals.filter((_, i) => results[i]?.status === 'rejected');
  if (failed.length === 0) return;
  const first = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
  if (failed.length === 1) throw first;
  throw new EpicsError('EPICS_CONNECT_TIMEOUT', `${device}: ${failed.map((s) => s.pv).join(', ')} not connected after ${timeout} s (${first.message.replace(/^[^:]*: /, '')})`, { pv: failed[0]?.pv ?? '', cause: first });
}
