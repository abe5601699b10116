/**
 * `EpicsCounter`: a simple counting detector — `trigger()` writes the trigger PV with
 * put-callback (a scaler's `.CNT`, an areaDetector's `Acquire`) and completes when the
 * IOC says counting is done; `read()` then reads the value PVs.
 * @module
 */
import type { DataKey, Reading } from '../../model/protocols.js';
import { StatusBase, type Status } from '../../model/status.js';
import { pyRepr } from '../../model/python-repr.js';
import type { CaClient } from '../ca/client.js';
import { connectAll, PvSignal } from './pv-signal.js';

export interface EpicsCounterOptions {
  name: string;
  client: CaClient;
  /** Written with put-callback to count, e.g. 'SIM:scaler1.CNT'. */
  triggerPv: string;
  /** The value PVs: one PV (read as `<name>`), or `{field: pv}` (read as `<name>_<field>`). */
  readPvs: string | Readonly<Record<string, string>>;
  /** What `trigger()` writes. Default 1. */
  triggerValue?: number | string;
  /** Optional configuration PV of the counting time (read as `<name>_count_time`), e.g. 'SIM:scaler1.TP'. */
  countTimePv?: string;
  /** Seconds for gets. Default: the client's timeout. */
  timeout?: number;
}

/**
 * A triggered detector.
 * @example
 * const sc = new EpicsCounter({ name: 'sc', client, triggerPv: 'SIM:scaler1.CNT',
 *   readPvs: { time: 'SIM:scaler1.S1', counts: 'SIM:scaler1.S2' }, countTimePv: 'SIM:scaler1.TP' });
 */
export class EpicsCounter {
  readonly name: string;
  readonly parent = null;
  readonly #trigger: PvSignal;
  readonly #values: ReadonlyArray<readonly [string, PvSignal]>;
  readonly #countTime: PvSignal | null;
  readonly #triggerValue: number | string;
  readonly #timeout: number | undefined;

  constructor(options: EpicsCounterOptions) {
    this.name = options.name;
    this.#trigger = new PvSignal(options.client, options.triggerPv);
    const pvs = typeof options.readPvs === 'string' ? { '': options.readPvs } : options.readPvs;
    this.#values = Object.entries(pvs).map(([field, pv]) => [field === '' ? options.name : `${options.name}_${field}`, new PvSignal(options.client, pv)] as const);
    this.#countTime = options.countTimePv === undefined ? null : new PvSignal(options.client, options.countTimePv);
    this.#triggerValue = options.triggerValue ?? 1;
    this.#timeout = options.timeout;
  }

  get connected(): boolean { return this.#all().every((s) => s.connected); }
  get pvs(): string[] { return this.#all().map((s) => s.pv); }

  /** @throws EpicsError (EPICS_CONNECT_TIMEOUT) naming the PVs that did not connect. */
  async connect(timeout = 2): Promise<void> {
    await connectAll(this.name, this.#all(), timeout);
  }

  /** Count: done when the IOC completes the trigger PV's put-callback; a disconnect fails it naming the PV. */
  trigger(): Status {
    const status = new StatusBase({ label: this.name });
    this.#trigger.channel.put(this.#triggerValue, { wait: true }).then(() => status.setFinished(), (e: unknown) => status.setException(e));
    return status;
  }

  async read(): Promise<Record<string, Reading>> {
    const readings = await Promise.all(this.#values.map(([, s]) => s.read(this.#timeout)));
    return Object.fromEntries(this.#values.map(([key], i) => [key, readings[i] as Reading]));
  }

  describe(): Record<string, DataKey> {
    return Object.fromEntries(this.#values.map(([key, s]) => [key, s.dataKey()]));
  }

  async readConfiguration(): Promise<Record<string, Reading>> {
    if (this.#countTime === null) return {};
    return { [`${this.name}_count_time`]: await this.#countTime.read(this.#timeout) };
  }

  describeConfiguration(): Record<string, DataKey> {
    return this.#countTime === null ? {} : { [`${this.name}_count_time`]: this.#countTime.dataKey() };
  }

  get hints(): { fields: string[] } { return { fields: this.#values.map(([key]) => key) }; }

  destroy(): void {
    for (const s of this.#all()) s.close();
  }

  repr(): string {
    return `EpicsCounter(trigger_pv=${pyRepr(this.#trigger.pv)}, name=${pyRepr(this.name)})`;
  }

  toString(): string { return this.repr(); }

  #all(): PvSignal[] {
    return [this.#trigger, ...this.#values.map(([, s]) => s), ...(this.#countTime === null ? [] : [this.#countTime])];
  }
}
