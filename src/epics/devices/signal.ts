/**
 * `EpicsSignalRO` and `EpicsSignal`: ophyd's single-PV signals on our CA client. They
 * read with a fresh DBR_TIME get (ophyd's default `auto_monitor=False`), describe as
 * ophyd does, and `set()` completes on put-callback (`put_complete`) or when the
 * readback reaches the setpoint.
 * @module
 */
import type { DataKey, Reading } from '../../model/protocols.js';
import { completedStatus, StatusBase, type Status } from '../../model/status.js';
import { pyRepr } from '../../model/python-repr.js';
import type { Subscription } from '../ca/channel.js';
import type { CaClient } from '../ca/client.js';
import { BadValueError, DisconnectedError } from '../errors.js';
import { PvSignal } from './pv-signal.js';

/** A callback given the device's readings dict (the Subscribable protocol). */
export type ReadingsCallback = (readings: Record<string, Reading>) => void;

export interface EpicsSignalROOptions {
  name: string;
  /** ophyd `read_pv`. */
  readPv: string;
  client: CaClient;
  /** Read as strings (ophyd `string=True`). */
  string?: boolean;
  /** Seconds for a get. Default: the client's timeout. */
  timeout?: number;
}

/**
 * A read-only PV (ophyd `EpicsSignalRO`).
 * @example
 * const det = new EpicsSignalRO({ name: 'det', readPv: 'SIM:det', client });
 * await det.connect(2);
 * await det.read();   // { det: { value: 0.6065, timestamp: 1.7e9, alarm_severity: 0 } }
 */
export class EpicsSignalRO {
  readonly name: string;
  readonly parent = null;
  protected readonly pyClass: string = 'EpicsSignalRO';
  protected readonly readSignal: PvSignal;
  protected readonly timeout: number | undefined;
  readonly #subscribers = new Set<ReadingsCallback>();
  #monitor: Subscription | null = null;

  constructor(options: EpicsSignalROOptions) {
    this.name = options.name;
    this.timeout = options.timeout;
    this.readSignal = new PvSignal(options.client, options.readPv, { string: options.string === true });
  }

  /** ophyd `read_pv`. */
  get readPv(): string { return this.readSignal.pv; }
  get connected(): boolean { return this.readSignal.connected; }
  /** The PVs this device uses. */
  get pvs(): string[] { return [this.readSignal.pv]; }

  /** Wait for the PV(s). @throws ConnectTimeoutError (EPICS_CONNECT_TIMEOUT) naming the PV. */
  async connect(timeout = 2): Promise<void> {
    await this.readSignal.connect(timeout);
  }

  async read(): Promise<Record<string, Reading>> {
    return { [this.name]: await this.readSignal.read(this.timeout) };
  }

  describe(): Record<string, DataKey> {
    return { [this.name]: this.readSignal.dataKey() };
  }

  readConfiguration(): Record<string, Reading> { return {}; }
  describeConfiguration(): Record<string, DataKey> { return {}; }

  /** Nothing to trigger: a done status (ophyd `Signal.trigger`). */
  trigger(): Status { return completedStatus(this.name); }

  get hints(): { fields: string[] } { return { fields: [this.name] }; }

  /** The current value (a plain get). */
  get(): Promise<unknown> { return this.readSignal.value(this.timeout); }

  /** `cb(readings)` on the first value and on every change (a CA monitor while anyone listens). */
  subscribe(cb: ReadingsCallback): void {
    this.#subscribers.add(cb);
    this.#monitor ??= this.readSignal.monitor((reading) => {
      const readings = { [this.name]: reading };
      for (const fn of [...this.#subscribers]) fn(readings);
    });
  }

