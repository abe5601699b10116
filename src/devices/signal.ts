/**
 * Soft signals like ophyd's: `Signal` (a value you get/put/subscribe to, for suspenders
 * and monitors), `SynSignal` (a value computed on trigger) and `SynPeriodicSignal` (`rand`).
 * @module
 */
import type { DataKey, HasParent, Reading } from '../model/protocols.js';
import { completedStatus, type Status } from '../model/status.js';
import { pyFloatRepr, pyRepr, pyStrRepr } from '../model/python-repr.js';
import { standardNormal } from './random.js';
import { exposure, now, softDataKey, Subscribers, type ReadingsCallback } from './support.js';

/** ophyd `Kind`: only 'hinted' signals put their name in `hints.fields`. */
export type SignalKind = 'hinted' | 'normal' | 'config' | 'omitted';

export interface SignalOptions {
  name: string;
  /** Initial value. Default 0. */
  value?: unknown;
  parent?: HasParent | null;
  /** Default 'normal'. */
  kind?: SignalKind;
}

/**
 * A soft signal (ophyd `Signal`). `subscribe(cb)` calls `cb({[name]: {value, timestamp}})`
 * at once and after every put.
 * @example
 * const sig = new Signal({ name: 'beam_current', value: 500 });
 * sig.subscribe((r) => console.log(r.beam_current?.value));
 * sig.put(12);
 */
export class Signal {
  readonly name: string;
  readonly parent: HasParent | null;
  readonly kind: SignalKind;
  protected readonly pyClass: string = 'Signal';
  protected readonly subscribers: Subscribers;
  #value: unknown;
  #timestamp: number;

  constructor(options: SignalOptions) {
    this.name = options.name;
    this.parent = options.parent ?? null;
    this.kind = options.kind ?? 'normal';
    this.#value = options.value ?? 0;
    this.#timestamp = now();
    this.subscribers = new Subscribers(options.name, () => this.read());
  }

  get(): unknown {
    return this.#value;
  }

  /** Store a value (stamped now) and notify subscribers. */
  put(value: unknown): void {
    this.#value = value;
    this.#timestamp = now();
    this.subscribers.emit();
  }

  /** put(), returning an already finished status (a soft signal has nothing to wait for). */
  set(value: unknown): Status {
    this.put(value);
    return completedStatus(this.name);
  }

  get value(): unknown { return this.#value; }
  set value(v: unknown) { this.put(v); }

  /** Time of the last put, in seconds since the epoch. */
  get timestamp(): number { return this.#timestamp; }

  read(): Record<string, Reading> {
    return { [this.name]: { value: this.#value, timestamp: this.#timestamp } };
  }

  /** `{[name]: {source: 'SIM:<name>', dtype, shape}}`, dtype inferred from the value as ophyd does. */
  describe(): Record<string, DataKey> {
    return { [this.name]: softDataKey(this.name, this.#value) };
  }

  /** A signal's configuration is its reading (ophyd `Signal.read_configuration`). */
  readConfiguration(): Record<string, Reading> {
    return this.read();
  }

  describeConfiguration(): Record<string, DataKey> {
    return this.describe();
  }

  /** Already finished (ophyd `Signal.trigger`). */
  trigger(): Status {
    return completedStatus(this.name);
  }

  get hints(): { fields: string[] } {
    return { fields: this.kind === 'hinted' ? [this.name] : [] };
  }

  subscribe(cb: ReadingsCallback): void {
    this.subscribers.add(cb);
  }

  clearSub(cb: ReadingsCallback): void {
    this.subscribers.remove(cb);
  }

  /** @example "Signal(name='bool_sig', value=False, timestamp=1795543396.661)" */
  repr(): string {
    const parts = [`name=${pyStrRepr(this.name)}`];
    const parent = this.parent as { name?: unknown } | null;
    if (parent !== null) parts.push(`parent=${pyRepr(parent.name ?? null)}`);
    parts.push(`value=${this.valueRepr()}`, `timestamp=${pyFloatRepr(this.#timestamp)}`);
    return `${this.pyClass}(${parts.join(', ')})`;
  }

  protected valueRepr(): string {
    return pyRepr(this.#value);
  }

  toString(): string {
    return this.repr();
  }
}

export interface SynSignalOptions extends SignalOptions {
  /** Computes the value on trigger. Default: keep the current value. */
  func?: () => unknown;
  /** Seconds a trigger takes. Default 0. */
  exposureTime?: number;
  /** `precision` in describe(). Default 3. */
  precision?: number;
}

/** A signal whose value is `func()` evaluated at each trigger (ophyd `SynSignal`). */
export class SynSignal extends Signal {
  protected override readonly pyClass: string = 'SynSignal';
  exposureTime: number;
  precision: number;
  #func: () => unknown;

  constructor(options: SynSignalOptions) {
    const func = options.func;
    super({ ...options, value: func === undefined ? (options.value ?? 0) : func() });
    this.#func = func ?? (() => this.get());
    this.exposureTime = options.exposureTime ?? 0;
    this.precision = options.precision ?? 3;
  }

  /** Replace the function evaluated on trigger (ophyd `sim_set_func`). */
  simSetFunc(func: () => unknown): void {
    this.#func = func;
  }

  /** Evaluate the function and store its value. */
  protected evaluate(): void {
    this.put(this.#func());
  }

  override describe(): Record<string, DataKey> {
    const out = super.describe();
    for (const key of Object.values(out)) key.precision = this.precision;
    return out;
  }

  /** Store `func()`; the status finishes after `exposureTime` seconds (at once when 0). */
  override trigger(): Status { return exposure(this.name, this.exposureTime, () => this.evaluate()); }
}

/**
 * A signal holding a fresh random number in [0, 1) after each trigger (ophyd
 * `SynPeriodicSignal`, `hw().rand`). Background updates only run between
 * {@link startSimulation} and {@link stopSimulation}.
 */
export class SynPeriodicSignal extends SynSignal {
  protected override readonly pyClass: string = 'SynPeriodicSignal';
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: SynSignalOptions) {
    super({ func: Math.random, ...options });
  }

  /**
   * Update the value every `period` ± `periodJitter`·N(0,1) seconds (ophyd's defaults: 1, 1)
   * until {@link stopSimulation}. The timer does not keep the process alive.
   */
  startSimulation(period = 1, periodJitter = 1): void {
    if (this.#timer !== null) return;
    const tick = (): void => {
      this.evaluate();
      const wait = Math.max(period + periodJitter * standardNormal(Math.random), 0);
      this.#timer = setTimeout(tick, wait * 1000);
      this.#timer.unref();
    };
    tick();
  }

  stopSimulation(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
