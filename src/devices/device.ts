/**
 * `SimDevice`: what every simulated ophyd-style Device shares (name/parent, staging,
 * configuration signals, subscriptions, Python repr). Subclasses own read/describe.
 * @module
 */
import { DeviceError } from '../model/errors.js';
import type { DataKey, HasParent, Reading } from '../model/protocols.js';
import { completedStatus, type Status } from '../model/status.js';
import { pyRepr, pyStrRepr } from '../model/python-repr.js';
import { describeConfig, now, readConfig, Subscribers, type ConfigEntry, type ReadingsCallback } from './support.js';

/** Options every simulated device accepts. */
export interface DeviceOptions {
  /** Parent device, or null (the default) for a top-level device. */
  parent?: HasParent | null;
}

/** Base of the ophyd-Device-like simulators (SynAxis, SynGauss, Syn2DGauss). */
export abstract class SimDevice implements HasParent {
  readonly name: string;
  readonly parent: HasParent | null;
  /** ophyd's PV prefix; always '' for simulated devices. */
  readonly prefix: string = '';
  /** The ophyd class name used in {@link repr}. */
  protected abstract readonly pyClass: string;
  /** ophyd `read_attrs` (component names), for {@link repr}. */
  protected abstract readonly readAttrs: readonly string[];
  /** Configuration signals in ophyd's `configuration_attrs` order. */
  protected abstract readonly configEntries: readonly ConfigEntry[];
  protected readonly subscribers: Subscribers;
  #staged = false;

  constructor(name: string, options: DeviceOptions = {}) {
    this.name = name;
    this.parent = options.parent ?? null;
    this.subscribers = new Subscribers(name, () => this.read());
  }

  abstract read(): Record<string, Reading>;
  abstract describe(): Record<string, DataKey>;
  abstract get hints(): { fields: string[] };

  /** `{<name>_<attr>: {value, timestamp}}` for each configuration signal. */
  readConfiguration(): Record<string, Reading> {
    return readConfig(this.name, this.configEntries);
  }

  describeConfiguration(): Record<string, DataKey> {
    return describeConfig(this.name, this.configEntries);
  }

  /**
   * Set configuration signals by attribute name (ophyd `Device.configure`).
   * @returns `[old, new]` configuration readings, as bluesky's `configure` command expects.
   * @throws DeviceError (DEVICE_OPERATION_FAILED) for an unknown attribute or a bad value.
   * @example det.configure({ sigma: 2 })
   */
  configure(values: Readonly<Record<string, unknown>>): [Record<string, Reading>, Record<string, Reading>] {
    const old = this.readConfiguration();
    for (const [attr, value] of Object.entries(values)) {
      const entry = this.configEntries.find((e) => e.attr === attr);
      if (entry === undefined) {
        const known = this.configEntries.map((e) => e.attr).join(', ');
        throw new DeviceError(`${this.name} has no configuration attribute '${attr}' (expected one of: ${known})`);
      }
      entry.check?.(value);
      entry.value = value;
      entry.timestamp = now();
    }
    return [old, this.readConfiguration()];
  }

  /** An already finished status (ophyd `BlueskyInterface.trigger`); detectors override it. */
  trigger(): Status {
    return completedStatus(this.name);
  }

  /**
   * Stage for acquisition (ophyd `Device.stage`).
   * @returns the staged devices: `[this]`.
   * @throws DeviceError when already staged (ophyd's RedundantStaging).
   */
  stage(): unknown[] {
    if (this.#staged) throw new DeviceError(`RedundantStaging: Device ${this.repr()} is already staged. Unstage it first.`);
    this.#staged = true;
    return [this];
  }

  /** Undo {@link stage}; harmless when not staged. @returns `[this]`. */
  unstage(): unknown[] {
    this.#staged = false;
    return [this];
  }

  /** True between stage() and unstage(). */
  get staged(): boolean {
    return this.#staged;
  }

  /** Call `cb(readings)` now and after every change of the readings (ophyd `subscribe`). */
  subscribe(cb: ReadingsCallback): void {
    this.subscribers.add(cb);
  }

  clearSub(cb: ReadingsCallback): void {
    this.subscribers.remove(cb);
  }

  /**
   * The Python repr, as recorded in `plan_args`.
   * @example "SynAxis(prefix='', name='motor', read_attrs=['readback', 'setpoint'], configuration_attrs=['velocity', 'acceleration'])"
   */
  repr(): string {
    const parts = [`prefix=${pyStrRepr(this.prefix)}`, `name=${pyStrRepr(this.name)}`];
    const parent = this.parent as { name?: unknown } | null;
    if (parent !== null) parts.push(`parent=${pyRepr(parent.name ?? null)}`);
    parts.push(`read_attrs=${pyRepr(this.readAttrs)}`);
    parts.push(`configuration_attrs=${pyRepr(this.configEntries.map((e) => e.attr))}`);
    return `${this.pyClass}(${parts.join(', ')})`;
  }

  toString(): string {
    return this.repr();
  }
}
