/**
 * `SynAxis`: ophyd.sim's simulated 1-D axis (motor). A move finishes after `delay`
 * seconds (at once when 0); the readback follows the setpoint when the move completes.
 * @module
 */
import { DeviceError } from '../model/errors.js';
import type { DataKey, Location, Movable, Reading, Stoppable } from '../model/protocols.js';
import { StatusBase, type Status } from '../model/status.js';
import { type LongTimer, longTimeout } from '../model/timers.js';
import { SimDevice, type DeviceOptions } from './device.js';
import { configEntry, now, type ConfigEntry } from './support.js';

export interface SynAxisOptions extends DeviceOptions {
  name: string;
  /** Initial setpoint and readback. Default 0. */
  value?: number;
  /** Seconds a move takes. Default 0: `set()` returns an already finished status. */
  delay?: number;
  /** `precision` in describe(). Default 3. */
  precision?: number;
  /** Readback for a given position (ophyd `readback_func`), e.g. to add jitter. Default identity. */
  readbackFunc?: (position: number) => number;
}

interface PendingMove {
  readonly status: StatusBase;
  readonly timer: LongTimer;
}

/**
 * A simulated motor. `read()` gives `{motor: readback, motor_setpoint: setpoint}`.
 * @example
 * const motor = new SynAxis({ name: 'motor' });
 * motor.set(1.5);            // done at once: readback 1.5
 * motor.delay = 0.1;         // later moves take 100 ms
 */
export class SynAxis extends SimDevice implements Movable<number>, Stoppable {
  protected readonly pyClass: string = 'SynAxis';
  protected readonly readAttrs: readonly string[] = ['readback', 'setpoint'];
  protected readonly configEntries: readonly ConfigEntry[] = [configEntry('velocity', 1), configEntry('acceleration', 1)];
  /** Seconds a move takes; may be changed between moves. */
  delay: number;
  precision: number;
  readonly #readbackFunc: (position: number) => number;
  #setpoint: number;
  #setpointTs: number;
  #readback: number;
  #readbackTs: number;
  readonly #moves = new Set<PendingMove>();
  /** `<name>_setpoint`, made once: a key built at each read cost V8 a string-table lookup to use it (a scan reads the motor every point). */
  readonly #setpointKey: string;

  constructor(options: SynAxisOptions) {
    super(options.name, options);
    const value = options.value ?? 0;
    this.delay = options.delay ?? 0;
    this.precision = options.precision ?? 3;
    this.#readbackFunc = options.readbackFunc ?? ((x) => x);
    this.#setpoint = value;
    this.#setpointTs = now();
    this.#readback = this.#readbackFunc(value);
    this.#readbackTs = now();
    this.#setpointKey = `${this.name}_setpoint`;
  }

  read(): Record<string, Reading> {
    return {
      [this.name]: { value: this.#readback, timestamp: this.#readbackTs },
      [this.#setpointKey]: { value: this.#setpoint, timestamp: this.#setpointTs },
    };
  }

  describe(): Record<string, DataKey> {
    const key = (k: string): DataKey => ({ source: `SIM:${k}`, dtype: 'number', shape: [], precision: this.precision });
    return { [this.name]: key(this.name), [`${this.name}_setpoint`]: key(`${this.name}_setpoint`) };
  }

  get hints(): { fields: string[] } {
    return { fields: [this.name] };
  }

  /** The readback. */
  get position(): number {
    return this.#readback;
  }

  /** True while a move is under way. */
  get moving(): boolean {
    return this.#moves.size > 0;
  }

  /**
   * Setpoint and readback. Deliberately not named `locate`: ophyd's SynAxis is
   * not Locatable, so relative plans learn its start from `.position` without a
   * message, as in the recordings.
   */
  location(): Location<number> {
    return { setpoint: this.#setpoint, readback: this.#readback };
  }

  /**
   * Move to `value`: the setpoint changes now, the readback when the move ends.
   * @returns a status done after `delay` seconds (already done when `delay` is 0).
   * @throws DeviceError if `value` is not a finite number.
   */
  set(value: number): Status {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new DeviceError(`${this.name}.set() needs a number, got ${typeof value} ${String(value)}`);
    }
    this.#setpoint = value;
    this.#setpointTs = now();
    const status = new StatusBase({ label: this.name });
    if (!(this.delay > 0)) {
      this.#arrive(value);
      status.setFinished();
      return status;
    }
    const move: PendingMove = {
      status,
      // longTimeout: a move delay above 2^31-1 ms must not end at once.
      timer: longTimeout(() => {
        this.#moves.delete(move);
        this.#arrive(value);
        status.setFinished();
      }, this.delay * 1000),
    };
    this.#moves.add(move);
    return status;
  }

  /**
   * Stop pending moves where they are: the readback keeps its value. Each pending status
   * finishes, successfully if `success` is true, else with a DeviceError (as an ophyd
   * positioner's MoveStatus does). ophyd's own SynAxis ignores stop() and lets the move end.
   */
  stop(options: { success?: boolean } = {}): void {
    const moves = [...this.#moves];
    this.#moves.clear();
    for (const move of moves) {
      move.timer.clear();
      if (options.success === true) move.status.setFinished();
      else move.status.setException(new DeviceError(`${this.name}: move stopped before reaching its setpoint`));
    }
  }

  #arrive(position: number): void {
    this.#readback = this.#readbackFunc(position);
    this.#readbackTs = now();
    this.subscribers.emit();
  }
}
