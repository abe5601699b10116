/**
 * Status objects: what `set`, `trigger`, `kickoff`... return. Mirrors bluesky's
 * Status protocol and ophyd's StatusBase. Deliberately not thenable: the engine
 * hands a Status back to the plan as a value, and `await` would unwrap a thenable.
 * @module
 */
import { CodedError } from './errors.js';
import { type LongTimer, longTimeout } from './timers.js';

/** The Status protocol as the RunEngine uses it (bluesky.protocols.Status). */
export interface Status {
  /** True once finished, successfully or not; never reverts. */
  readonly done: boolean;
  /** True when done without an exception. */
  readonly success: boolean;
  /** `cb(status)` is called exactly once when done; at once if already done. */
  addCallback(cb: (status: Status) => void): void;
  /** The failure, or null. */
  exception(): unknown;
}

export function isStatus(x: unknown): x is Status {
  return typeof x === 'object' && x !== null &&
    typeof (x as Status).addCallback === 'function' && 'done' in x && 'success' in x &&
    typeof (x as Status).exception === 'function';
}

/** Raised when a status is finished twice. */
export class InvalidStatusState extends CodedError {
  constructor(message: string) { super('DEVICE_STATUS_ALREADY_DONE', message); }
}

/** Raised when a status times out. */
export class StatusTimeoutError extends CodedError {
  constructor(message: string) { super('DEVICE_STATUS_TIMEOUT', message); }
}

export interface StatusOptions {
  /** Fail with StatusTimeoutError after this many seconds (plus settleTime). */
  timeout?: number | null;
  /** Delay completion by this many seconds after setFinished(). */
  settleTime?: number;
  /** Used in toString(), e.g. the device name. */
  label?: string;
}

/** A settable status (ophyd StatusBase). */
export class StatusBase implements Status {
  #done = false;
  #error: unknown = null;
  #callbacks: Array<(s: Status) => void> = [];
  #timer: LongTimer | null = null;
  readonly #settleTime: number;
  readonly label: string;

  constructor(options: StatusOptions = {}) {
    this.#settleTime = options.settleTime ?? 0;
    this.label = options.label ?? '';
    const timeout = options.timeout ?? null;
    if (timeout !== null) {
      // longTimeout: a timeout above 2^31-1 ms must not fire at once.
      this.#timer = longTimeout(() => {
        this.#timer = null;
        if (!this.#done) this.#finish(new StatusTimeoutError(`${this.toString()} timed out after ${timeout} s`));
      }, (timeout + this.#settleTime) * 1000);
    }
  }

  get done(): boolean { return this.#done; }
  get success(): boolean { return this.#done && this.#error === null; }
  exception(): unknown { return this.#error; }

  addCallback(cb: (s: Status) => void): void {
    if (this.#done) cb(this);
    else this.#callbacks.push(cb);
  }

  /** Mark success (after the settle time, if any). */
  setFinished(): void {
    if (this.#done) throw new InvalidStatusState(`${this.toString()} is already done`);
    if (this.#settleTime > 0) longTimeout(() => { if (!this.#done) this.#finish(null); }, this.#settleTime * 1000);
    else this.#finish(null);
  }

  /** Mark failure with `error`. */
  setException(error: unknown): void {
    if (this.#done) throw new InvalidStatusState(`${this.toString()} is already done`);
    this.#finish(error ?? new Error('status failed'));
  }

  /** A promise settled when done (rejects with the failure). */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.addCallback((s) => (s.success ? resolve() : reject(s.exception())));
    });
  }

  #finish(error: unknown): void {
    this.#done = true;
    this.#error = error;
    if (this.#timer !== null) { this.#timer.clear(); this.#timer = null; }
    const cbs = this.#callbacks;
    this.#callbacks = [];
    for (const cb of cbs) cb(this);
  }

  toString(): string {
    const state = this.#done ? (this.#error === null ? 'done, success' : 'done, failed') : 'pending';
    return `${this.constructor.name}(${this.label ? `${this.label}, ` : ''}${state})`;
  }
}

/** An already successful status (ophyd NullStatus). */
export function completedStatus(label = ''): StatusBase {
  const s = new StatusBase({ label });
  s.setFinished();
  return s;
}

/** An already failed status. */
export function failedStatus(error: unknown, label = ''): StatusBase {
  const s = new StatusBase({ label });
  s.setException(error);
  return s;
}

/** A status that follows a promise (ophyd-async AsyncStatus.wrap). */
export function statusFromPromise(p: Promise<unknown>, label = ''): StatusBase {
  const s = new StatusBase({ label });
  p.then(() => s.setFinished(), (e: unknown) => s.setException(e));
  return s;
}
