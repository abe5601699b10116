/**
 * Suspenders (bluesky suspenders.py): watch a signal and ask the RunEngine to
 * suspend while its value is "bad", resuming (after `sleep` seconds) once it
 * is good again. Tripped while idle, they hold the next run at its start.
 * @module
 */
import type { Subscribable } from '../model/protocols.js';
import type { Suspender, SuspenderHost } from './commands/context.js';
import { type LongTimer, longTimeout } from '../model/timers.js';
import { Deferred } from './deferred.js';

export interface SuspenderOptions {
  /** Seconds to wait after the value is good again before resuming. */
  sleep?: number;
  prePlan?: unknown;
  postPlan?: unknown;
  trippedMessage?: string;
}

/** Base class: subclasses say when a value should suspend and when it may resume. */
export abstract class SignalSuspender implements Suspender {
  readonly signal: Subscribable;
  readonly #opts: SuspenderOptions;
  #re: SuspenderHost | null = null;
  #released: Deferred<void> | null = null;
  #timer: LongTimer | null = null;
  readonly #cb = (value: unknown): void => this.#onValue(valueOf(value, this.signal.name));

  constructor(signal: Subscribable, options: SuspenderOptions = {}) {
    this.signal = signal;
    this.#opts = options;
  }

  protected abstract shouldSuspend(value: unknown): boolean;
  protected abstract shouldResume(value: unknown): boolean;
  protected abstract describeTrip(): string;

  get tripped(): boolean { return this.#released !== null; }

  install(re: SuspenderHost): void {
    this.#re = re;
    this.signal.subscribe(this.#cb);
  }

  remove(): void {
    this.signal.clearSub(this.#cb);
    this.#release();
    this.#re = null;
  }

  getFutures(): { waits: Array<() => Promise<unknown>>; justification: string } | null {
    const released = this.#released;
    if (released === null) return null;
    return { waits: [() => released.promise], justification: this.justification };
  }

  get justification(): string {
    const msg = this.#opts.trippedMessage ?? '';
    return msg ? `${this.describeTrip()}: ${msg}` : this.describeTrip();
  }

  #onValue(value: unknown): void {
    if (this.#released === null && this.shouldSuspend(value)) {
      const released = new Deferred<void>();
      this.#released = released;
      const re = this.#re;
      if (re !== null && re.state !== 'idle' && re.state !== 'panicked') {
        re.requestSuspend(() => released.promise, {
          prePlan: this.#opts.prePlan ?? null, postPlan: this.#opts.postPlan ?? null, justification: this.justification,
        });
      }
    } else if (this.#released !== null && this.shouldResume(value)) {
      if (this.#timer !== null) return;
      const sleep = this.#opts.sleep ?? 0;
      if (sleep <= 0) { this.#release(); return; }
      this.#timer = longTimeout(() => { this.#timer = null; this.#release(); }, sleep * 1000);
    } else if (this.#timer !== null && this.shouldSuspend(value)) {
      this.#timer.clear();
      this.#timer = null;
    }
  }

  #release(): void {
    if (this.#timer !== null) { this.#timer.clear(); this.#timer = null; }
    const r = this.#released;
    this.#released = null;
    r?.resolve();
  }
}

function valueOf(x: unknown, name: string): unknown {
  if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
    const rec = x as Record<string, { value?: unknown }>;
    const r = rec[name] ?? Object.values(rec)[0];
    if (r !== undefined && typeof r === 'object' && r !== null && 'value' in r) return r.value;
  }
  return x;
}

/** Suspend while the signal is truthy. */
export class SuspendBoolHigh extends SignalSuspender {
  protected shouldSuspend(v: unknown): boolean { return Boolean(v); }
  protected shouldResume(v: unknown): boolean { return !v; }
  protected describeTrip(): string { return `Signal ${this.signal.name} is high`; }
}

/** Suspend while the signal is falsy. */
export class SuspendBoolLow extends SignalSuspender {
  protected shouldSuspend(v: unknown): boolean { return !v; }
  protected shouldResume(v: unknown): boolean { return Boolean(v); }
  protected describeTrip(): string { return `Signal ${this.signal.name} is low`; }
}

/** A threshold suspender: `beyond(value, threshold)` says which side of it is bad. */
abstract class ThresholdSuspender extends SignalSuspender {
  protected readonly suspendThresh: number;
  protected readonly resumeThresh: number;
  constructor(signal: Subscribable, suspendThresh: number, resumeThresh: number | null = null, options: SuspenderOptions = {}) {
    super(signal, options);
    this.suspendThresh = suspendThresh;
    this.resumeThresh = resumeThresh ?? suspendThresh;
  }
  protected abstract beyond(value: number, threshold: number): boolean;
  protected shouldSuspend(v: unknown): boolean { return this.beyond(Number(v), this.suspendThresh); }
  protected shouldResume(v: unknown): boolean { return !this.beyond(Number(v), this.resumeThresh); }
}

/** Suspend when value < suspendThresh; resume when value >= resumeThresh (default suspendThresh). */
export class SuspendFloor extends ThresholdSuspender {
  protected beyond(value: number, threshold: number): boolean { return value < threshold; }
  protected describeTrip(): string { return `Signal ${this.signal.name} is below ${this.suspendThresh}`; }
}

/** Suspend when value > suspendThresh; resume when value <= resumeThresh (default suspendThresh). */
export class SuspendCeil extends ThresholdSuspender {
  protected beyond(value: number, threshold: number): boolean { return value > threshold; }
  protected describeTrip(): string { return `Signal ${this.signal.name} is above ${this.suspendThresh}`; }
}

/** Suspend when the value leaves (bottom, top); resume when back strictly inside. */
export class SuspendWhenOutsideBand extends SignalSuspender {
  readonly #bottom: number;
  readonly #top: number;
  constructor(signal: Subscribable, bottom: number, top: number, options: SuspenderOptions = {}) {
    super(signal, options);
    this.#bottom = bottom;
    this.#top = top;
  }
  protected shouldSuspend(v: unknown): boolean { return !(this.#bottom < Number(v) && Number(v) < this.#top); }
  protected shouldResume(v: unknown): boolean { return this.#bottom < Number(v) && Number(v) < this.#top; }
  protected describeTrip(): string { return `Signal ${this.signal.name} is outside of the range (${this.#bottom}, ${this.#top})`; }
}