  clearSub(cb: ReadingsCallback): void {
    this.#subscribers.delete(cb);
    if (this.#subscribers.size === 0) { this.#monitor?.cancel(); this.#monitor = null; }
  }

  /** Release the channels' monitors (the client owns the channels). */
  destroy(): void {
    this.#monitor?.cancel();
    this.#monitor = null;
    this.readSignal.close();
  }

  repr(): string {
    return `${this.pyClass}(read_pv=${pyRepr(this.readPv)}, name=${pyRepr(this.name)})`;
  }

  toString(): string { return this.repr(); }
}

export interface EpicsSignalOptions extends EpicsSignalROOptions {
  /** ophyd `write_pv`; default the read PV. */
  writePv?: string;
  /** ophyd `put_complete`: `set()` completes on the put-callback. Default false. */
  putComplete?: boolean;
  /** Without put-callback, `set()` completes when |readback - setpoint| <= tolerance. Default 10^-precision, or exact. */
  tolerance?: number;
}

/**
 * A read-write PV (ophyd `EpicsSignal`).
 * @example
 * const ao = new EpicsSignal({ name: 'ao1', readPv: 'SIM:ai1', writePv: 'SIM:ao1', client });
 * ao.set(2.5);  // Status: done when SIM:ai1 reads 2.5
 */
export class EpicsSignal extends EpicsSignalRO {
  protected override readonly pyClass: string = 'EpicsSignal';
  readonly #write: PvSignal;
  readonly #putComplete: boolean;
  readonly #tolerance: number | undefined;

  constructor(options: EpicsSignalOptions) {
    super(options);
    this.#write = options.writePv === undefined || options.writePv === options.readPv
      ? this.readSignal
      : new PvSignal(options.client, options.writePv, { string: options.string === true });
    this.#putComplete = options.putComplete === true;
    this.#tolerance = options.tolerance;
  }

  /** ophyd `write_pv`. */
  get writePv(): string { return this.#write.pv; }
  override get pvs(): string[] { return [...new Set([this.readPv, this.writePv])]; }

  override async connect(timeout = 2): Promise<void> {
    await Promise.all([this.readSignal.connect(timeout), this.#write === this.readSignal ? null : this.#write.connect(timeout)]);
  }

  /** Write without waiting for completion (ophyd `put(wait=False)`). */
  put(value: unknown): Promise<void> {
    return this.#write.channel.put(value);
  }

  /**
   * Write `value`; the status completes on the put-callback (`putComplete`) or when the
   * readback matches. A disconnect fails it with an error naming the PV.
   */
  set(value: unknown): Status {
    const status = new StatusBase({ label: this.name });
    const fail = (e: unknown): void => { if (!status.done) status.setException(e); };
    if (this.#putComplete) {
      this.#write.channel.put(value, { wait: true }).then(() => { if (!status.done) status.setFinished(); }, fail);
      return status;
    }
    this.#write.channel.put(value).then(() => this.#awaitReadback(value, status), fail);
    return status;
  }

  #awaitReadback(target: unknown, status: StatusBase): void {
    const matches = (v: unknown): boolean => {
      if (typeof target === 'number' && typeof v === 'number') {
        const prec = this.readSignal.meta?.precision;
        const tol = this.#tolerance ?? (prec === undefined ? 0 : 10 ** -prec);
        return Math.abs(v - target) <= tol;
      }
      if (typeof target === 'string' && typeof v === 'number') {
        return this.readSignal.meta?.enumStrings?.[v] === target || String(v) === target;
      }
      return JSON.stringify(v) === JSON.stringify(target);
    };
    if (typeof target !== 'number' && typeof target !== 'string' && !Array.isArray(target)) {
      status.setException(new BadValueError(this.writePv, `cannot compare a readback with ${typeof target} ${String(target)}`));
      return;
    }
    const channel = this.readSignal.channel;
    let sub: Subscription | null = null;
    const offConnection = channel.onConnection((up) => {
      if (up || status.done) return;
      finish();
      status.setException(new DisconnectedError(this.readPv, `while ${this.name} waited for its readback to reach ${JSON.stringify(target)}`));
    });
    const finish = (): void => { sub?.cancel(); offConnection(); };
    sub = this.readSignal.monitor((reading) => {
      if (status.done || !matches(reading.value)) return;
      finish();
      status.setFinished();
    });
  }

  override repr(): string {
    return `EpicsSignal(read_pv=${pyRepr(this.readPv)}, name=${pyRepr(this.name)}, write_pv=${pyRepr(this.writePv)}, put_complete=${this.#putComplete ? 'True' : 'False'})`;
  }
}
